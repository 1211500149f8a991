// Sending a transfer (docs/protocol.md "Transfer"; src/Tallow.Protocol/Transfer/TransferSender.cs):
// Offer{files|text, chunk 1 MiB, flags 0: no compression, no batches} → Accept | Reject |
// ReceiverCancel; each accepted file from its offset as Data records (on the Transfer window) and
// FileDone{index, size, BLAKE3 of the whole file}; End; then Done, or Resend → those files from 0,
// End, Done. Folders are offered as Directory entries before the files in them.
import { blake3 } from './blake3.js';
import { utf8 } from './bytes.js';
import { TallowError } from './errors.js';
import { CancelReason, Kind } from './kinds.js';
import { EntryType, TransferKind, parseAccept, parseResend, writeFileDone, writeOffer } from './offer.js';
import { splitPath } from './paths.js';
import { parseReason, reasonBody } from './session.js';

export const CHUNK_SIZE = 1024 * 1024;

/** Builds the offer entries and the list of sources from API items or a text. */
export function planOffer({ items, text }) {
  if (typeof text === 'string') {
    const bytes = utf8(text);
    if (bytes.length > 16 * 1024 * 1024) throw new TallowError('protocol', 'the text is larger than 16 MiB: send it as a file');
    return { kind: TransferKind.Text, entries: [{ type: EntryType.File, path: 'text', size: BigInt(bytes.length), mode: 0o644, mtime: 0n }], sources: [new Blob([bytes])] };
  }
  if (!Array.isArray(items) || items.length === 0) throw new TallowError('protocol', 'nothing to send');
  const entries = []; const sources = []; const dirs = new Set(); const seen = new Set();
  for (const item of items) {
    const split = splitPath(item.path);
    if (split.problem) throw new TallowError('protocol', `cannot send ${JSON.stringify(String(item.path).slice(0, 100))}: ${split.problem}`);
    const path = split.parts.join('/');
    if (seen.has(path)) throw new TallowError('protocol', `${path} is in the selection twice`);
    seen.add(path);
    for (let d = 1; d < split.parts.length; d++) {
      const dir = split.parts.slice(0, d).join('/');
      if (!dirs.has(dir)) { dirs.add(dir); entries.push({ type: EntryType.Directory, path: dir, size: 0n, mode: 0o755, mtime: 0n }); sources.push(null); }
    }
    const mtime = BigInt(Math.floor((item.file.lastModified ?? Date.now()) / 1000));
    entries.push({ type: EntryType.File, path, size: BigInt(item.file.size), mode: item.executable ? 0o755 : 0o644, mtime });
    sources.push(item.file);
  }
  return { kind: TransferKind.Files, entries, sources };
}

async function readSlice(blob, start, end) { return new Uint8Array(await blob.slice(start, end).arrayBuffer()); }

async function sendFile(session, index, blob, offset, progress) {
  const hasher = blake3.create();
  for (let p = 0; p < offset; p += CHUNK_SIZE) hasher.update(await readSlice(blob, p, Math.min(offset, p + CHUNK_SIZE)));
  for (let p = offset; p < blob.size; p += CHUNK_SIZE) {
    const chunk = await readSlice(blob, p, Math.min(blob.size, p + CHUNK_SIZE));
    hasher.update(chunk);
    await session.send(Kind.Data, chunk);
    progress(chunk.length);
  }
  await session.send(Kind.FileDone, writeFileDone(index, blob.size, hasher.digest()));
}

function answerError(rec) {
  const r = parseReason(rec.body);
  if (rec.kind === Kind.Reject) return new TallowError('rejected', `the receiver declined${r?.text ? `: ${r.text}` : ''}`);
  if (rec.kind === Kind.ReceiverCancel) {
    return r?.reason === CancelReason.Integrity
      ? new TallowError('tampered', 'the receiver found a file that failed verification')
      : new TallowError('cancelled', `the receiver cancelled${r?.text ? `: ${r.text}` : ''}`);
  }
  return new TallowError('protocol', 'the receiver broke the transfer protocol');
}

async function cancelProtocol(session, what) {
  await session.send(Kind.Cancel, reasonBody(CancelReason.Protocol, what)).catch(() => {});
  return new TallowError('protocol', `the receiver broke the transfer protocol: ${what}`);
}

/** Runs the whole send on an open session; returns { fileCount, bytes }. */
export async function sendTransfer(session, plan, onProgress) {
  await session.send(Kind.Offer, writeOffer({ kind: plan.kind, chunkSize: CHUNK_SIZE, flags: 0, entries: plan.entries }));
  const answer = await session.next();
  if (answer.kind !== Kind.Accept) throw answerError(answer);
  let accepted = parseAccept(answer.body);
  if (accepted === undefined) throw await cancelProtocol(session, 'malformed accept');
  if (accepted === null) accepted = plan.entries.map((e, index) => ({ index, offset: 0n })).filter((a) => plan.entries[a.index].type === EntryType.File);
  let previous = -1;
  for (const a of accepted) {
    const e = plan.entries[a.index];
    if (!e || a.index <= previous || e.type !== EntryType.File || a.offset > e.size) throw await cancelProtocol(session, 'an accept out of range or order');
    previous = a.index;
  }
  const totalBytes = accepted.reduce((s, a) => s + Number(plan.entries[a.index].size - a.offset), 0);
  let bytes = 0;
  const progressOf = (index) => (n) => { bytes += n; onProgress?.({ bytes, totalBytes, path: plan.entries[index].path }); };
  for (const a of accepted) await sendFile(session, a.index, plan.sources[a.index], Number(a.offset), progressOf(a.index));
  await session.send(Kind.End, new Uint8Array(0));
  let rec = await session.next();
  if (rec.kind === Kind.Resend) {
    const indices = parseResend(rec.body);
    const resumed = new Set(accepted.filter((a) => a.offset > 0n).map((a) => a.index));
    if (indices === null || indices.some((i) => !resumed.has(i))) throw await cancelProtocol(session, 'a resend of a file that was not resumed');
    for (const i of indices) await sendFile(session, i, plan.sources[i], 0, progressOf(i));
    await session.send(Kind.End, new Uint8Array(0));
    rec = await session.next();
  }
  if (rec.kind !== Kind.Done) throw answerError(rec);
  return { fileCount: accepted.length, bytes };
}
