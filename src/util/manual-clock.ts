/**
 * ManualClock is a Clock whose time moves only when its owner says so: unit tests (and
 * simulations) advance it and every timer due fires exactly at its deadline, in deadline
 * order, so no test sleeps on real time to wait for a protocol or script timer.
 */
import { type Clock, nextTurn, type TimerHandle } from './clock.js';

interface ManualTimer {
  atMs: number;
  seq: number;
  fn: () => void;
  live: boolean;
  /** listed: the timer is in `timers` (advanceTo drops dead ones; rearm puts them back). */
  listed: boolean;
}

/** ManualClock implements Clock with time advanced by hand. */
export class ManualClock implements Clock {
  private now: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(startMs = 0) {
    this.now = startMs;
  }

  /** nowMs is the current manual time. */
  nowMs(): number {
    return this.now;
  }

  /** at arms fn for deadlineMs; a deadline in the past fires at the next advance (never synchronously). */
  at(deadlineMs: number, fn: () => void): TimerHandle {
    const t: ManualTimer = { atMs: deadlineMs, seq: this.seq++, fn, live: true, listed: true };
    this.timers.push(t);
    return {
      cancel: () => {
        t.live = false;
      },
      rearm: (atMs: number) => {
        t.atMs = atMs;
        t.seq = this.seq++;
        t.live = true;
        if (!t.listed) {
          t.listed = true;
          this.timers.push(t);
        }
      },
    };
  }

  /** pending is the number of armed, uncancelled timers. */
  get pending(): number {
    return this.timers.filter((t) => t.live).length;
  }

  /** nextDeadlineMs is the earliest armed deadline, if any. */
  nextDeadlineMs(): number | undefined {
    return this.next(Number.POSITIVE_INFINITY)?.atMs;
  }

  /** advance moves time forward by `ms`, firing every timer due on the way (also those they arm). */
  advance(ms: number): void {
    this.advanceTo(this.now + ms);
  }

  /** advanceTo moves time to `ms` (never backwards), firing every timer due on the way. */
  advanceTo(ms: number): void {
    const end = Math.max(ms, this.now);
    for (;;) {
      const due = this.next(end);
      if (!due) break;
      due.live = false;
      this.now = Math.max(this.now, due.atMs);
      due.fn();
    }
    this.now = end;
    this.timers = this.timers.filter((t) => {
      t.listed = t.live;
      return t.live;
    });
  }

  /**
   * advanceSettled is advance for asynchronous code: before and after each timer it awaits
   * `settle` (default: one turn of the event loop), so promise chains a timer started (a
   * probe, an apply) run before the next timer is due, as they would in real time.
   */
  async advanceSettled(ms: number, settle: () => Promise<void> = nextTurn): Promise<void> {
    const end = this.now + ms;
    await settle();
    for (let next = this.nextDeadlineMs(); next !== undefined && next <= end; next = this.nextDeadlineMs()) {
      this.advanceTo(next);
      await settle();
    }
    this.advanceTo(end);
    await settle();
  }

  /** advanceToSettled is advanceSettled up to the absolute time `ms`. */
  advanceToSettled(ms: number, settle?: () => Promise<void>): Promise<void> {
    return this.advanceSettled(Math.max(0, ms - this.now), settle);
  }

  private next(limitMs: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers) {
      if (!t.live || t.atMs > limitMs) continue;
      if (!best || t.atMs < best.atMs || (t.atMs === best.atMs && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
