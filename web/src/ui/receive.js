// The Receive tab: code entry (with word completion) → connect → the offer (names, sizes,
// hidden/executable flags; a text offer shown as text with a copy button) → Accept or Decline
// → progress (bar, rate, ETA) → done, or an error in words. The panel's data-state attribute
// (entry, connecting, offer, progress, done, error) names the state for styling and tests.
import { startReceive, normaliseCode } from '../protocol/index.js';
import { $, show, setText, clear, element, formatBytes, copyButton } from './dom.js';
import { describeError, errorKind } from './errors.js';
import { ProgressMeter } from './progress.js';
import { chooseDestination } from './sinks.js';
import { attachCompletion } from './completion.js';

const MAX_LISTED = 500;

export function setupReceive(wsUrl) {
  const panel = $('receive');
  const form = $('receive-form');
  const input = $('code');
  const status = $('receive-status');
  const meter = new ProgressMeter($('receive-bar'), $('receive-progress-label'));
  let receiving = null;
  let controller = null;
  let offerText = '';

  attachCompletion(input, $('code-suggestions'));
  copyButton($('receive-text-copy'), () => offerText);

  const setState = (state, message = '') => {
    panel.dataset.state = state;
    show($('receive-offer'), state === 'offer' || state === 'progress' || state === 'done');
    show($('receive-decide'), state === 'offer');
    if (state === 'offer') $('receive-accept').disabled = false;
    show($('receive-progress'), state === 'progress' || (state === 'done' && !offerText));
    show($('receive-cancel'), state === 'connecting' || state === 'progress');
    $('receive-connect').disabled = state === 'connecting' || state === 'offer' || state === 'progress';
    input.disabled = $('receive-connect').disabled;
    setText(status, message);
  };

  const fail = (error) => {
    panel.dataset.errorKind = errorKind(error);
    setState('error', describeError(error));
    if (receiving) receiving.close().catch(() => {});
    receiving = null;
  };

  const renderOffer = (offer) => {
    const list = $('receive-files');
    clear(list);
    offerText = offer.text ?? '';
    show($('receive-text-box'), offer.text !== null);
    setText($('receive-text'), offerText, true);
    if (offer.text !== null) {
      setText($('receive-summary'), `A text message (${formatBytes(new TextEncoder().encode(offerText).length)}).`);
      return;
    }
    const folders = offer.folders.length ? `, ${offer.folders.length} empty folder${offer.folders.length === 1 ? '' : 's'}` : '';
    setText($('receive-summary'), `${offer.fileCount} file${offer.fileCount === 1 ? '' : 's'}, ${formatBytes(offer.totalBytes)}${folders}.`);
    offer.files.slice(0, MAX_LISTED).forEach((file) => {
      const row = element('li', 'file');
      row.appendChild(element('span', 'name', file.path));
      row.appendChild(element('span', 'size', formatBytes(file.size)));
      if (file.hidden) row.appendChild(element('span', 'flag', 'hidden'));
      if (file.executable) row.appendChild(element('span', 'flag', 'executable'));
      list.appendChild(row);
    });
    offer.folders.slice(0, MAX_LISTED).forEach((folder) => list.appendChild(element('li', 'file folder', `${folder}/ (empty folder)`)));
    const more = offer.files.length + offer.folders.length - 2 * MAX_LISTED;
    if (offer.files.length > MAX_LISTED || offer.folders.length > MAX_LISTED) list.appendChild(element('li', 'more', `… and ${Math.max(more, 1)} more`));
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const code = normaliseCode(input.value);
    if (!code) { setState('error', 'Type the code the sender gave you, like 7-guitarist-revenge-bark.'); return; }
    controller = new AbortController();
    delete panel.dataset.errorKind;
    setState('connecting', 'Connecting through the relay and checking the code…');
    try {
      receiving = await startReceive({ wsUrl, code, signal: controller.signal });
      renderOffer(receiving.offer);
      if (receiving.offer.text !== null) {
        // A text is the whole offer and is already here: accepting only tells the sender it arrived.
        await receiving.accept({ openFile: async () => { throw new Error('a text offer has no files'); }, onProgress: () => {} });
        setState('done', 'Text received.');
        return;
      }
      setState('offer', 'The sender offers:');
    } catch (error) { fail(error); }
  });

  $('receive-accept').addEventListener('click', async () => {
    if (!receiving) return;
    const offer = receiving.offer;
    let destination;
    $('receive-accept').disabled = true; // one answer per offer, even on a double click
    try {
      destination = await chooseDestination(offer); // first: pickers need the click's user gesture
    } catch (error) {
      if (error && error.name === 'AbortError') {
        $('receive-accept').disabled = false;
        setText(status, 'No place to save was chosen. Accept again to choose one.');
        return;
      }
      fail(error);
      return;
    }
    setState('progress', 'Receiving…');
    meter.start(offer.totalBytes);
    const started = performance.now();
    try {
      const result = await receiving.accept({
        openFile: destination.openFile,
        onProgress: ({ bytes, path }) => meter.update(bytes, path),
      });
      await destination.finish(offer.folders);
      meter.finish(result.bytes, (performance.now() - started) / 1000);
      const where = destination.how === 'file-system' ? 'Saved where you chose.' : destination.how === 'zip' ? 'Saved as a zip in your downloads.' : 'Saved in your downloads.';
      setState('done', `Done: ${result.fileCount} file${result.fileCount === 1 ? '' : 's'}, every one checked (BLAKE3). ${where}`);
    } catch (error) {
      if (destination.abort) await destination.abort().catch(() => {});
      fail(error);
    } finally {
      receiving = null;
    }
  });

  $('receive-decline').addEventListener('click', () => {
    receiving?.reject().catch(() => {});
    receiving = null;
    setState('entry', 'Declined: nothing was received.');
  });

  $('receive-cancel').addEventListener('click', () => controller?.abort());
  setState('entry');
  return {
    fillNameplate(n) {
      input.value = `${n}-`;
      input.focus();
      setText(status, `Code number ${n} filled in from the link: type the words the sender told you.`);
    },
  };
}
