// Frames over a byte stream (docs/protocol.md "Frames"): u32 BE length | u8 type | payload.
// The transport delivers arbitrary chunks (WebSocket messages mean nothing); FrameReader buffers
// at most one frame, checks the length against the caller's bound before waiting for the body,
// and never allocates more than the declared (bounded) length.
import { TallowError } from './errors.js';

export const HEADER_SIZE = 5;
export const MAX_LENGTH = 16 * 1024 * 1024 + 64;
export const MAX_UNPAIRED_LENGTH = 1024;

export const FrameType = Object.freeze({
  Hello: 0x01, Welcome: 0x02, Auth: 0x03, Allocate: 0x04, Claim: 0x05, Opened: 0x06, Paired: 0x07, Error: 0x08, Ping: 0x09,
  HandshakeInit: 0x10, HandshakeResponse: 0x11, HandshakeConfirm: 0x12, HandshakeAbort: 0x13,
  Record: 0x20,
});

export function encodeFrame(type, payload) {
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length + 1);
  out[4] = type;
  out.set(payload, HEADER_SIZE);
  return out;
}

export class FrameReader {
  /** @param transport {read(): Promise<Uint8Array|null>} */
  constructor(transport) {
    this.transport = transport;
    this.chunks = [];
    this.buffered = 0;
    this.eof = false;
  }

  /** True when bytes are already buffered (no need to wait on the transport). */
  get hasBuffered() { return this.buffered > 0; }

  async fill(n) {
    while (this.buffered < n) {
      if (this.eof) return false;
      const chunk = await this.transport.read();
      if (chunk === null) { this.eof = true; return false; }
      if (chunk.length > 0) { this.chunks.push(chunk); this.buffered += chunk.length; }
    }
    return true;
  }

  take(n) {
    const first = this.chunks[0];
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift(); else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - o);
      out.set(c.subarray(0, k), o);
      o += k;
      if (k === c.length) this.chunks.shift(); else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }

  /**
   * Next frame: { type, payload, header } or null at a clean end of stream (between frames).
   * A stream that ends inside a frame, or a length over maxLength, throws TallowError('protocol').
   */
  async read(maxLength = MAX_LENGTH) {
    if (!(await this.fill(HEADER_SIZE))) {
      if (this.buffered === 0) return null;
      throw new TallowError('protocol', 'the connection ended in the middle of a frame');
    }
    const header = this.take(HEADER_SIZE).slice();
    const length = new DataView(header.buffer).getUint32(0);
    if (length < 1 || length > maxLength) throw new TallowError('protocol', `a frame of ${length} bytes is over the limit`);
    const n = length - 1;
    if (!(await this.fill(n))) throw new TallowError('protocol', 'the connection ended in the middle of a frame');
    const payload = n === 0 ? new Uint8Array(0) : this.take(n);
    return { type: header[4], payload, header };
  }
}
