// Flow control of the Transfer stream (docs/protocol.md "Flow control"): a record costs its body
// length + 64. SendWindow: at most the window outstanding, or one record of any size while
// nothing is outstanding; grants above the outstanding amount are kept as credit (the peer's window
// may grow). ReceiveWindow: counts what arrived, refuses an overrun, and grants back what the
// consumer took once it is a quarter of the window or the inbox is empty.
export const RECORD_COST = 64;
export const TRANSFER_WINDOW = 4 * 1024 * 1024 + 4 * 1024;
export const MAX_TRANSFER_WINDOW = 8 * TRANSFER_WINDOW;
export const costOf = (bodyLength) => bodyLength + RECORD_COST;

export class SendWindow {
  constructor(window = TRANSFER_WINDOW) { this.window = window; this.outstanding = 0; this.waiters = []; this.error = null; }

  grant(bytes) {
    this.outstanding = Math.max(this.outstanding - bytes, -(MAX_TRANSFER_WINDOW - this.window));
    this.wake();
  }

  fail(error) { this.error = error; this.wake(); }

  wake() {
    const w = this.waiters; this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once a record of `cost` may go; then counts it as outstanding. */
  async acquire(cost) {
    for (;;) {
      if (this.error) throw this.error;
      if (this.outstanding <= 0 || this.outstanding + cost <= this.window) { this.outstanding += cost; return; }
      await new Promise((r) => this.waiters.push(r));
    }
  }
}

export class ReceiveWindow {
  constructor(window = TRANSFER_WINDOW) { this.window = window; this.unacknowledged = 0; this.taken = 0; }

  /** A record arrived; false when the peer overran the window (more than a window plus one record). */
  arrived(cost) {
    const before = this.unacknowledged;
    this.unacknowledged += cost;
    return before <= 0 || this.unacknowledged <= this.window;
  }

  /** The consumer took a record; returns the bytes to grant now (0: not yet). */
  took(cost, inboxEmpty) {
    this.taken += cost;
    if (this.taken >= this.window / 4 || (inboxEmpty && this.taken > 0)) {
      const g = this.taken;
      this.taken = 0;
      this.unacknowledged -= g;
      return g;
    }
    return 0;
  }
}
