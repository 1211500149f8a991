// Where received files go, without holding them in memory where the browser allows:
// 1. File System Access API (showSaveFilePicker / showDirectoryPicker): written in place.
// 2. Otherwise a service-worker download stream (see ../sw.js): the page hands the worker a
//    MessagePort, navigates a hidden frame to a unique URL, and the worker answers it with a
//    ReadableStream that pulls chunks from the page one at a time (back-pressure: the page sends
//    a chunk only after the worker asked for one). Several files or folders become one zip stream.
// 3. Last resort (no service worker, e.g. a private window): a Blob, which the browser may keep in memory.
// Each sink has write(Uint8Array), close() and abort().
import { ZipWriter } from './zip.js';

let workerReady = null;

/** Registers the download worker; resolves to the registration or null where unavailable. */
export function registerDownloadWorker() {
  if (!workerReady) {
    workerReady = ('serviceWorker' in navigator && window.isSecureContext)
      ? navigator.serviceWorker.register('sw.js').then(() => navigator.serviceWorker.ready).catch(() => null)
      : Promise.resolve(null);
  }
  return workerReady;
}

const hasFsAccess = () => typeof window.showSaveFilePicker === 'function' && typeof window.showDirectoryPicker === 'function';

function baseName(path) { const parts = path.split('/'); return parts[parts.length - 1] || 'download'; }

function randomId() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

async function serviceWorkerSink(registration, name, size) {
  const channel = new MessageChannel();
  const id = randomId();
  const credits = [];
  let waiter = null;
  let cancelled = false;
  let registered;
  const isRegistered = new Promise((resolve) => { registered = resolve; });
  const wake = () => { if (waiter) { const w = waiter; waiter = null; w(); } };
  channel.port1.onmessage = (event) => {
    const msg = event.data;
    if (msg && msg.type === 'registered') registered();
    if (msg && msg.type === 'pull') { credits.push(1); wake(); }
    if (msg && msg.type === 'cancel') { cancelled = true; wake(); }
  };
  registration.active.postMessage({ type: 'tallow-download', id, name, size }, [channel.port2]);
  await isRegistered;
  const frame = document.createElement('iframe');
  frame.hidden = true;
  frame.src = new URL(`__tallow/download/${id}`, registration.scope).href;
  document.body.appendChild(frame);
  const credit = async () => {
    while (!credits.length && !cancelled) await new Promise((resolve) => { waiter = resolve; });
    if (cancelled) throw new DOMException('The download was cancelled in the browser.', 'AbortError');
    credits.shift();
  };
  // A worker with no events may be stopped by the browser mid-download; a message every 10 s keeps it.
  const keepAlive = setInterval(() => registration.active?.postMessage({ type: 'keep-alive' }), 10000);
  const done = () => { clearInterval(keepAlive); setTimeout(() => frame.remove(), 30000); };
  return {
    async write(chunk) {
      await credit();
      const copy = chunk.slice();
      channel.port1.postMessage({ type: 'chunk', chunk: copy.buffer }, [copy.buffer]);
    },
    async close() { await credit(); channel.port1.postMessage({ type: 'done' }); done(); },
    async abort() { channel.port1.postMessage({ type: 'abort' }); done(); },
  };
}

function blobSink(name) {
  const parts = [];
  return {
    async write(chunk) { parts.push(chunk.slice()); },
    async close() {
      const url = URL.createObjectURL(new Blob(parts, { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    },
    async abort() { parts.length = 0; },
  };
}

async function downloadSink(name, size) {
  const registration = await registerDownloadWorker();
  return registration && registration.active ? serviceWorkerSink(registration, name, size) : blobSink(name);
}

function fsWriter(writable) {
  return {
    write: (chunk) => writable.write(chunk),
    close: () => writable.close(),
    abort: () => writable.abort(),
  };
}

/** "name (n).ext" as the CLI numbers a name that is taken. */
function numbered(name, n) {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
}

/** A new file in the chosen folder: never an existing one (nothing there is replaced), like the CLI. */
async function freeFileHandle(dir, name) {
  for (let n = 0; n < 10000; n++) {
    const candidate = n === 0 ? name : numbered(name, n);
    try {
      await dir.getFileHandle(candidate);
    } catch (e) {
      if (e.name === 'NotFoundError') return dir.getFileHandle(candidate, { create: true });
      if (e.name !== 'TypeMismatchError') throw e; // a folder has this name: try the next one
    }
  }
  throw new Error(`no free name for ${name} in the chosen folder`);
}

/**
 * Asks where to save (must run inside the click that accepted: pickers need a user gesture)
 * and returns { openFile(file), finish(folders), abort(), how } for Receiving.accept.
 */
export async function chooseDestination(offer) {
  const single = offer.files.length === 1 && offer.folders.length === 0;
  if (hasFsAccess()) {
    if (single) {
      const handle = await window.showSaveFilePicker({ suggestedName: baseName(offer.files[0].path) });
      return {
        how: 'file-system',
        openFile: async () => fsWriter(await handle.createWritable()),
        finish: async () => {},
      };
    }
    const root = await window.showDirectoryPicker({ mode: 'readwrite' });
    const dir = async (parts) => {
      let d = root;
      for (const p of parts) d = await d.getDirectoryHandle(p, { create: true });
      return d;
    };
    return {
      how: 'file-system',
      openFile: async (file) => {
        const parts = file.path.split('/');
        const d = await dir(parts.slice(0, -1));
        return fsWriter(await (await freeFileHandle(d, parts[parts.length - 1])).createWritable());
      },
      finish: async (folders) => { for (const f of folders) await dir(f.split('/')); },
    };
  }
  if (single) {
    const file = offer.files[0];
    return {
      how: 'download',
      openFile: async () => downloadSink(baseName(file.path), file.size),
      finish: async () => {},
    };
  }
  const top = new Set(offer.files.map((f) => f.path.split('/')[0]).concat(offer.folders.map((f) => f.split('/')[0])));
  const zipName = top.size === 1 && offer.files.every((f) => f.path.includes('/')) ? `${[...top][0]}.zip` : 'tallow-files.zip';
  const sink = await downloadSink(zipName, undefined);
  const zip = new ZipWriter((bytes) => sink.write(bytes));
  let failed = false;
  return {
    how: 'zip',
    openFile: async (file) => {
      const entry = await zip.openFile(file.path, { mtimeMs: file.mtimeMs, executable: file.executable });
      return {
        write: (chunk) => entry.write(chunk),
        close: () => entry.close(),
        abort: async () => { failed = true; await sink.abort(); },
      };
    },
    finish: async (folders) => {
      for (const f of folders) await zip.addFolder(f);
      await zip.finish();
      await sink.close();
    },
    abort: async () => { if (!failed) { failed = true; await sink.abort(); } },
  };
}
