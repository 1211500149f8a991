// Test helpers: a node:net transport with the protocol's read/write/close interface, a real
// `tallow relay serve` on 127.0.0.1, and real `tallow send` / `tallow receive` processes from the
// worktree's NativeAOT build (TALLOW_BIN, else artifacts/tallow/tallow, else ./tallow at the root).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { ChunkQueue } from '../src/protocol/transport.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function tallowBin() {
  const candidates = [process.env.TALLOW_BIN, `${ROOT}artifacts/tallow/tallow`, `${ROOT}tallow`].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`no tallow binary: build it with dotnet publish src/Tallow.Cli/Tallow.Cli.csproj -c Release -o artifacts/tallow (looked at ${candidates.join(', ')})`);
  return found;
}

/** A transport over a TCP socket, with read back-pressure (pauses above 8 MiB queued). */
export function tcpTransport(port, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    const queue = new ChunkQueue();
    socket.on('data', (d) => {
      queue.push(new Uint8Array(d.buffer, d.byteOffset, d.length));
      if (queue.bytes > 8 * 1024 * 1024) socket.pause();
    });
    socket.on('end', () => queue.end());
    socket.on('close', () => queue.end());
    socket.on('error', (e) => { queue.end(); reject(e); });
    socket.once('connect', () => resolve({
      read: () => { const p = queue.read(); if (queue.bytes < 2 * 1024 * 1024) socket.resume(); return p; },
      write: (bytes) => new Promise((res, rej) => {
        if (socket.destroyed) { rej(new Error('closed')); return; }
        socket.write(bytes, (err) => (err ? rej(err) : res()));
      }),
      close: () => socket.destroy(),
      socket,
    }));
  });
}

let nextPort = 21500 + Math.floor(Math.random() * 200) * 2;
export const freePort = () => { nextPort += 2; return nextPort; };

/** Starts a relay; returns { port, stop }. */
export async function startRelay() {
  const port = freePort();
  const child = spawn(tallowBin(), ['relay', 'serve', '--bind', `127.0.0.1:${port}`, '--probe-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => { const s = net.connect({ port, host: '127.0.0.1' }, () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
    if (ok) return { port, stop: () => child.kill('SIGTERM'), child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the relay did not start');
}

/** Runs the CLI; returns { child, done: Promise<{ code, stdout, stderr }>, events (JSON lines on stdout) }. */
export function runTallow(args, { cwd, timeoutMs = 60_000 } = {}) {
  const child = spawn(tallowBin(), args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TALLOW_RELAY: '', TALLOW_RELAY_PASS: '' } });
  let stdout = ''; let stderr = '';
  const events = [];
  const listeners = [];
  child.stdout.on('data', (d) => {
    stdout += d;
    for (const line of stdout.split('\n').slice(events.length, -1)) {
      let ev = null;
      try { ev = JSON.parse(line); } catch { ev = { raw: line }; }
      events.push(ev);
      listeners.forEach((l) => l(ev));
    }
  });
  child.stderr.on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise((resolve) => child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); }));
  const waitEvent = (name) => new Promise((resolve, reject) => {
    const hit = events.find((e) => e.event === name);
    if (hit) { resolve(hit); return; }
    listeners.push((e) => { if (e.event === name) resolve(e); });
    done.then((r) => reject(new Error(`tallow exited (${r.code}) before "${name}": ${r.stderr.slice(0, 500)}`)));
  });
  return { child, done, events, waitEvent, output: () => stdout + stderr };
}

/** An in-memory sink for Receiving.accept: collects each file's bytes. */
export function memorySinks() {
  const files = new Map();
  const aborted = [];
  return {
    files, aborted,
    openFile: async (file) => {
      const parts = [];
      return {
        write: async (b) => { parts.push(b); },
        close: async () => { files.set(file.path, Buffer.concat(parts)); },
        abort: async () => { aborted.push(file.path); },
      };
    },
  };
}
