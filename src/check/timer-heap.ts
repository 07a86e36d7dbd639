/**
 * TimerHeap is a Clock that keeps every timer of the checker side in one binary min-heap and
 * arms a single timer of the underlying clock, for the earliest deadline. 12,000 checks a
 * second each with a run timer and a connect or read timeout cost two setImmediate+setTimeout
 * pairs apiece on the system clock (bench/checkers.ts); here an arm is one heap push and the
 * underlying timer is re-armed only when the earliest deadline moves. Cancelled entries are
 * dropped lazily (when they reach the top, or in one sweep once they are the majority).
 * Timers due at the same moment fire in the order they were armed; one armed by a callback
 * fires on a later turn, never in the same sweep.
 */
import type { Clock, TimerHandle } from '../util/clock.js';

/** HeapTimer is one armed timer; it is its own cancel handle. */
class HeapTimer implements TimerHandle {
  live = true;
  constructor(
    readonly atMs: number,
    readonly seq: number,
    readonly fn: () => void,
    private readonly owner: TimerHeap,
  ) {}

  cancel(): void {
    if (!this.live) return;
    this.live = false;
    this.owner.noteCancelled();
  }
}

function before(a: HeapTimer, b: HeapTimer): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}

/** TimerHeap implements Clock over one underlying timer. */
export class TimerHeap implements Clock {
  private heap: HeapTimer[] = [];
  private seq = 0;
  private dead = 0;
  private armed: { atMs: number; handle: TimerHandle } | undefined;
  private firing = false;

  constructor(private readonly base: Clock) {}

  /** nowMs is the underlying clock's time. */
  nowMs(): number {
    return this.base.nowMs();
  }

  /** at pushes a timer; the underlying timer moves only if this one is now the earliest. */
  at(deadlineMs: number, fn: () => void): TimerHandle {
    const t = new HeapTimer(deadlineMs, this.seq++, fn, this);
    this.push(t);
    if (!this.firing) this.rearm();
    return t;
  }

  /** size is the number of live timers (tests, metrics). */
  get size(): number {
    return this.heap.length - this.dead;
  }

  /** noteCancelled counts a cancelled entry; a heap mostly made of them is swept. */
  noteCancelled(): void {
    this.dead++;
    if (this.dead > 1024 && this.dead * 2 > this.heap.length) this.sweep();
  }

  private fire(): void {
    this.armed = undefined;
    this.firing = true;
    try {
      const now = this.base.nowMs();
      // Timers armed by these callbacks wait for the next turn, even when already due, so a
      // callback that re-arms at once cannot keep this loop spinning.
      const limit = this.seq;
      for (
        let top = this.heap[0];
        top !== undefined && top.atMs <= now && top.seq < limit;
        top = this.heap[0]
      ) {
        this.pop();
        if (!top.live) {
          this.dead--;
          continue;
        }
        top.live = false;
        try {
          top.fn();
        } catch (err) {
          // A throwing callback must not strand every timer behind it; the scheduler logs its own.
          queueMicrotask(() => {
            throw err;
          });
        }
      }
    } finally {
      this.firing = false;
      this.rearm();
    }
  }

  private rearm(): void {
    while (this.heap[0] !== undefined && !this.heap[0].live) {
      this.pop();
      this.dead--;
    }
    const top = this.heap[0];
    if (top === undefined) {
      this.armed?.handle.cancel();
      this.armed = undefined;
      return;
    }
    if (this.armed !== undefined && this.armed.atMs <= top.atMs) return;
    this.armed?.handle.cancel();
    this.armed = { atMs: top.atMs, handle: this.base.at(top.atMs, () => this.fire()) };
  }

  private sweep(): void {
    this.heap = this.heap.filter((t) => t.live);
    this.dead = 0;
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private push(t: HeapTimer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      this.down(0);
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
