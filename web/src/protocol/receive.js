// Receiving a transfer (docs/protocol.md "Transfer"; src/Tallow.Protocol/Transfer/TransferReceiver*.cs):
// Offer → every path checked → Accept (empty: every file from 0) | Reject; per file Data* then
// FileDone{index, size, BLAKE3}, or raw FileBatch records for small files; End → Done. Every
// file's BLAKE3 is checked (constant time) before its sink is closed; a mismatch aborts the sink,
// sends ReceiverCancel{integrity} and rejects 'tampered'. Texts (≤ 16 MiB) are taken at once.
import { blake3 } from './blake3.js';
import { equalConstantTime } from './bytes.js';
import { TallowError } from './errors.js';
import { CancelReason, Kind } from './kinds.js';
import { EntryType, FLAG_BATCHES, TransferKind, UNKNOWN_SIZE, parseFileBatch, parseFileDone, parseOffer } from './offer.js';
import { isHidden, splitPath } from './paths.js';
import { parseReason, reasonBody } from './session.js';

export const MAX_TEXT_BYTES = 16 * 1024 * 1024;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MAX_DATE_SECONDS = 8_640_000_000_000n; // the JavaScript Date range

/** Offered mtime (i64 seconds) in ms, or null when outside what a Date can hold. */
const mtimeMs = (seconds) => (seconds > MAX_DATE_SECONDS || seconds < -MAX_DATE_SECONDS ? null : Number(seconds) * 1000);

async function protocolError(session, what) {
  await session.send(Kind.ReceiverCancel, reasonBody(CancelReason.Protocol, what)).catch(() => {});
  return new TallowError('protocol', `the sender broke the transfer protocol: ${what}`);
}

function peerCancel(body) {
  const r = parseReason(body);
  return new TallowError('cancelled', `the sender cancelled${r?.text ? `: ${r.text}` : ''}`);
}

/** Waits for the Offer and checks it: { offer (the API shape), raw } or throws. */
export async function awaitOffer(session) {
  const rec = await session.next();
  if (rec.kind === Kind.Cancel) throw peerCancel(rec.body);
  const raw = rec.kind === Kind.Offer ? parseOffer(rec.body) : null;
  if (raw === null) throw await protocolError(session, 'malformed offer');
  if (raw.kind === TransferKind.Sync || raw.kind === TransferKind.Watch) {
    await session.send(Kind.Reject, reasonBody(CancelReason.Declined, 'the web page cannot receive a sync')).catch(() => {});
    throw new TallowError('protocol', 'the sender offered a sync, which the web page cannot receive');
  }
  if ((raw.kind === TransferKind.Text || raw.kind === TransferKind.Stream) && (raw.entries.length !== 1 || raw.entries[0].type !== EntryType.File)) {
    throw await protocolError(session, 'malformed offer');
  }
  const files = []; const folders = []; let totalBytes = 0;
  for (let i = 0; i < raw.entries.length; i++) {
    const e = raw.entries[i];
    const split = splitPath(e.path);
    if (split.problem) throw await protocolError(session, 'unsafe path in offer');
    if (e.type === EntryType.Directory) { folders.push({ path: split.parts.join('/'), index: i }); continue; }
    if (e.size !== UNKNOWN_SIZE && e.size > MAX_SAFE) throw await protocolError(session, 'a file size out of range');
    const size = e.size === UNKNOWN_SIZE ? -1 : Number(e.size);
    files.push({ index: i, path: split.parts.join('/'), size, hidden: isHidden(split.parts), executable: (e.mode & 0o111) !== 0, mtimeMs: mtimeMs(e.mtime) });
    if (size > 0) totalBytes += size;
  }
  const fileDirs = new Set(files.flatMap((f) => f.path.split('/').slice(0, -1).map((_, k, a) => a.slice(0, k + 1).join('/'))));
  const emptyFolders = folders.filter((d) => !fileDirs.has(d.path) && !folders.some((o) => o.path.startsWith(`${d.path}/`))).map((d) => d.path);
  return { raw, files, folders: emptyFolders, totalBytes };
}

/**
 * Receives every offered file from offset 0. sinkFor(file) → { write, close, abort }.
 * Returns { fileCount, bytes }.
 */
export async function receiveFiles(session, parsed, sinkFor, onProgress) {
  const byIndex = new Map(parsed.files.map((f) => [f.index, f]));
  const order = parsed.files.map((f) => f.index);
  const batches = (parsed.raw.flags & FLAG_BATCHES) !== 0;
  let bytes = 0; let done = 0; let k = 0;
  const progress = (path) => onProgress?.({ bytes, totalBytes: parsed.totalBytes, path });
  while (k < order.length) {
    let rec = await session.next();
    if (rec.kind === Kind.Cancel) throw peerCancel(rec.body);
    if (rec.kind === Kind.FileBatch) {
      if (!batches) throw await protocolError(session, 'a batch in an offer without batches');
      const batch = parseFileBatch(rec.body);
      if (batch === null) throw await protocolError(session, 'malformed or compressed file batch');
      let at = batch.contentStart;
      const checked = [];
      for (const item of batch.files) {
        const file = byIndex.get(order[k + checked.length]);
        if (!file || item.index !== file.index || item.size !== file.size || item.size === 0) throw await protocolError(session, 'a batch out of plan');
        const content = rec.body.subarray(at, at + item.size);
        at += item.size;
        if (!equalConstantTime(blake3(content), item.hash)) {
          await session.send(Kind.ReceiverCancel, reasonBody(CancelReason.Integrity, 'a file failed verification')).catch(() => {});
          throw new TallowError('tampered', `${file.path} failed verification: the data was changed on the way`);
        }
        checked.push({ file, content });
      }
      for (const { file, content } of checked) {
        const sink = await sinkFor(file);
        await sink.write(content.slice());
        await sink.close();
        bytes += content.length; done++; k++;
        progress(file.path);
      }
      continue;
    }
    const file = byIndex.get(order[k]);
    const sink = await sinkFor(file);
    const hasher = blake3.create();
    let written = 0;
    try {
      while (rec.kind === Kind.Data) {
        if (rec.body.length === 0 || (file.size >= 0 && written + rec.body.length > file.size)) throw await protocolError(session, 'more data than offered');
        hasher.update(rec.body);
        await sink.write(rec.body.slice());
        written += rec.body.length; bytes += rec.body.length;
        progress(file.path);
        rec = await session.next();
      }
      if (rec.kind === Kind.Cancel) throw peerCancel(rec.body);
      const fd = rec.kind === Kind.FileDone ? parseFileDone(rec.body) : null;
      if (fd === null || fd.index !== file.index || (file.size >= 0 && fd.size !== BigInt(file.size))) throw await protocolError(session, 'expected the end of a file');
      const ok = fd.size === BigInt(written) && equalConstantTime(hasher.digest(), fd.hash);
      if (!ok) {
        await session.send(Kind.ReceiverCancel, reasonBody(CancelReason.Integrity, 'a file failed verification')).catch(() => {});
        throw new TallowError('tampered', `${file.path} failed verification: the data was changed on the way`);
      }
    } catch (e) {
      await sink.abort().catch(() => {});
      throw e;
    }
    await sink.close();
    done++; k++;
    progress(file.path);
  }
  const end = await session.next();
  if (end.kind === Kind.Cancel) throw peerCancel(end.body);
  if (end.kind !== Kind.End) throw await protocolError(session, 'expected the end of the transfer');
  await session.send(Kind.Done, new Uint8Array(0));
  return { fileCount: done, bytes };
}

/** Collects a text offer's content (after an empty Accept). */
export async function receiveText(session, parsed) {
  const file = parsed.files[0];
  if (file.size > MAX_TEXT_BYTES || file.size < 0) {
    await session.send(Kind.Reject, reasonBody(CancelReason.Declined, 'the text is too large for the web page')).catch(() => {});
    throw new TallowError('protocol', 'the text is larger than 16 MiB');
  }
  await session.send(Kind.Accept, new Uint8Array(0));
  const parts = [];
  const result = await receiveFiles(session, { ...parsed, raw: { ...parsed.raw, flags: 0 } }, async () => ({
    write: async (b) => { parts.push(b); }, close: async () => {}, abort: async () => { parts.length = 0; },
  }));
  let text;
  try { text = new TextDecoder('utf-8', { fatal: true }).decode(await new Blob(parts).arrayBuffer()); } catch { throw new TallowError('protocol', 'the text is not valid UTF-8'); }
  return { text, ...result };
}
