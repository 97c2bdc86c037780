// Voice calls over the existing peer links (protocol.md §7). The microphone stream is added to the
// link (simple-peer renegotiates through the two peers' own signals, never through the host);
// remote voices play through Web Audio with per-peer volume and 3-D position.
import { Emitter } from '../peer/emitter.js';
import type { VoiceEvent } from './api.js';
import { CloudLinkError } from './errors.js';
import type { Mesh } from './mesh/mesh.js';

export type CallState = 'idle' | 'calling' | 'ringing' | 'in call';

interface Call {
  state: CallState;
  /** My microphone as sent to this peer (a clone, so muting is per peer). */
  outgoing?: MediaStream;
  incoming?: MediaStream;
  /** Chrome only feeds a remote WebRTC stream into Web Audio while a media element plays it. */
  sink?: HTMLAudioElement;
  source?: MediaStreamAudioSourceNode;
  gain?: GainNode;
  panner?: PannerNode;
  analyser?: AnalyserNode;
  volume: number;
  position: [number, number, number];
  muted: boolean;
}

export type VoiceEvents = {
  voice: [event: VoiceEvent, peer: string];
  error: [error: CloudLinkError];
};

export class Voice extends Emitter<VoiceEvents> {
  private microphone: MediaStream | null = null;
  private context: AudioContext | null = null;
  private readonly calls = new Map<string, Call>();
  private readonly unsubscribe: (() => void)[];

  constructor(private readonly mesh: Mesh) {
    super();
    this.unsubscribe = [
      mesh.on('stream', (peer, stream) => this.streamArrived(peer, stream)),
      mesh.on('packet', (peer, _channel, packet) => {
        if (packet.opcode === 'HANGUP') this.ended(peer, 'hungup');
        else if (packet.opcode === 'DECLINE') this.ended(peer, 'declined');
      }),
      mesh.on('peer-close', (peer) => this.release(peer)),
      // The call's audio was on the lost link; the healed link is a fresh one.
      mesh.on('link-lost', (peer) => this.release(peer)),
    ];
  }

  get hasMicrophone(): boolean {
    return this.microphone !== null;
  }

  /** Asks the browser for the microphone (the permission prompt). */
  async requestMicrophone(): Promise<void> {
    if (this.microphone) return;
    const media = globalThis.navigator?.mediaDevices;
    if (!media?.getUserMedia) throw new CloudLinkError('unsupported', 'this browser cannot capture audio (getUserMedia is unavailable)');
    this.microphone = await media.getUserMedia({ audio: true, video: false });
  }

  state(peer: string): CallState {
    return this.calls.get(peer)?.state ?? 'idle';
  }

  /** The audio graph of a call, for projects and tests that inspect it. */
  graph(peer: string): { gain: number; position: [number, number, number]; muted: boolean; analyser?: () => number } | null {
    const call = this.calls.get(peer);
    if (!call) return null;
    return {
      gain: call.gain?.gain.value ?? call.volume / 100,
      position: call.panner ? [call.panner.positionX.value, call.panner.positionY.value, call.panner.positionZ.value] : call.position,
      muted: call.muted,
      analyser: call.analyser ? () => this.level(call) : undefined,
    };
  }

  async call(peer: string): Promise<void> {
    const call = this.callWith(peer);
    if (call.state !== 'idle') throw new CloudLinkError('call-state', `already ${call.state} with ${peer}`, { peer });
    await this.sendMicrophone(peer, call);
    call.state = 'calling';
  }

  async answer(peer: string): Promise<void> {
    const call = this.calls.get(peer);
    if (call?.state !== 'ringing') throw new CloudLinkError('call-state', `no call from ${peer} to answer`, { peer });
    await this.sendMicrophone(peer, call);
    call.state = 'in call';
    this.play(call);
  }

  decline(peer: string): void {
    const call = this.calls.get(peer);
    if (call?.state !== 'ringing') throw new CloudLinkError('call-state', `no call from ${peer} to decline`, { peer });
    this.mesh.sendPackets(peer, [{ opcode: 'DECLINE' }]);
    this.release(peer);
  }

  hangup(peer: string): void {
    const call = this.calls.get(peer);
    if (!call || call.state === 'idle') throw new CloudLinkError('call-state', `no call with ${peer}`, { peer });
    this.mesh.sendPackets(peer, [{ opcode: 'HANGUP' }]);
    this.ended(peer, 'hungup');
  }

  setMuted(peer: string, muted: boolean): void {
    const call = this.callWith(peer);
    call.muted = muted;
    for (const track of call.outgoing?.getAudioTracks() ?? []) track.enabled = !muted;
  }

  setVolume(peer: string, volume: number): void {
    const call = this.callWith(peer);
    call.volume = Math.max(0, Math.min(100, volume));
    if (call.gain) call.gain.gain.value = call.volume / 100;
  }

  setPosition(peer: string, x: number, y: number, z: number): void {
    const call = this.callWith(peer);
    call.position = [x, y, z];
    if (call.panner) {
      call.panner.positionX.value = x;
      call.panner.positionY.value = y;
      call.panner.positionZ.value = z;
    }
  }

  destroy(): void {
    for (const peer of [...this.calls.keys()]) this.release(peer);
    for (const off of this.unsubscribe) off();
    for (const track of this.microphone?.getTracks() ?? []) track.stop();
    this.microphone = null;
    void this.context?.close();
    this.context = null;
  }

  private callWith(peer: string): Call {
    let call = this.calls.get(peer);
    if (!call) {
      call = { state: 'idle', volume: 100, position: [0, 0, 0], muted: false };
      this.calls.set(peer, call);
    }
    return call;
  }

  private async sendMicrophone(peer: string, call: Call): Promise<void> {
    if (this.mesh.viaRelay(peer))
      throw new CloudLinkError('not-relayed', `voice is not relayed: calls need a direct link, and ${peer} is reached through the relay`, { peer });
    const link = this.mesh.link(peer);
    if (!link?.connected) throw new CloudLinkError('not-open', `peer ${peer} is not connected`, { peer });
    if (!this.microphone) await this.requestMicrophone();
    call.outgoing = this.microphone!.clone();
    for (const track of call.outgoing.getAudioTracks()) track.enabled = !call.muted;
    this.mesh.voicePeers.add(peer);
    link.addStream(call.outgoing);
  }

  private streamArrived(peer: string, stream: MediaStream): void {
    const call = this.callWith(peer);
    call.incoming = stream;
    if (call.state === 'idle') {
      call.state = 'ringing';
      this.emit('voice', 'ringing', peer);
    } else if (call.state === 'calling') {
      call.state = 'in call';
      this.play(call);
      this.emit('voice', 'answered', peer);
    }
  }

  private play(call: Call): void {
    if (!call.incoming || call.source) return;
    const AudioContextClass = globalThis.AudioContext;
    if (!AudioContextClass) {
      this.emit('error', new CloudLinkError('unsupported', 'Web Audio is not available: cannot play the call'));
      return;
    }
    this.context ??= new AudioContextClass();
    void this.context.resume();
    // An element, not new Audio(): it plays a stream, no URL (the gallery's lint asks canFetch before any new Audio).
    call.sink = document.createElement('audio');
    call.sink.muted = true;
    call.sink.srcObject = call.incoming;
    void call.sink.play().catch(() => {});
    call.source = this.context.createMediaStreamSource(call.incoming);
    call.gain = this.context.createGain();
    call.gain.gain.value = call.volume / 100;
    call.panner = this.context.createPanner();
    call.panner.panningModel = 'HRTF';
    [call.panner.positionX.value, call.panner.positionY.value, call.panner.positionZ.value] = call.position;
    call.source.connect(call.gain).connect(call.panner).connect(this.context.destination);
    call.analyser = this.context.createAnalyser();
    call.source.connect(call.analyser);
  }

  /** Loudness (RMS) of the remote voice right now: 0 means no audio is arriving. */
  private level(call: Call): number {
    const data = new Float32Array(call.analyser!.fftSize);
    call.analyser!.getFloatTimeDomainData(data);
    return Math.sqrt(data.reduce((sum, v) => sum + v * v, 0) / data.length);
  }

  private ended(peer: string, event: 'hungup' | 'declined'): void {
    if (!this.calls.has(peer)) return;
    this.release(peer);
    this.emit('voice', event, peer);
  }

  private release(peer: string): void {
    const call = this.calls.get(peer);
    if (!call) return;
    this.calls.delete(peer);
    this.mesh.voicePeers.delete(peer);
    const link = this.mesh.link(peer);
    if (call.outgoing) {
      if (link?.connected) {
        try {
          link.removeStream(call.outgoing);
        } catch {
          /* the link is going away anyway */
        }
      }
      for (const track of call.outgoing.getTracks()) track.stop();
    }
    call.source?.disconnect();
    call.gain?.disconnect();
    call.panner?.disconnect();
    call.analyser?.disconnect();
    if (call.sink) call.sink.srcObject = null;
  }
}
