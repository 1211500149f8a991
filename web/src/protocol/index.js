// The protocol API the web page uses (contract: issue 19, /tmp/h/api.md): startReceive, startSend,
// TallowError, normaliseCode, WORDS, completeWord. `connect` (optional) opens another transport
// than the browser's WebSocket — node tests pass a node:net one — with the same read/write/close.
import { TallowError } from './errors.js';
import { generateCode, nameplateOf, normaliseCode, completeWord, WORDS } from './code.js';
import { openSession } from './connect.js';
import { CancelReason, Kind } from './kinds.js';
import { awaitOffer, receiveFiles, receiveText } from './receive.js';
import { planOffer, sendTransfer } from './send.js';
import { reasonBody } from './session.js';
import { openWebSocket } from './transport.js';

export { TallowError, normaliseCode, WORDS, completeWord };

function watchSignal(signal, session, who) {
  if (!signal) return () => {};
  const onAbort = () => { session.leave(CancelReason.Cancelled, `cancelled by the ${who}`); };
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

const cancelled = () => new TallowError('cancelled', 'cancelled');

/** Waits (briefly) for the peer to close after the last record, then closes this side. */
async function finish(session) {
  await Promise.race([session.loop, new Promise((r) => setTimeout(r, 2000))]);
  session.close();
}

export async function startReceive({ wsUrl, code, signal, connect }) {
  const normalised = normaliseCode(code);
  if (normalised === null) throw new TallowError('wrong-code', 'enter the code the sender shows');
  const nameplate = await nameplateOf(normalised);
  if (signal?.aborted) throw cancelled();
  const transport = await (connect ? connect() : openWebSocket(wsUrl, { signal }));
  let session;
  try {
    session = await openSession(transport, { mode: 'claim', nameplate, code: normalised });
  } catch (e) {
    transport.close();
    throw signal?.aborted ? cancelled() : e;
  }
  const unwatch = watchSignal(signal, session, 'receiver');
  try {
    const parsed = await awaitOffer(session);
    const publicFiles = parsed.files.map(({ path, size, hidden, executable, mtimeMs }) => ({ path, size, hidden, executable, mtimeMs }));
    let text = null; let textResult = null;
    if (parsed.raw.kind === 1) {
      textResult = await receiveText(session, parsed);
      text = textResult.text;
      unwatch();
      await finish(session);
    }
    const offer = text !== null
      ? { text, files: [], totalBytes: textResult.bytes, fileCount: 0, folders: [] }
      : { text: null, files: publicFiles, totalBytes: parsed.totalBytes, fileCount: publicFiles.length, folders: parsed.folders };
    let answered = text !== null;
    return {
      offer,
      async accept({ openFile, onProgress } = {}) {
        if (text !== null) return { fileCount: 0, bytes: textResult.bytes };
        if (answered) throw new TallowError('protocol', 'this offer was already answered');
        answered = true;
        try {
          await session.send(Kind.Accept, new Uint8Array(0));
          const byIndex = new Map(parsed.files.map((f, i) => [f.index, publicFiles[i]]));
          const result = await receiveFiles(session, parsed, (f) => openFile(byIndex.get(f.index)), onProgress);
          await finish(session);
          return result;
        } catch (e) {
          session.close();
          throw signal?.aborted ? cancelled() : e;
        } finally { unwatch(); }
      },
      async reject() {
        if (answered) return;
        answered = true;
        unwatch();
        await session.send(Kind.Reject, reasonBody(CancelReason.Declined, 'declined by the receiver')).catch(() => {});
        await finish(session);
      },
      async close() { unwatch(); await session.leave(CancelReason.Cancelled, 'cancelled by the receiver'); },
    };
  } catch (e) {
    unwatch();
    session.close();
    throw signal?.aborted ? cancelled() : e;
  }
}

export async function startSend({ wsUrl, items, text, onCode, onPeer, onProgress, signal, connect, words = 3 }) {
  const plan = planOffer({ items, text });
  if (signal?.aborted) throw cancelled();
  const transport = await (connect ? connect() : openWebSocket(wsUrl, { signal }));
  const onAbortEarly = () => transport.close();
  signal?.addEventListener('abort', onAbortEarly, { once: true });
  let session;
  try {
    session = await openSession(transport, { mode: 'allocate', nameplate: 0, makeCode: (n) => generateCode(n, words), onCode, onPeer });
  } catch (e) {
    transport.close();
    throw signal?.aborted ? cancelled() : e;
  } finally {
    signal?.removeEventListener('abort', onAbortEarly);
  }
  const unwatch = watchSignal(signal, session, 'sender');
  try {
    const result = await sendTransfer(session, plan, onProgress);
    await finish(session);
    return result;
  } catch (e) {
    session.close();
    throw signal?.aborted ? cancelled() : e;
  } finally { unwatch(); }
}
