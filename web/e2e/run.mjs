// End-to-end scenarios of the web page against a real relay and real `tallow` processes in
// headless Chromium. Usage: node web/e2e/run.mjs SCENARIO... (or "all"); exits 0 when every
// scenario passed. Each scenario starts its own relay and browser and kills them (by PID) after.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  assert, captureDownloads, cleanup, flippingProxy, launchBrowser, log, makeFolder, openPage, randomFile,
  runTallow, sha256File, startRelay, tempDir, textOf, treeHashes, waitState,
} from './lib.mjs';

const MiB = 1 << 20;
const BIG = Number(process.env.TALLOW_E2E_BIG_BYTES || 100 * MiB);

async function cliSends(relay, args) {
  const sender = runTallow(['send', '--relay', relay.address, '--json', ...args]);
  const { code } = await sender.event('code');
  return { sender, code };
}

async function browserReceives(page, code) {
  await page.type('#code', code);
  await page.click('#receive-connect');
  await waitState(page, 'receive', ['offer', 'done', 'error'], 60000);
}

// Accepts the offer shown and waits until the page says the receive is done.
async function browserAccepts(page, timeoutMs) {
  await page.click('#receive-accept');
  await waitState(page, 'receive', ['done', 'error'], timeoutMs);
  assert(await page.$eval('#receive', (el) => el.dataset.state) === 'done', `browser: ${await textOf(page, 'receive-status')}`);
}

async function browserSends(page, how) {
  await page.click('#tab-send');
  if (how.text) await page.type('#send-text', how.text);
  if (how.files) await (await page.$('#send-files')).uploadFile(...how.files);
  if (how.folder) await (await page.$('#send-folder')).uploadFile(how.folder);
  await page.click('#send-start');
  await page.waitForFunction(() => document.getElementById('send-code').textContent.length > 0, { timeout: 30000 });
  return textOf(page, 'send-code');
}

function unzipHashes(zipPath, dir) {
  execFileSync('unzip', ['-q', zipPath, '-d', dir]);
  return execFileSync('unzip', ['-t', zipPath], { encoding: 'utf8' });
}

const scenarios = {
  async 'cli-to-browser-text'({ relay, browser }) {
    const text = 'Grüße from the CLI ✓\nsecond line\ttab';
    const { sender, code } = await cliSends(relay, ['--text', text]);
    const page = await openPage(browser, relay.webUrl);
    await browserReceives(page, code);
    await waitState(page, 'receive', ['done', 'error']);
    assert(await page.$eval('#receive', (el) => el.dataset.state) === 'done', `browser: ${await textOf(page, 'receive-status')}`);
    assert(await textOf(page, 'receive-text') === text, `browser shows ${JSON.stringify(await textOf(page, 'receive-text'))}`);
    assert(await sender.exit() === 0, sender.describe());
  },

  async 'cli-to-browser-file'({ relay, browser, tmp }) {
    const file = join(tmp, 'big.bin');
    const hash = await randomFile(file, BIG);
    const downloads = join(tmp, 'downloads');
    mkdirSync(downloads);
    const capture = await captureDownloads(browser, downloads);
    const { sender, code } = await cliSends(relay, [file]);
    const page = await openPage(browser, relay.webUrl);
    await browserReceives(page, code);
    assert((await textOf(page, 'receive-files')).includes('big.bin'), 'offer lists big.bin');
    await browserAccepts(page, 300000);
    const got = await capture.next();
    assert(got.state === 'completed' && got.name === 'big.bin', `download ${JSON.stringify(got)}`);
    assert(await sha256File(got.path) === hash, 'the downloaded file differs from the one sent');
    assert(await sender.exit() === 0, sender.describe());
  },

  // Longer than the session's keep-alive (15 s) and silence (60 s) timers, through the relay's
  // WebSocket: the offer waits 70 s for the user's Accept (both sides idle but for keep-alives),
  // then 2 MiB arrive at 100 KB/s (about 21 s).
  async 'cli-to-browser-idle-then-slow'({ relay, browser, tmp }) {
    const file = join(tmp, 'slow.bin');
    const hash = await randomFile(file, 2 * MiB);
    const downloads = join(tmp, 'downloads');
    mkdirSync(downloads);
    const capture = await captureDownloads(browser, downloads);
    const { sender, code } = await cliSends(relay, ['--throttle', '100KB', file]);
    const page = await openPage(browser, relay.webUrl);
    await browserReceives(page, code);
    await new Promise((resolve) => setTimeout(resolve, 70000));
    assert(await page.$eval('#receive', (el) => el.dataset.state) === 'offer', `after 70 s idle: ${await textOf(page, 'receive-status')}`);
    await browserAccepts(page, 120000);
    const got = await capture.next();
    assert(got.state === 'completed' && await sha256File(got.path) === hash, `download ${JSON.stringify(got)}`);
    assert(await sender.exit() === 0, sender.describe());
  },

  // The browser sends at the CLI receiver's --throttle 100KB: 2 MiB in about 21 s, longer than the
  // keep-alive, with the page waiting on the receiver's window updates all along.
  async 'browser-to-cli-slow'({ relay, browser, tmp }) {
    const file = join(tmp, 'slow.bin');
    const hash = await randomFile(file, 2 * MiB);
    const out = join(tmp, 'out');
    mkdirSync(out);
    const page = await openPage(browser, relay.webUrl);
    const code = await browserSends(page, { files: [file] });
    const receiver = runTallow(['receive', '--relay', relay.address, '--json', '--yes', '--throttle', '100KB', '--out', out, code]);
    const exit = await receiver.exit(120000);
    assert(exit === 0, `${receiver.describe()}\nbrowser: ${await textOf(page, 'send-status')}`);
    assert(await sha256File(join(out, 'slow.bin')) === hash, 'the CLI received different bytes');
    await waitState(page, 'send', ['done', 'error']);
    assert(await page.$eval('#send', (el) => el.dataset.state) === 'done', `browser: ${await textOf(page, 'send-status')}`);
  },

  async 'cli-to-browser-folder'({ relay, browser, tmp }) {
    const folder = join(tmp, 'tree');
    await makeFolder(folder);
    const expected = await treeHashes(folder);
    const downloads = join(tmp, 'downloads');
    mkdirSync(downloads);
    const capture = await captureDownloads(browser, downloads);
    const { sender, code } = await cliSends(relay, [folder]);
    const page = await openPage(browser, relay.webUrl);
    await browserReceives(page, code);
    const listed = await textOf(page, 'receive-files');
    assert(listed.includes('tree/run.sh') && listed.includes('hidden') && listed.includes('executable'), `offer: ${listed}`);
    await browserAccepts(page, 120000);
    const got = await capture.next();
    assert(got.state === 'completed' && got.name === 'tree.zip', `download ${JSON.stringify(got)}`);
    const out = join(tmp, 'unzipped');
    assert(/No errors detected/.test(unzipHashes(got.path, out)), 'unzip -t');
    const actual = await treeHashes(join(out, 'tree'));
    assert(JSON.stringify(actual) === JSON.stringify(expected), `tree differs:\n${JSON.stringify(actual)}\n${JSON.stringify(expected)}`);
    const listing = execFileSync('unzip', ['-Z', got.path], { encoding: 'utf8' });
    assert(/^drwx.* tree\/empty\/$/m.test(listing), `the empty folder is in the zip:\n${listing}`);
    assert(/^-rwxr-xr-x.* tree\/run\.sh$/m.test(listing) && /^-rw-r--r--.* tree\/a\.bin$/m.test(listing), `modes in the zip:\n${listing}`);
    assert(await sender.exit() === 0, sender.describe());
  },

  async 'browser-to-cli-text'({ relay, browser, tmp }) {
    const text = 'Hello from the browser ✓\nline two';
    const page = await openPage(browser, relay.webUrl);
    const code = await browserSends(page, { text });
    // The command exactly as the page shows it (its --relay comes from the relay's /relay.json).
    await page.waitForFunction(() => document.getElementById('send-command').textContent.includes('--relay'), { timeout: 10000 });
    const shown = (await textOf(page, 'send-command')).split(' ');
    assert(shown[0] === 'tallow' && shown.at(-1) === code && shown.join(' ').includes(`--relay ${relay.address}`), `the page shows ${shown.join(' ')}`);
    const receiver = runTallow([...shown.slice(1, -1), '--json', '--yes', code], { cwd: tmp });
    const got = await receiver.event('text_received', 60000);
    assert(got.text === text, `CLI got ${JSON.stringify(got.text)}`);
    assert(await receiver.exit() === 0, receiver.describe());
    await waitState(page, 'send', ['done', 'error']);
    assert(await page.$eval('#send', (el) => el.dataset.state) === 'done', `browser: ${await textOf(page, 'send-status')}`);
  },

  async 'browser-to-cli-file'({ relay, browser, tmp }) {
    const file = join(tmp, 'big.bin');
    const hash = await randomFile(file, BIG);
    const out = join(tmp, 'out');
    mkdirSync(out);
    const page = await openPage(browser, relay.webUrl);
    const code = await browserSends(page, { files: [file] });
    const receiver = runTallow(['receive', '--relay', relay.address, '--json', '--yes', '--out', out, code]);
    const exit = await receiver.exit(300000);
    assert(exit === 0, `${receiver.describe()}\nbrowser: ${await textOf(page, 'send-status')}`);
    assert(await sha256File(join(out, 'big.bin')) === hash, 'the CLI received different bytes');
    await waitState(page, 'send', ['done', 'error']);
    assert(await page.$eval('#send', (el) => el.dataset.state) === 'done', `browser: ${await textOf(page, 'send-status')}`);
  },

  async 'browser-to-cli-folder'({ relay, browser, tmp }) {
    const folder = join(tmp, 'tree');
    await makeFolder(folder);
    const expected = await treeHashes(folder);
    const out = join(tmp, 'out');
    mkdirSync(out);
    const page = await openPage(browser, relay.webUrl);
    const code = await browserSends(page, { folder });
    const receiver = runTallow(['receive', '--relay', relay.address, '--json', '--yes', '--allow-hidden', '--out', out, code]);
    assert(await receiver.exit(120000) === 0, receiver.describe());
    const actual = await treeHashes(join(out, 'tree'));
    assert(JSON.stringify(actual) === JSON.stringify(expected), `tree differs:\n${JSON.stringify(actual)}\n${JSON.stringify(expected)}`);
    await waitState(page, 'send', ['done', 'error']);
    assert(await page.$eval('#send', (el) => el.dataset.state) === 'done', `browser: ${await textOf(page, 'send-status')}`);
  },

  async 'browser-to-browser'({ relay, browser, tmp }) {
    const file = join(tmp, 'photo.jpg');
    const hash = await randomFile(file, 5 * MiB + 123);
    const downloads = join(tmp, 'downloads');
    mkdirSync(downloads);
    const sending = await openPage(browser, relay.webUrl);
    const code = await browserSends(sending, { files: [file] });
    const context = await browser.createBrowserContext();
    const capture = await captureDownloads(browser, downloads, context);
    const receiving = await openPage(browser, relay.webUrl, { context });
    await browserReceives(receiving, code);
    await browserAccepts(receiving, 120000);
    await waitState(sending, 'send', ['done', 'error']);
    assert(await sending.$eval('#send', (el) => el.dataset.state) === 'done', `sender: ${await textOf(sending, 'send-status')}`);
    const got = await capture.next();
    assert(got.state === 'completed' && got.name === 'photo.jpg', `download ${JSON.stringify(got)}`);
    assert(await sha256File(got.path) === hash, 'the downloaded file differs from the one sent');
  },

  async 'wrong-code'({ relay, browser }) {
    const { sender, code } = await cliSends(relay, ['--text', 'secret']);
    const [nameplate, ...words] = code.split('-');
    const wrong = [nameplate, ...words.map((w, i) => (i === 0 ? (w === 'abacus' ? 'abdomen' : 'abacus') : w))].join('-');
    const page = await openPage(browser, relay.webUrl);
    await browserReceives(page, wrong);
    await waitState(page, 'receive', ['error']);
    const kind = await page.$eval('#receive', (el) => el.dataset.errorKind);
    const words2 = await textOf(page, 'receive-status');
    assert(kind === 'wrong-code', `browser error kind ${kind}: ${words2}`);
    assert(/code did not match/i.test(words2), `browser says: ${words2}`);
    const exit = await sender.exit();
    const error = sender.events.find((e) => e.event === 'error');
    assert(exit !== 0 && error && /code/i.test(error.message), `the CLI should fail on the wrong code:\n${sender.describe()}`);
  },

  async 'declined'({ relay, browser, tmp }) {
    const file = join(tmp, 'offer.bin');
    await randomFile(file, 1000);
    const { sender, code } = await cliSends(relay, [file]);
    const page = await openPage(browser, relay.webUrl);
    await browserReceives(page, code);
    await page.click('#receive-decline');
    await waitState(page, 'receive', ['entry']);
    assert(/Declined/.test(await textOf(page, 'receive-status')), 'the page says it declined');
    const exit = await sender.exit();
    const error = sender.events.find((e) => e.event === 'error');
    assert(exit !== 0 && error && /declin/i.test(error.message), `the CLI should say the receiver declined:\n${sender.describe()}`);
  },

  async 'share-link'({ relay, browser }) {
    const page = await openPage(browser, `${relay.webUrl}#42`);
    assert(await page.$eval('#code', (el) => el.value) === '42-', 'the link fills in the nameplate');
    assert(await page.$eval('#tab-receive', (el) => el.getAttribute('aria-selected')) === 'true', 'the Receive tab is shown');
    const words = await openPage(browser, `${relay.webUrl}#42-guitarist-revenge`);
    assert(await words.$eval('#code', (el) => el.value) === '', 'a fragment with words is not used');
    assert(await words.evaluate(() => window.location.hash) === '', 'a fragment with words is removed from the address bar');
  },

  async 'tampered'({ relay, browser, tmp }) {
    const file = join(tmp, 'data.bin');
    await randomFile(file, 4 * MiB);
    const proxy = await flippingProxy(relay.address, 2 * MiB);
    try {
      const { sender, code } = await cliSends({ address: proxy.address }, ['--no-p2p', file]);
      const page = await openPage(browser, relay.webUrl);
      await browserReceives(page, code);
      const downloads = join(tmp, 'downloads');
      mkdirSync(downloads);
      await captureDownloads(browser, downloads);
      await page.click('#receive-accept');
      await waitState(page, 'receive', ['done', 'error'], 120000);
      const kind = await page.$eval('#receive', (el) => el.dataset.errorKind);
      assert(proxy.server.flipped, 'the proxy flipped no byte');
      assert(kind === 'tampered', `browser: ${kind}: ${await textOf(page, 'receive-status')}`);
      assert(/changed on the way/.test(await textOf(page, 'receive-status')), 'error in words');
      assert(await sender.exit() !== 0, `the CLI sender should fail:\n${sender.describe()}`);
    } finally {
      proxy.server.close();
    }
  },
};

const wanted = process.argv.slice(2);
const names = wanted.length === 0 || wanted.includes('all') ? Object.keys(scenarios) : wanted;
let failed = 0;
for (const name of names) {
  if (!scenarios[name]) { log(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(', ')}`); failed++; continue; }
  const tmp = tempDir(name);
  let relay = null;
  const started = Date.now();
  try {
    relay = await startRelay();
    const browser = await launchBrowser();
    try {
      await scenarios[name]({ relay, browser, tmp });
    } finally {
      await browser.close().catch(() => {});
    }
    log(`PASS ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    process.stdout.write(`PASS ${name}\n`);
  } catch (error) {
    failed++;
    log(`FAIL ${name}: ${error.stack || error}`);
    if (relay) log(`relay stderr:\n${relay.proc.stderr}`);
    process.stdout.write(`FAIL ${name}\n`);
  } finally {
    cleanup([tmp]);
  }
}
process.exit(failed ? 1 : 0);
