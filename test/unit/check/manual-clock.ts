/** A Clock that moves only when the test says so; timers fire in deadline order during advance(). */
import type { Clock, TimerHandle } from '../../../src/util/clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** TestClock implements Clock over a manual time axis. */
export class TestClock implements Clock {
  private now = 0;
  private seq = 0;
  private timers: Timer[] = [];

  nowMs(): number {
    return this.now;
  }

  at(deadlineMs: number, fn: () => void): TimerHandle {
    const t: Timer = { at: deadlineMs, seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return {
      cancel: () => {
        t.cancelled = true;
      },
    };
  }

  /** pending counts armed timers. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** advance moves time by ms, firing due timers in order and letting promise callbacks run between them. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await flush();
      this.timers = this.timers.filter((t) => !t.cancelled);
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (next === undefined || next.at > end) break;
      this.timers.shift();
      this.now = Math.max(this.now, next.at);
      next.fn();
    }
    this.now = end;
    await flush();
  }
}

/** flush lets queued promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
