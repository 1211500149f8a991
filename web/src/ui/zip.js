// A streaming, store-only ZIP writer (APPNOTE 6.3.x): every entry is written once, in order,
// with general-purpose flag bit 3 (sizes and CRC-32 in a data descriptor after the data) and
// bit 11 (UTF-8 names), and always in ZIP64 form (local and central zip64 extra fields, 8-byte
// descriptor sizes, zip64 end records), so entries and archives past 4 GiB need no second pass.
// Nothing is buffered beyond one header: the sink receives bytes as they come.
import { crc32Update } from './crc32.js';

const MAX32 = 0xFFFFFFFF;
const encoder = new TextEncoder();

function dosDateTime(ms) {
  // DOS time has no zone; UTC keeps archives reproducible. Clamped to 1980..2107.
  const d = new Date(Number.isFinite(ms) ? ms : 0);
  let year = d.getUTCFullYear();
  if (year < 1980) return { time: 0, date: (0 << 9) | (1 << 5) | 1 };
  if (year > 2107) year = 2107;
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1);
  const date = ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  return { time, date };
}

class Bytes {
  constructor(size) { this.buf = new Uint8Array(size); this.view = new DataView(this.buf.buffer); this.at = 0; }
  u16(v) { this.view.setUint16(this.at, v, true); this.at += 2; return this; }
  u32(v) { this.view.setUint32(this.at, v >>> 0, true); this.at += 4; return this; }
  u64(v) { this.view.setBigUint64(this.at, BigInt(v), true); this.at += 8; return this; }
  raw(b) { this.buf.set(b, this.at); this.at += b.length; return this; }
}

/** Writes a zip to `sink` (an async function taking a Uint8Array). */
export class ZipWriter {
  constructor(sink) {
    this.sink = sink;
    this.offset = 0;
    this.entries = [];
    this.open = false;
    this.finished = false;
  }

  async #emit(bytes) { this.offset += bytes.length; await this.sink(bytes); }

  #check() {
    if (this.finished) throw new Error('zip already finished');
    if (this.open) throw new Error('previous zip entry still open');
  }

  async #local(name, mtimeMs) {
    const nameBytes = encoder.encode(name);
    const { time, date } = dosDateTime(mtimeMs);
    const header = new Bytes(30 + nameBytes.length + 20)
      .u32(0x04034b50).u16(45).u16(0x0808).u16(0).u16(time).u16(date)
      .u32(0).u32(MAX32).u32(MAX32).u16(nameBytes.length).u16(20).raw(nameBytes)
      .u16(0x0001).u16(16).u64(0).u64(0);
    const entry = { nameBytes, time, date, offset: this.offset, crc: 0, size: 0, attrs: 0 };
    await this.#emit(header.buf);
    return entry;
  }

  /** An empty directory entry; `name` is '/'-separated, without a trailing slash. */
  async addFolder(name, mtimeMs = 0) {
    this.#check();
    const entry = await this.#local(name.replace(/\/+$/, '') + '/', mtimeMs);
    entry.attrs = ((0o40755 << 16) | 0x10) >>> 0;
    await this.#emit(new Bytes(24).u32(0x08074b50).u32(0).u64(0).u64(0).buf);
    this.entries.push(entry);
  }

  /** Starts a file entry; returns { write(Uint8Array), close() }. One entry is open at a time. */
  async openFile(name, { mtimeMs = 0, executable = false } = {}) {
    this.#check();
    const entry = await this.#local(name, mtimeMs);
    entry.attrs = ((executable ? 0o100755 : 0o100644) << 16) >>> 0;
    this.open = true;
    const zip = this;
    return {
      async write(chunk) {
        entry.crc = crc32Update(entry.crc, chunk);
        entry.size += chunk.length;
        await zip.#emit(chunk);
      },
      async close() {
        await zip.#emit(new Bytes(24).u32(0x08074b50).u32(entry.crc).u64(entry.size).u64(entry.size).buf);
        zip.entries.push(entry);
        zip.open = false;
      },
    };
  }

  /** Writes the central directory and the (zip64) end records. */
  async finish() {
    this.#check();
    this.finished = true;
    const start = this.offset;
    for (const e of this.entries) {
      const c = new Bytes(46 + e.nameBytes.length + 28)
        .u32(0x02014b50).u16((3 << 8) | 45).u16(45).u16(0x0808).u16(0).u16(e.time).u16(e.date)
        .u32(e.crc).u32(MAX32).u32(MAX32).u16(e.nameBytes.length).u16(28).u16(0)
        .u16(0).u16(0).u32(e.attrs).u32(MAX32).raw(e.nameBytes)
        .u16(0x0001).u16(24).u64(e.size).u64(e.size).u64(e.offset);
      await this.#emit(c.buf);
    }
    const size = this.offset - start;
    const end64 = this.offset;
    const n = this.entries.length;
    await this.#emit(new Bytes(56).u32(0x06064b50).u64(44).u16((3 << 8) | 45).u16(45).u32(0).u32(0)
      .u64(n).u64(n).u64(size).u64(start).buf);
    await this.#emit(new Bytes(20).u32(0x07064b50).u32(0).u64(end64).u32(1).buf);
    await this.#emit(new Bytes(22).u32(0x06054b50).u16(0).u16(0).u16(Math.min(n, 0xFFFF)).u16(Math.min(n, 0xFFFF))
      .u32(Math.min(size, MAX32)).u32(Math.min(start, MAX32)).u16(0).buf);
  }
}
