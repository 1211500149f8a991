// Opening a session: transport → relay room → handshake → record session → safety-number step.
// The browser cannot ask its user to compare safety numbers inside this flow, so when the CLI
// peer asked (--verify) it answers "cannot ask" (4) and stops, as a CLI without a terminal does.
import { TallowError } from './errors.js';
import { FrameReader } from './frames.js';
import { runHandshake } from './handshake.js';
import { Kind } from './kinds.js';
import { joinRoom } from './relay.js';
import { RecordSession } from './session.js';

export async function openSession(transport, { mode, nameplate, code, makeCode, onCode, onPeer, sessionOptions }) {
  const reader = new FrameReader(transport);
  let theCode = code;
  const room = await joinRoom(transport, reader, {
    mode, nameplate,
    onOpened: (n) => { if (makeCode) { theCode = makeCode(n); onCode?.(theCode); } },
  });
  onPeer?.();
  const keys = await runHandshake(transport, reader, { initiator: room.initiator, code: theCode, nameplate: room.nameplate });
  const session = new RecordSession(transport, reader, keys, room.initiator, sessionOptions);
  for (const k of Object.values(keys)) k.fill(0);
  try {
    await session.send(Kind.SafetyCheck, Uint8Array.of(0));
    const rec = await session.next();
    if (rec.kind !== Kind.SafetyCheck || rec.body.length !== 1 || rec.body[0] > 1) throw new TallowError('protocol', 'the peer broke the session protocol (safety check)');
    if (rec.body[0] === 1) {
      await session.send(Kind.SafetyCheck, Uint8Array.of(4));
      throw new TallowError('rejected', 'the other side asked to compare safety numbers (--verify), which the web page cannot do: run it without --verify');
    }
  } catch (e) {
    session.close();
    throw e;
  }
  return session;
}
