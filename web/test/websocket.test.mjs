// The browser transport (WebSocket to the relay's /ws, src/protocol/transport.js) end to end:
// a relay started with --web, a real `tallow send` over TCP and the JavaScript receiving over
// WebSocket (node's WebSocket: run with --experimental-websocket on node 20; built in from 22),
// then the JavaScript sending over WebSocket to a real `tallow receive`.
// A relay binary without --web (a build from before the relay served WebSockets) is reported as
// a skip naming the reason; the relay of this repository has it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startReceive, startSend } from '../src/protocol/index.js';
import { freePort, memorySinks, runTallow, tallowBin } from '../testkit/helpers.mjs';

const sha = (b) => createHash('sha256').update(b).digest('hex');
const relayHasWeb = () => /--web\b/.test(spawnSync(tallowBin(), ['relay', 'serve', '--help'], { encoding: 'utf8' }).stdout ?? '');

async function waitPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => { const s = net.connect({ port, host: '127.0.0.1' }, () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

test('over WebSocket: receives a file from tallow send and sends one to tallow receive', { skip: relayHasWeb() ? false : 'this tallow relay has no --web (WebSocket) yet' }, async () => {
  assert.equal(typeof WebSocket, 'function', 'no WebSocket in this node: run node --test with --experimental-websocket (node 20) or use node 22+');
  const port = freePort(); const web = port + 1;
  const relay = spawn(tallowBin(), ['relay', 'serve', '--bind', `127.0.0.1:${port}`, '--probe-port', '0', '--web', `127.0.0.1:${web}`], { stdio: 'ignore' });
  const work = mkdtempSync(join(tmpdir(), 'tallow-ws-'));
  try {
    await waitPort(port); await waitPort(web);
    const wsUrl = `ws://127.0.0.1:${web}/ws`;
    const src = join(work, 'via-ws.bin');
    writeFileSync(src, randomBytes(5 * 1024 * 1024 + 11));
    const cli = runTallow(['send', '--relay', `127.0.0.1:${port}`, '--json', src]);
    const { code } = await cli.waitEvent('code');
    const r = await startReceive({ wsUrl, code });
    const sinks = memorySinks();
    await r.accept({ openFile: sinks.openFile });
    assert.equal(sha(sinks.files.get('via-ws.bin')), sha(readFileSync(src)));
    assert.equal((await cli.done).code, 0);

    const payload = randomBytes(3 * 1024 * 1024);
    let sendCode = null;
    const sending = startSend({ wsUrl, items: [{ path: 'from-ws.bin', file: new Blob([payload]) }], onCode: (c) => { sendCode = c; } });
    while (sendCode === null) await new Promise((res) => setTimeout(res, 20));
    const rx = runTallow(['receive', sendCode, '--relay', `127.0.0.1:${port}`, '--yes', '--out', work, '--json']);
    await sending;
    assert.equal((await rx.done).code, 0);
    assert.equal(sha(readFileSync(join(work, 'from-ws.bin'))), sha(payload));
  } finally {
    relay.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
});
