// Screenshots of the page's main states for docs/web/ (receive: code entry with word
// suggestions, offer, progress, done; send: code, command and QR code), taken in headless
// Chromium against a real relay and real `tallow` processes. The send screenshot's QR code must
// decode with zbarimg to the share link (only the nameplate). Usage: node web/e2e/screenshots.mjs [OUTDIR]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assert, cleanup, launchBrowser, log, makeFolder, openPage, randomFile, repo, runTallow, startRelay, tempDir, textOf, waitState,
} from './lib.mjs';

const out = process.argv[2] || join(repo, 'docs', 'web');
mkdirSync(out, { recursive: true });
const tmp = tempDir('shots');
const VIEW = { width: 900, height: 820, deviceScaleFactor: 1 };

try {
  const relay = await startRelay();
  const browser = await launchBrowser();
  const shot = async (page, name) => { await page.screenshot({ path: join(out, `${name}.png`) }); log('wrote', name); };

  // Receive: code entry with suggestions, then the offer of a folder.
  const folder = join(tmp, 'holiday');
  await makeFolder(folder);
  await randomFile(join(folder, 'video.mp4'), 40 << 20);
  const sender = runTallow(['send', '--relay', relay.address, '--json', '--throttle', '8MiB', folder]);
  const { code } = await sender.event('code');
  const page = await openPage(browser, relay.webUrl);
  await page.setViewport(VIEW);
  const cut = code.lastIndexOf('-');
  await page.type('#code', code.slice(0, cut + 3));
  await page.waitForSelector('#code-suggestions:not([hidden])', { timeout: 5000 });
  await shot(page, 'receive-code');
  await page.$eval('#code', (el) => { el.value = ''; });
  await page.type('#code', code);
  await page.click('#receive-connect');
  await waitState(page, 'receive', ['offer', 'error'], 60000);
  await shot(page, 'receive-offer');
  const downloads = join(tmp, 'downloads');
  mkdirSync(downloads);
  const session = await browser.target().createCDPSession();
  await session.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
  await page.click('#receive-accept');
  await waitState(page, 'receive', ['progress', 'error'], 30000);
  await page.waitForFunction(() => { const b = document.getElementById('receive-bar'); return b.value > b.max * 0.3; }, { timeout: 60000 });
  await shot(page, 'receive-progress');
  await waitState(page, 'receive', ['done', 'error'], 120000);
  assert(await page.$eval('#receive', (el) => el.dataset.state) === 'done', await textOf(page, 'receive-status'));
  await shot(page, 'receive-done');
  await sender.exit();

  // Send: a text; the code, the command and the QR code of the share link.
  const sending = await openPage(browser, relay.webUrl);
  await sending.setViewport({ ...VIEW, height: 1000 });
  await sending.click('#tab-send');
  await sending.type('#send-text', 'The Wi-Fi password is on the fridge.');
  await sending.click('#send-start');
  await sending.waitForFunction(() => document.getElementById('send-code').textContent.length > 0, { timeout: 30000 });
  await shot(sending, 'send-code');
  const sendCode = await textOf(sending, 'send-code');
  const link = await textOf(sending, 'send-link');
  const decoded = execFileSync('zbarimg', ['--raw', '-q', join(out, 'send-code.png')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  assert(decoded === link, `the QR code in the screenshot says ${JSON.stringify(decoded)}, the page shows ${JSON.stringify(link)}`);
  assert(/#[0-9]+$/.test(decoded) && !decoded.includes(sendCode.split('-')[1]), 'the link carries only the nameplate');
  const receiver = runTallow(['receive', '--relay', relay.address, '--json', '--yes', sendCode], { cwd: tmp });
  assert(await receiver.exit() === 0, receiver.describe());
  writeFileSync(join(tmp, 'decoded.txt'), decoded);
  log(`QR decodes to ${decoded}`);
  await browser.close();
} finally {
  cleanup([tmp]);
}
