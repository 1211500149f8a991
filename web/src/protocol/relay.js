// Relay client (docs/protocol.md "Relay", version 2): Hello → Welcome, then Allocate (sender) or
// Claim (receiver) → Opened, then Paired{2, index}; index 0 is the handshake initiator. Every
// relay frame before pairing is at most 1 KiB. A relay that asks for a password is refused here
// (the browser has no password field); Error frames become TallowError with a kind the UI words.
import { Reader, Writer } from './bytes.js';
import { TallowError, printable } from './errors.js';
import { FrameType, MAX_UNPAIRED_LENGTH, encodeFrame } from './frames.js';

export const RELAY_MAGIC = 0x544c5731; // "TLW1"
export const RELAY_VERSION = 2;

const ERROR_NAMES = {
  1: 'bad request', 2: 'version mismatch', 3: 'password required', 4: 'wrong relay password', 5: 'no such room',
  6: 'room full', 7: 'nameplate in use', 8: 'too many rooms', 9: 'too many connections', 10: 'rate limited',
  11: 'timeout', 12: 'frame too large', 13: 'shutting down', 14: 'TLS required',
};

export function relayError(payload) {
  const r = new Reader(payload);
  const code = r.u8();
  const text = r.string(512);
  if (code === null || text === null || !r.atEnd) return new TallowError('relay', 'the relay sent a malformed error');
  const words = `${ERROR_NAMES[code] ?? `error ${code}`}${text ? `: ${printable(text, 200)}` : ''}`;
  if (code === 5) return new TallowError('no-such-code', `no one is waiting with that code (${words})`);
  if (code === 6) return new TallowError('no-such-code', `that code is already in use by two peers (${words})`);
  if (code === 2) return new TallowError('version', `the relay speaks another protocol version (${words})`);
  return new TallowError('relay', `the relay refused: ${words}`);
}

/** Parses a Welcome payload; null if malformed. */
export function parseWelcome(payload) {
  const r = new Reader(payload);
  const version = r.u16();
  const family = r.u8();
  const addrLen = family === 4 ? 4 : family === 6 ? 16 : -1;
  if (version === null || addrLen < 0 || r.bytes(addrLen) === null || r.u16() === null) return null;
  const nonce = r.bytes(32);
  const auth = r.u8();
  const probe = r.u16();
  if (nonce === null || auth === null || auth > 1 || probe === null) return null;
  if (auth === 1 && r.bytes(32) === null) return null;
  if (!r.atEnd) return null;
  return { version, authRequired: auth === 1 };
}

async function expect(reader, type) {
  for (;;) {
    const f = await reader.read(MAX_UNPAIRED_LENGTH);
    if (f === null) throw new TallowError('relay', 'the relay closed the connection');
    if (f.type === FrameType.Error) throw relayError(f.payload);
    if (f.type === FrameType.Ping) continue;
    if (f.type !== type) throw new TallowError('relay', 'the relay sent an unexpected message');
    return f.payload;
  }
}

/**
 * Joins a room through the relay. mode 'allocate' (nameplate chosen by the relay when 0) or 'claim'.
 * onOpened(nameplate) is called once the room exists (the sender shows its code then).
 * Returns { nameplate, initiator }.
 */
export async function joinRoom(transport, reader, { mode, nameplate = 0, onOpened }) {
  await transport.write(encodeFrame(FrameType.Hello, new Writer(6).u32(RELAY_MAGIC).u16(RELAY_VERSION).done()));
  const welcome = parseWelcome(await expect(reader, FrameType.Welcome));
  if (welcome === null) throw new TallowError('relay', 'the relay sent a malformed welcome');
  if (welcome.authRequired) throw new TallowError('relay', 'this relay needs a password, which the web page cannot give: use the tallow CLI');
  const body = mode === 'allocate' ? new Writer(5).u8(2).u32(nameplate).done() : new Writer(4).u32(nameplate).done();
  await transport.write(encodeFrame(mode === 'allocate' ? FrameType.Allocate : FrameType.Claim, body));
  const opened = new Reader(await expect(reader, FrameType.Opened));
  const n = opened.u32();
  if (n === null || n === 0 || !opened.atEnd || (mode === 'claim' && n !== nameplate)) throw new TallowError('relay', 'the relay sent a malformed answer');
  onOpened?.(n);
  const paired = await expect(reader, FrameType.Paired);
  if (paired.length !== 2 || paired[0] !== 2 || paired[1] > 1) throw new TallowError('relay', 'the relay paired this room unexpectedly');
  return { nameplate: n, initiator: paired[1] === 0 };
}
