// The Send tab: pick files, a folder (webkitdirectory) or drop them, or type a text; then the
// code, the `tallow receive <code>` command with a copy button, a share link and its QR code
// (only the nameplate goes in the link), progress, and done or an error in words.
// The panel's data-state attribute (pick, waiting, sending, done, error) names the state.
import { startSend } from '../protocol/index.js';
import { $, show, setText, clear, element, formatBytes, copyButton } from './dom.js';
import { describeError, errorKind } from './errors.js';
import { ProgressMeter } from './progress.js';
import { qrEncode } from './qr.js';
import { shareLink } from './link.js';
import { receiveCommandPrefix } from './relayinfo.js';

const QR_SCALE = 6;
const QR_QUIET = 4;

function drawQr(canvas, text) {
  const m = qrEncode(text);
  const n = m.length + QR_QUIET * 2;
  canvas.width = n * QR_SCALE;
  canvas.height = n * QR_SCALE;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#000';
  m.forEach((row, y) => row.forEach((dark, x) => {
    if (dark) ctx.fillRect((x + QR_QUIET) * QR_SCALE, (y + QR_QUIET) * QR_SCALE, QR_SCALE, QR_SCALE);
  }));
  canvas.setAttribute('aria-label', `QR code of the link ${text}`);
}

async function entriesOf(entry, out) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    out.push({ path: entry.fullPath.replace(/^\/+/, ''), file });
    return;
  }
  if (!entry.isDirectory) return;
  const reader = entry.createReader();
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const child of batch) await entriesOf(child, out);
  }
}

export function setupSend(wsUrl) {
  const panel = $('send');
  const status = $('send-status');
  const meter = new ProgressMeter($('send-bar'), $('send-progress-label'));
  let items = [];
  let code = '';
  let controller = null;

  let receiveCommand = 'tallow receive';
  const commandReady = receiveCommandPrefix().then((prefix) => { receiveCommand = prefix; });
  copyButton($('send-command-copy'), () => `${receiveCommand} ${code}`);
  copyButton($('send-link-copy'), () => $('send-link').textContent);

  const setState = (state, message = '') => {
    panel.dataset.state = state;
    show($('send-pick'), state === 'pick' || state === 'error' || state === 'done');
    show($('send-code-box'), state === 'waiting' || state === 'sending');
    show($('send-progress'), state === 'sending' || state === 'done');
    show($('send-cancel'), state === 'waiting' || state === 'sending');
    setText(status, message);
  };

  const renderItems = () => {
    const list = $('send-items');
    clear(list);
    const total = items.reduce((sum, i) => sum + i.file.size, 0);
    items.slice(0, 200).forEach((i) => {
      const row = element('li', 'file');
      row.appendChild(element('span', 'name', i.path));
      row.appendChild(element('span', 'size', formatBytes(i.file.size)));
      list.appendChild(row);
    });
    if (items.length > 200) list.appendChild(element('li', 'more', `… and ${items.length - 200} more`));
    setText($('send-summary'), items.length ? `${items.length} file${items.length === 1 ? '' : 's'}, ${formatBytes(total)}` : '');
    show($('send-clear'), items.length > 0);
  };

  const add = (picked) => {
    const seen = new Set(items.map((i) => i.path));
    for (const i of picked) if (!seen.has(i.path)) { items.push(i); seen.add(i.path); }
    renderItems();
  };

  $('send-files').addEventListener('change', (e) => { add([...e.target.files].map((file) => ({ path: file.name, file }))); e.target.value = ''; });
  $('send-folder').addEventListener('change', (e) => { add([...e.target.files].map((file) => ({ path: file.webkitRelativePath || file.name, file }))); e.target.value = ''; });
  $('send-clear').addEventListener('click', () => { items = []; renderItems(); });

  const drop = $('send-drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', async (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const entries = [...e.dataTransfer.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
    const out = [];
    try {
      if (entries.length) for (const entry of entries) await entriesOf(entry, out);
      else out.push(...[...e.dataTransfer.files].map((file) => ({ path: file.name, file })));
      add(out);
    } catch (error) { setText(status, `Could not read what was dropped: ${describeError(error)}`); }
  });

  $('send-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = $('send-text').value;
    if (!items.length && !text) { setState('error', 'Pick files or a folder, drop them here, or type a text first.'); return; }
    controller = new AbortController();
    delete panel.dataset.errorKind;
    setState('waiting', 'Getting a code from the relay…');
    const options = items.length ? { items } : { text };
    const started = { t: 0 };
    try {
      const result = await startSend({
        wsUrl,
        ...options,
        signal: controller.signal,
        onCode: (c) => {
          code = c;
          setText($('send-code'), c);
          commandReady.then(() => { if (code === c) setText($('send-command'), `${receiveCommand} ${c}`); });
          const link = shareLink(window.location.href, c);
          setText($('send-link'), link ?? '');
          if (link) drawQr($('send-qr'), link);
          setText(status, 'Tell the receiver the code (the link and QR code carry only its number). Waiting for them…');
        },
        onPeer: () => {
          setState('sending', 'The receiver is connected: waiting for them to accept…');
          started.t = performance.now();
          meter.start(items.length ? items.reduce((s, i) => s + i.file.size, 0) : new TextEncoder().encode(text).length);
        },
        onProgress: ({ bytes, path }) => { if (panel.dataset.state === 'sending') setText(status, 'Sending…'); meter.update(bytes, path); },
      });
      meter.finish(result.bytes, (performance.now() - (started.t || performance.now())) / 1000);
      setState('done', `Done: the receiver confirmed ${items.length ? `${result.fileCount} file${result.fileCount === 1 ? '' : 's'}` : 'the text'}.`);
    } catch (error) {
      panel.dataset.errorKind = errorKind(error);
      setState('error', describeError(error));
    }
  });

  $('send-cancel').addEventListener('click', () => controller?.abort());
  setState('pick');
}
