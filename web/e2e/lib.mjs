// Helpers for the end-to-end scenarios: a real `tallow relay serve --web` on loopback, real
// `tallow` CLI processes with --json events, Debian's headless Chromium through puppeteer-core
// with downloads captured by CDP (Browser.setDownloadBehavior), files with known hashes, and a
// TCP proxy that flips one byte. Every child process is tracked and killed by its PID at the end.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import puppeteer from 'puppeteer-core';

export const repo = resolve(new URL('../..', import.meta.url).pathname);
export const tallowBinary = process.env.TALLOW_BIN || join(repo, 'artifacts', 'tallow', 'tallow');
export const chromiumPath = process.env.TALLOW_CHROMIUM || '/usr/bin/chromium';
const children = new Set();

export function log(...args) { process.stderr.write(`[e2e ${new Date().toISOString().slice(11, 23)}] ${args.join(' ')}\n`); }

export function tempDir(tag) { return mkdtempSync(join(tmpdir(), `tallow-web-${tag}-`)); }

/** Starts `tallow ARGS`; collects stdout JSON events and stderr; tracked for killing. */
export function runTallow(args, { cwd, env } = {}) {
  // A clean environment, as the C# tests give theirs: no relay, code, proxy or config of the machine's user.
  const base = { ...process.env };
  for (const name of ['TALLOW_RELAY', 'TALLOW_RELAY_PASS', 'TALLOW_PROXY', 'TALLOW_CODE', 'TALLOW_CONFIG', 'TALLOW_RELAY_FINGERPRINT']) delete base[name];
  const childEnv = { ...base, XDG_CONFIG_HOME: '/nonexistent/tallow-tests-config', TALLOW_NO_HISTORY: '1', NO_COLOR: '1', ...env };
  const child = spawn(tallowBinary, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const proc = { child, events: [], stderr: '', stdout: '', waiters: [] };
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text) => {
    proc.stdout += text;
    pending += text;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      try { proc.events.push(JSON.parse(line)); } catch { /* not JSON */ }
      proc.waiters = proc.waiters.filter((w) => !w());
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text) => { proc.stderr += text; });
  proc.exited = new Promise((res) => child.on('exit', (code, signal) => { children.delete(child); res(code ?? (signal ? 128 : -1)); }));
  proc.event = (name, timeoutMs = 30000) => new Promise((res, rej) => {
    const check = () => { const e = proc.events.find((x) => x.event === name); if (e) { res(e); return true; } return false; };
    if (check()) return;
    proc.waiters.push(check);
    const timer = setTimeout(() => rej(new Error(`no '${name}' event from tallow ${args[0]} in ${timeoutMs} ms\nstdout:\n${proc.stdout}\nstderr:\n${proc.stderr}`)), timeoutMs);
    proc.exited.then(() => setTimeout(() => { if (!check()) { clearTimeout(timer); rej(new Error(`tallow ${args[0]} exited without '${name}'\nstdout:\n${proc.stdout}\nstderr:\n${proc.stderr}`)); } }, 50));
  });
  proc.exit = (timeoutMs = 60000) => Promise.race([proc.exited,
    new Promise((_, rej) => setTimeout(() => rej(new Error(`tallow ${args[0]} did not exit in ${timeoutMs} ms\nstderr:\n${proc.stderr}`)), timeoutMs))]);
  proc.describe = () => `tallow ${args.join(' ')} (pid ${child.pid})\nstdout:\n${proc.stdout}\nstderr:\n${proc.stderr}`;
  return proc;
}

/** A relay with the web page from `webRoot` (default: web/dist); returns { address, webUrl, proc }. */
export async function startRelay(webRoot = join(repo, 'web', 'dist')) {
  const proc = runTallow(['relay', 'serve', '--bind', '127.0.0.1:0', '--probe-port', '0', '--web', '127.0.0.1:0', '--web-root', webRoot, '--json']);
  const listening = await proc.event('relay_listening');
  if (!listening.web) throw new Error(`the relay printed no web address: ${JSON.stringify(listening)}`);
  return { address: listening.address, webUrl: `http://${listening.web}/`, proc };
}

export async function launchBrowser() {
  const browser = await puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--no-first-run', '--disable-gpu'],
    protocolTimeout: 600000,
  });
  const pid = browser.process()?.pid;
  if (pid) children.add({ pid, kill: (s) => process.kill(pid, s) });
  return browser;
}

/** Allows downloads into `dir` (in the default context, or `context`); resolves names of completed downloads. */
export async function captureDownloads(browser, dir, context = null) {
  const session = await browser.target().createCDPSession();
  const scope = context ? { browserContextId: context.id } : {};
  await session.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dir, eventsEnabled: true, ...scope });
  const names = new Map();
  const done = [];
  const waiters = [];
  session.on('Browser.downloadWillBegin', (e) => names.set(e.guid, e.suggestedFilename));
  session.on('Browser.downloadProgress', (e) => {
    if (e.state === 'completed' || e.state === 'canceled') {
      done.push({ name: names.get(e.guid), state: e.state, path: join(dir, names.get(e.guid) ?? '?') });
      waiters.splice(0).forEach((w) => w());
    }
  });
  return {
    async next(timeoutMs = 120000) {
      const deadline = Date.now() + timeoutMs;
      while (!done.length) {
        if (Date.now() > deadline) throw new Error('no download completed in time');
        await Promise.race([new Promise((r) => waiters.push(r)), new Promise((r) => setTimeout(r, 500))]);
      }
      return done.shift();
    },
    pending: () => names.size - done.length,
  };
}

/** A page on the relay's web address, with the File System Access pickers removed (they need a person). */
export async function openPage(browser, url, { context } = {}) {
  const page = await (context ?? browser).newPage();
  page.on('pageerror', (e) => log('page error:', e.message));
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') log('console:', m.text()); });
  await page.evaluateOnNewDocument(() => {
    delete Window.prototype.showSaveFilePicker;
    delete Window.prototype.showDirectoryPicker;
    delete window.showSaveFilePicker;
    delete window.showDirectoryPicker;
  });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  return page;
}

export const waitState = (page, panel, states, timeoutMs = 120000) =>
  page.waitForFunction((p, s) => s.includes(document.getElementById(p).dataset.state), { timeout: timeoutMs, polling: 100 }, panel, states);

export const textOf = (page, id) => page.$eval(`#${id}`, (el) => el.textContent);

export async function sha256File(path) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest('hex');
}

/** Writes `size` random bytes to `path` in 1 MiB pieces; returns its sha256. */
export async function randomFile(path, size) {
  const out = createWriteStream(path);
  const hash = createHash('sha256');
  for (let left = size; left > 0;) {
    const piece = randomBytes(Math.min(left, 1 << 20));
    hash.update(piece);
    if (!out.write(piece)) await once(out, 'drain');
    left -= piece.length;
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}

/** A small folder: nested files, an executable, a hidden file, an empty folder. */
export async function makeFolder(root) {
  mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
  mkdirSync(join(root, 'empty'), { recursive: true });
  await randomFile(join(root, 'a.bin'), 300000);
  await randomFile(join(root, 'sub', 'b.txt'), 1234);
  await randomFile(join(root, 'sub', 'deeper', 'c.dat'), 2 << 20);
  await randomFile(join(root, 'run.sh'), 100);
  chmodSync(join(root, 'run.sh'), 0o755);
  await randomFile(join(root, '.hidden'), 10);
}

/** relative path → sha256 of every file under `root`. */
export async function treeHashes(root) {
  const out = {};
  const walk = async (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) await walk(p);
      else out[relative(root, p)] = await sha256File(p);
    }
  };
  await walk(root);
  return out;
}

/** A TCP proxy to `target` that flips one bit of the client→server byte at `flipAt`. */
export async function flippingProxy(target, flipAt) {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    let seen = 0;
    client.on('data', (data) => {
      if (seen <= flipAt && flipAt < seen + data.length) { data = Buffer.from(data); data[flipAt - seen] ^= 0x01; server.flipped = true; }
      seen += data.length;
      upstream.write(data);
    });
    upstream.on('data', (data) => client.write(data));
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('close', end); upstream.on('close', end); client.on('error', end); upstream.on('error', end);
  });
  server.flipped = false;
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  return { server, address: `127.0.0.1:${server.address().port}` };
}

/** Kills every child still running (by PID) and removes temp dirs. */
export function cleanup(dirs = []) {
  for (const child of children) { try { child.kill('SIGKILL'); } catch { /* gone */ } }
  children.clear();
  for (const d of dirs) if (d && existsSync(d)) rmSync(d, { recursive: true, force: true });
}

export function assert(condition, message) { if (!condition) throw new Error(message); }
