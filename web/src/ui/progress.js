// A progress meter: a <progress> bar, bytes done of total, the rate over the last few seconds
// and the time left at that rate. Updates are throttled to a few per second.

import { formatBytes, formatDuration, setText } from './dom.js';

const WINDOW_MS = 3000;
const REDRAW_MS = 200;

export class ProgressMeter {
  constructor(bar, label) {
    this.bar = bar;
    this.label = label;
    this.samples = [];
    this.lastDraw = 0;
  }

  start(totalBytes) {
    this.total = totalBytes;
    this.samples = [{ t: performance.now(), bytes: 0 }];
    this.bar.max = Math.max(1, totalBytes);
    this.bar.value = 0;
    setText(this.label, `0 B of ${formatBytes(totalBytes)}`);
  }

  update(bytes, path) {
    const t = performance.now();
    this.samples.push({ t, bytes });
    while (this.samples.length > 2 && t - this.samples[0].t > WINDOW_MS) this.samples.shift();
    if (t - this.lastDraw < REDRAW_MS && bytes < this.total) return;
    this.lastDraw = t;
    this.bar.value = Math.min(bytes, this.bar.max);
    const first = this.samples[0];
    const seconds = (t - first.t) / 1000;
    const rate = seconds > 0 ? (bytes - first.bytes) / seconds : 0;
    const eta = rate > 0 ? (this.total - bytes) / rate : NaN;
    const file = path ? ` · ${path}` : '';
    setText(this.label, `${formatBytes(bytes)} of ${formatBytes(this.total)} · ${formatBytes(rate)}/s · ${formatDuration(eta)} left${file}`);
  }

  finish(bytes, seconds) {
    this.bar.value = this.bar.max;
    const rate = seconds > 0 ? bytes / seconds : 0;
    setText(this.label, `${formatBytes(bytes)} in ${formatDuration(seconds)} (${formatBytes(rate)}/s)`);
  }
}
