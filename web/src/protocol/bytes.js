// Byte helpers for the wire formats: big-endian integers, u16-length UTF-8 strings, a bounded
// reader that never throws past its end (it returns null), and a constant-time comparison.
const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

export const utf8 = (s) => encoder.encode(s);

export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function equalConstantTime(a, b) {
  if (a.length !== b.length) return false;
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= a[i] ^ b[i];
  return acc === 0;
}

export function isAllZero(a) {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= a[i];
  return acc === 0;
}

export const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
export function fromHex(h) {
  if (h.length % 2 !== 0 || /[^0-9a-f]/i.test(h)) throw new Error('bad hex');
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(i * 2, 2), 16);
  return out;
}

/** Growable writer of big-endian fields. */
export class Writer {
  constructor(capacity = 64) { this.buf = new Uint8Array(capacity); this.view = new DataView(this.buf.buffer); this.n = 0; }
  ensure(k) {
    if (this.n + k <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next; this.view = new DataView(next.buffer);
  }
  u8(v) { this.ensure(1); this.buf[this.n++] = v; return this; }
  u16(v) { this.ensure(2); this.view.setUint16(this.n, v); this.n += 2; return this; }
  u32(v) { this.ensure(4); this.view.setUint32(this.n, v); this.n += 4; return this; }
  u64(v) { this.ensure(8); this.view.setBigUint64(this.n, BigInt(v)); this.n += 8; return this; }
  i64(v) { this.ensure(8); this.view.setBigInt64(this.n, BigInt(v)); this.n += 8; return this; }
  bytes(b) { this.ensure(b.length); this.buf.set(b, this.n); this.n += b.length; return this; }
  string(s) { const b = utf8(s); if (b.length > 0xffff) throw new RangeError('string too long'); return this.u16(b.length).bytes(b); }
  done() { return this.buf.slice(0, this.n); }
}

/** Bounded reader: every read returns null when the bytes are not there; nothing throws. */
export class Reader {
  constructor(bytes) { this.b = bytes; this.v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength); this.p = 0; }
  get remaining() { return this.b.length - this.p; }
  get atEnd() { return this.p === this.b.length; }
  u8() { if (this.remaining < 1) return null; return this.b[this.p++]; }
  u16() { if (this.remaining < 2) return null; const v = this.v.getUint16(this.p); this.p += 2; return v; }
  u32() { if (this.remaining < 4) return null; const v = this.v.getUint32(this.p); this.p += 4; return v; }
  u64() { if (this.remaining < 8) return null; const v = this.v.getBigUint64(this.p); this.p += 8; return v; }
  i64() { if (this.remaining < 8) return null; const v = this.v.getBigInt64(this.p); this.p += 8; return v; }
  bytes(n) { if (n < 0 || this.remaining < n) return null; const v = this.b.subarray(this.p, this.p + n); this.p += n; return v; }
  /** u16-length UTF-8 string of at most maxBytes; null if short, too long or not valid UTF-8. */
  string(maxBytes) {
    const save = this.p;
    const n = this.u16();
    if (n === null || n > maxBytes) { this.p = save; return null; }
    const raw = this.bytes(n);
    if (raw === null) { this.p = save; return null; }
    try { return strictDecoder.decode(raw); } catch { this.p = save; return null; }
  }
}
