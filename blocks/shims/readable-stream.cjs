// The part of readable-stream's Duplex that simple-peer uses, instead of the ≈ 35 KB package
// (with string_decoder and its helpers). simple-peer extends Duplex for its stream API, which the
// extension never uses: PeerLink takes messages from the data channels directly (it replaces
// `_onChannelMessage`) and sends on them. What simple-peer itself touches: the constructor,
// `push(null)` and `end()` with their `_readableState.ended` / `_writableState.finished` flags when
// it is destroyed, the 'finish' event, and `write()` → `_write()`.

// The EventEmitter methods simple-peer (emit, once, removeListener) and PeerLink (on, emit) call, and
// only those, in
// place of the 'events' package (≈ 6 KB of the bundle). Node's rule kept: an 'error' nobody listens
// to is thrown.
class EventEmitter {
  constructor() {
    this._cl5Listeners = new Map();
  }

  on(name, listener) {
    const list = this._cl5Listeners.get(name);
    if (list) list.push(listener);
    else this._cl5Listeners.set(name, [listener]);
    return this;
  }

  once(name, listener) {
    const once = (...args) => {
      this.removeListener(name, once);
      listener.apply(this, args);
    };
    once.listener = listener;
    return this.on(name, once);
  }

  removeListener(name, listener) {
    const list = this._cl5Listeners.get(name) || [];
    const index = list.findIndex((l) => l === listener || l.listener === listener);
    if (index >= 0) list.splice(index, 1);
    return this;
  }

  emit(name, ...args) {
    const list = this._cl5Listeners.get(name);
    if (!list || list.length === 0) {
      if (name === 'error') throw args[0] instanceof Error ? args[0] : new Error(`unhandled error event: ${args[0]}`);
      return false;
    }
    for (const listener of [...list]) listener.apply(this, args);
    return true;
  }
}

class Duplex extends EventEmitter {
  constructor() {
    super();
    this._readableState = { ended: false };
    this._writableState = { finished: false };
    this.readable = true;
    this.writable = true;
  }

  /** Data is only ever pushed by simple-peer's own message handler, which PeerLink replaces. */
  push(chunk) {
    if (chunk === null) this._readableState.ended = true;
    else this.emit('data', chunk);
    return false;
  }

  write(chunk, encoding, callback) {
    const done = typeof encoding === 'function' ? encoding : callback || (() => {});
    this._write(chunk, typeof encoding === 'string' ? encoding : 'utf8', done);
    return true;
  }

  end() {
    if (this._writableState.finished) return;
    this._writableState.finished = true;
    this.emit('finish');
  }
}

module.exports = { Duplex };
