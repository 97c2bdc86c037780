// The part of readable-stream's Duplex that simple-peer uses, instead of the ≈ 35 KB package
// (with string_decoder and its helpers). simple-peer extends Duplex for its stream API, which the
// extension never uses: PeerLink takes messages from the data channels directly (it replaces
// `_onChannelMessage`) and sends on them. What simple-peer itself touches: the constructor,
// `push(null)` and `end()` with their `_readableState.ended` / `_writableState.finished` flags when
// it is destroyed, the 'finish' event, and `write()` → `_write()`.
const { EventEmitter } = require('events');

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
