// Transfer messages inside records (src/Tallow.Wire/RecordMessages.cs, TransferAnswerMessages.cs):
// Offer{u8 kind, u32 chunk, u8 flags, u32 n, n × {u8 type, path, u64 size, u32 mode, i64 mtime s}},
// Accept{u32 n, n × (u32 index, u64 offset)} (empty body: every file from 0), FileDone{u32 index,
// u64 size, BLAKE3(32)}, Resend{u32 n, n × u32 index}, FileBatch raw payload. Parsers are bounded
// and return null on anything malformed.
import { Reader, Writer } from './bytes.js';

export const TransferKind = Object.freeze({ Files: 0, Text: 1, Stream: 2, Sync: 3, Watch: 4 });
export const EntryType = Object.freeze({ File: 0, Directory: 1 });
export const UNKNOWN_SIZE = 0xffffffffffffffffn;
export const MAX_ENTRIES = 1_000_000;
export const MIN_CHUNK = 1024;
export const MAX_CHUNK = 16 * 1024 * 1024;
const MIN_ENTRY = 1 + 2 + 8 + 4 + 8;
export const FLAG_ZSTD = 1;
export const FLAG_BATCHES = 2;

export function parseOffer(body) {
  const r = new Reader(body);
  const kind = r.u8(); const chunk = r.u32(); const flags = r.u8(); const count = r.u32();
  if (kind === null || kind > TransferKind.Watch || chunk === null || chunk < MIN_CHUNK || chunk > MAX_CHUNK
    || flags === null || (flags & ~(FLAG_ZSTD | FLAG_BATCHES)) !== 0 || count === null || count > MAX_ENTRIES || count * MIN_ENTRY > r.remaining) return null;
  const entries = [];
  for (let i = 0; i < count; i++) {
    const type = r.u8(); const path = r.string(4096); const size = r.u64(); const mode = r.u32(); const mtime = r.i64();
    if (type === null || type > EntryType.Directory || path === null || size === null || mode === null || mtime === null) return null;
    if (type === EntryType.Directory && size !== 0n) return null;
    entries.push({ type, path, size, mode, mtime });
  }
  if (!r.atEnd) return null;
  return { kind, chunkSize: chunk, flags, entries };
}

export function writeOffer({ kind, chunkSize, flags = 0, entries }) {
  const w = new Writer(64).u8(kind).u32(chunkSize).u8(flags).u32(entries.length);
  for (const e of entries) w.u8(e.type).string(e.path).u64(e.size).u32(e.mode).i64(e.mtime);
  return w.done();
}

/** Accept body → [{ index, offset }] (null = every file from 0), or undefined when malformed. */
export function parseAccept(body) {
  if (body.length === 0) return null;
  const r = new Reader(body);
  const n = r.u32();
  if (n === null || n * 12 !== r.remaining) return undefined;
  const out = [];
  for (let i = 0; i < n; i++) out.push({ index: r.u32(), offset: r.u64() });
  return out;
}

export function writeFileDone(index, size, hash) { return new Writer(44).u32(index).u64(size).bytes(hash).done(); }

export function parseFileDone(body) {
  const r = new Reader(body);
  const index = r.u32(); const size = r.u64(); const hash = r.bytes(32);
  if (index === null || size === null || hash === null || !r.atEnd) return null;
  return { index, size, hash };
}

export function parseResend(body) {
  const r = new Reader(body);
  const n = r.u32();
  if (n === null || n * 4 !== r.remaining) return null;
  const out = [];
  for (let i = 0; i < n; i++) out.push(r.u32());
  return out;
}

/** FileBatch body (raw encoding only) → { files: [{ index, size, hash }], contentStart } or null. */
export function parseFileBatch(body) {
  const r = new Reader(body);
  const encoding = r.u8();
  if (encoding !== 0) return null;
  const count = r.u16();
  if (count === null || count === 0 || count > 4096 || count * 40 > r.remaining) return null;
  const files = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const index = r.u32(); const size = r.u32(); const hash = r.bytes(32);
    files.push({ index, size, hash });
    total += size;
  }
  if (total !== r.remaining) return null;
  return { files, contentStart: r.p };
}
