// A minimal Buffer for simple-peer's dependencies in the browser, instead of the 25 KB `buffer`
// package. The extension never moves data through simple-peer's stream API (it uses the data
// channels directly), so what is needed is random ids (allocUnsafe + toString('hex')) and the
// conversions and type checks simple-peer's dependencies perform.
class Buffer extends Uint8Array {
  static from(value, encoding) {
    if (typeof value === 'string') {
      if (encoding === 'hex') return new Buffer((value.match(/../g) || []).map((byte) => parseInt(byte, 16)));
      return new Buffer(new TextEncoder().encode(value));
    }
    if (value instanceof ArrayBuffer) return new Buffer(value);
    return new Buffer(value);
  }
  static alloc(size) {
    return new Buffer(size);
  }
  static allocUnsafe(size) {
    return new Buffer(size);
  }
  static isBuffer(value) {
    return value instanceof Buffer;
  }
  static byteLength(value) {
    return typeof value === 'string' ? new TextEncoder().encode(value).length : value.byteLength;
  }
  static concat(list, total) {
    const out = new Buffer(total === undefined ? list.reduce((n, b) => n + b.length, 0) : total);
    let offset = 0;
    for (const part of list) {
      out.set(part.subarray(0, out.length - offset), offset);
      offset += part.length;
      if (offset >= out.length) break;
    }
    return out;
  }
  slice(start, end) {
    return new Buffer(this.subarray(start, end));
  }
  toString(encoding) {
    if (encoding === 'hex') return Array.from(this, (byte) => byte.toString(16).padStart(2, '0')).join('');
    return new TextDecoder().decode(this);
  }
}
exports.Buffer = Buffer;
