// The test player page: TurboWarp's VM (packager scaffolding, compiler on), an unsandboxed URL
// extension and a project, chosen by query parameters:
//   extension=URL   load this extension by URL before the project (omit: the project's extensionURLs)
//   project=URL     the .sb3 to load
//   username=NAME   the Scratch username ("username" block)
//   greenFlag=0     do not press the green flag after loading
// The test drives it through window.harness (see test/browser/harness.ts).
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  const errors = [];
  const questions = [];
  window.addEventListener('error', (event) => errors.push(String(event.error?.stack ? event.error.stack : event.message)));
  window.addEventListener('unhandledrejection', (event) => {
    const reason = event.reason;
    errors.push(String(reason?.stack ? reason.stack : reason));
  });

  // Every data channel the page creates (the extension's named channels are negotiated, so each side
  // creates its own): lets a test wait until a channel is open instead of sleeping. Test page only;
  // the extension knows nothing of it.
  const dataChannels = [];
  if (window.RTCPeerConnection) {
    const createDataChannel = RTCPeerConnection.prototype.createDataChannel;
    RTCPeerConnection.prototype.createDataChannel = function (...args) {
      const channel = createDataChannel.apply(this, args);
      dataChannels.push(channel);
      return channel;
    };
  }

  // The ICE servers of every peer connection the page makes (simple-peer takes the global class when
  // it opens a link): the test server is on 127.0.0.1, so the extension must give its links none and
  // not one STUN packet leaves the machine. Test page only.
  const iceServers = [];
  if (window.RTCPeerConnection) {
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Native {
      constructor(...args) {
        super(...args);
        iceServers.push(this.getConfiguration().iceServers);
      }
    };
  }

  let scaffolding = null;
  let vm = null;

  async function boot() {
    scaffolding = new Scaffolding.Scaffolding();
    scaffolding.width = 480;
    scaffolding.height = 360;
    scaffolding.setup();
    scaffolding.appendTo(document.getElementById('stage'));
    vm = scaffolding.vm;
    window.vm = vm;
    window.scaffolding = scaffolding;
    // "ask and wait" questions as they are asked (null when one is cleared).
    vm.runtime.on('QUESTION', (question) => questions.push(question));

    // Unsandboxed: the extension runs as a <script> in this page with the real Scratch.vm.
    vm.securityManager.getSandboxMode = () => Promise.resolve('unsandboxed');
    // Extensions named in a project's extensionURLs (e.g. embedded as data: URLs) may load.
    vm.securityManager.canLoadExtensionFromProject = () => Promise.resolve(true);
    vm.setCompilerOptions({ enabled: true });
    if (params.get('username')) scaffolding.setUsername(params.get('username'));

    const extension = params.get('extension');
    if (extension) await vm.extensionManager.loadExtensionURL(new URL(extension, location.href).href);
    const project = params.get('project');
    if (project) {
      const response = await fetch(project);
      if (!response.ok) throw new Error(`HTTP ${response.status} for ${project}`);
      await scaffolding.loadProject(await response.arrayBuffer());
    }
    // Run the frame loop, then press the green flag once unless asked not to. Not scaffolding.start():
    // it presses the green flag as well, so with greenFlag=0 the flag scripts still ran at load, before
    // the test had set anything (a project's connect block went to its default server, then ran again
    // when the test pressed the flag), and otherwise the flag was pressed twice in a row.
    vm.start();
    if (params.get('greenFlag') !== '0') vm.greenFlag();
  }

  function target(name) {
    if (!name || name === 'Stage' || name === '_stage_') return vm.runtime.getTargetForStage();
    const found = vm.runtime.getSpriteTargetByName(name);
    if (!found) throw new Error(`no sprite named ${name}`);
    return found;
  }

  function variable(targetName, name, type) {
    const found = target(targetName).lookupVariableByNameAndType(name, type);
    if (!found) throw new Error(`no ${type === 'list' ? 'list' : 'variable'} "${name}" on ${targetName || 'Stage'}`);
    return found;
  }

  const ready = boot().then(
    () => ({ ok: true }),
    (error) => {
      errors.push(String(error?.stack ? error.stack : error));
      return { ok: false, error: String(error?.message ? error.message : error) };
    },
  );

  window.harness = {
    ready,
    errors,
    questions,
    get vm() {
      return vm;
    },
    getVar(targetName, name) {
      return variable(targetName, name, '').value;
    },
    setVar(targetName, name, value) {
      variable(targetName, name, '').value = value;
    },
    getList(targetName, name) {
      return variable(targetName, name, 'list').value.slice();
    },
    setList(targetName, name, items) {
      const list = variable(targetName, name, 'list');
      list.value = items.slice();
      list._monitorUpToDate = false;
    },
    /** Starts "when I receive" scripts, like a broadcast block; returns how many threads started. */
    broadcast(message) {
      return vm.runtime.startHats('event_whenbroadcastreceived', { BROADCAST_OPTION: message }).length;
    },
    /** A key press as the keyboard would post it (DOM key names: 'a', ' ', 'ArrowUp', 'Enter'). */
    pressKey(key, holdMs) {
      vm.postIOData('keyboard', { key, isDown: true });
      return new Promise((resolve) =>
        setTimeout(() => {
          vm.postIOData('keyboard', { key, isDown: false });
          resolve();
        }, holdMs || 100),
      );
    },
    /** Answers the pending "ask and wait" question, as typing it in and pressing Enter would. */
    answer(text) {
      vm.runtime.emit('ANSWER', text);
    },
    greenFlag() {
      vm.greenFlag();
    },
    /** How many data channels with each label are open now (one per peer for a lobby's named channel). */
    openChannels() {
      const open = {};
      for (const channel of dataChannels) if (channel.readyState === 'open') open[channel.label] = (open[channel.label] || 0) + 1;
      return open;
    },
    /** The ICE servers each peer connection made so far was given, oldest first. */
    iceServers() {
      return iceServers.slice();
    },
    stopAll() {
      vm.stopAll();
    },
    /** Every target's variables and lists, by target name then variable name. */
    snapshot() {
      const out = {};
      for (const t of vm.runtime.targets) {
        if (!t.isOriginal) continue;
        const vars = {};
        for (const v of Object.values(t.variables)) {
          if (v.type === '' || v.type === 'list') vars[v.name] = Array.isArray(v.value) ? v.value.slice() : v.value;
        }
        out[t.isStage ? 'Stage' : t.getName()] = vars;
      }
      return out;
    },
    threadCount() {
      return vm.runtime.threads.length;
    },
  };
})();
