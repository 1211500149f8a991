// The page's entry point (bundled to dist/tallow.js): tabs, the trust notice with the relay's
// host, the download worker, and the share link's nameplate (#<number>) filled into Receive.
import { $, setText } from './dom.js';
import { setupReceive } from './receive.js';
import { setupSend } from './send.js';
import { registerDownloadWorker } from './sinks.js';
import { takeNameplateFromHash } from './link.js';

const wsUrl = `${window.location.protocol === 'https:' ? 'wss:' : 'ws:'}//${window.location.host}/ws`;

function setupTabs() {
  const tabs = [$('tab-receive'), $('tab-send')];
  const select = (tab, focus) => {
    for (const t of tabs) {
      const selected = t === tab;
      t.setAttribute('aria-selected', String(selected));
      t.tabIndex = selected ? 0 : -1;
      $(t.getAttribute('aria-controls')).hidden = !selected;
    }
    if (focus) tab.focus();
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => select(tab, false));
    tab.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        select(tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length], true);
      }
    });
  });
  return (name) => select(name === 'send' ? tabs[1] : tabs[0], false);
}

function start() {
  setText($('trust-host'), window.location.host);
  const selectTab = setupTabs();
  const receive = setupReceive(wsUrl);
  setupSend(wsUrl);
  registerDownloadWorker();
  const fromLink = () => {
    const n = takeNameplateFromHash();
    if (n) { selectTab('receive'); receive.fillNameplate(n); }
  };
  window.addEventListener('hashchange', fromLink);
  fromLink();
  document.body.dataset.ready = 'true';
}

start();
