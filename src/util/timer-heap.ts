/**
 * TimerHeap is the system clock's one timer for every deadline of the process: a binary min-heap
 * of armed deadlines behind a single Node timer, in the spirit of a timer wheel. At 255 VRRP
 * instances with advert_int 0.1 a master arms 2,550 deadlines a second; one setTimeout (plus a
 * setImmediate and three closures) each cost more than the advert they send. Here arming is a
 * heap insert, cancelling a heap removal, and the deadlines due in the same turn fire in one
 * callback in deadline order, so the adverts they send leave in one batch (kernel/vrrp-socket4.ts
 * flushes its queue once the callback returns).
 *
 * A precise entry (the takeover timer) wakes PRECISE_LEAD_MS early and polls with setImmediate
 * until due: setTimeout rounds to whole milliseconds and fires about 1 ms late. Precise entries
 * keep a heap of their own, so the Node timer is armed for the earlier of the next coarse deadline
 * and the next precise one less its lead: in one heap a precise deadline just behind a coarse one
 * (255 backup instances re-arm ~700 coarse wake-ups a second) waited for that coarse setTimeout,
 * up to 1 ms late, and fired late with it (bench/scale.ts, one takeover at a time: p50 1.05 ms). Every fired entry's
 * lateness (now - deadline) is counted in `lateness`, which the metrics export.
 */
import { performance } from 'node:perf_hooks';

/** PRECISE_LEAD_MS: a precise timer wakes this early and polls with setImmediate until due. */
export const PRECISE_LEAD_MS = 2;

/** MAX_TIMEOUT_MS is the longest delay setTimeout takes (longer ones fire after 1 ms). */
const MAX_TIMEOUT_MS = 0x7fffffff;

/** LATENESS_BUCKETS_MS are the upper bounds of the lateness histogram (the last bucket is +Inf). */
export const LATENESS_BUCKETS_MS = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 250, 1000] as const;

/** LatenessStats is a cumulative histogram of how late fired timers ran. */
export interface LatenessStats {
  /** buckets[i] counts fired timers at most LATENESS_BUCKETS_MS[i] late; the last is +Inf. */
  buckets: number[];
  count: number;
  sumMs: number;
  maxMs: number;
}

/** DEFERRED marks an entry armed while the heap runs: it joins the heap when the run ends. */
const DEFERRED = -2;

/** Entry is one armed deadline; it is its own handle. */
class Entry {
  index = -1;
  constructor(
    readonly heap: TimerHeap,
    public deadlineMs: number,
    public seq: number,
    readonly fn: () => void,
    readonly precise: boolean,
  ) {}

  cancel(): void {
    if (this.index >= 0) this.heap.remove(this);
    else if (this.index === DEFERRED) this.index = -1;
  }

  /** rearm moves this entry to a new deadline, armed or not (fired, cancelled): no new entry, no new closure. */
  rearm(deadlineMs: number): void {
    this.heap.rearm(this, deadlineMs);
  }
}

/** earlier orders entries by deadline, then by arming order. */
function earlier(a: Entry, b: Entry): boolean {
  return a.deadlineMs < b.deadlineMs || (a.deadlineMs === b.deadlineMs && a.seq < b.seq);
}

/** TimerHeap schedules callbacks at absolute performance.now() deadlines. */
export class TimerHeap {
  /** coarse and precise are the two min-heaps; an entry's index is its place in its own. */
  private readonly coarse: Entry[] = [];
  private readonly preciseHeap: Entry[] = [];
  private seq = 0;
  private timeout: NodeJS.Timeout | undefined;
  /** timeoutAtMs is when the armed Node timer fires (its deadline minus the precise lead). */
  private timeoutAtMs = Number.POSITIVE_INFINITY;
  private immediate: NodeJS.Immediate | undefined;
  private running = false;
  readonly lateness: LatenessStats = {
    buckets: LATENESS_BUCKETS_MS.map(() => 0).concat(0),
    count: 0,
    sumMs: 0,
    maxMs: 0,
  };

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** size is the number of armed deadlines. */
  get size(): number {
    return this.coarse.length + this.preciseHeap.length;
  }

  /** at arms fn for deadlineMs; it never runs synchronously from at(). */
  at(deadlineMs: number, fn: () => void, precise = false): Entry {
    const e = new Entry(this, deadlineMs, this.seq++, fn, precise);
    this.place(e);
    return e;
  }

  /** place arms an entry that is not in the heap. */
  private place(e: Entry): void {
    if (this.running) {
      // Armed by a callback of this run: it waits for the next turn, so a callback re-arming
      // itself in the past cannot keep the loop from I/O.
      e.index = DEFERRED;
      this.deferred.push(e);
    } else this.insert(e);
  }

  private readonly deferred: Entry[] = [];

  /**
   * rearm gives an entry a new deadline in place (Entry.rearm): an armed one moves within the
   * heap, a fired or cancelled one is armed again. A timer re-armed every advert (2,550 a second
   * at 255 instances) then allocates nothing, so nothing of it survives into the old generation.
   */
  rearm(e: Entry, deadlineMs: number): void {
    e.deadlineMs = deadlineMs;
    e.seq = this.seq++;
    if (e.index === DEFERRED) return; // joins the heap when the run ends, at its new deadline
    if (e.index < 0) {
      this.place(e);
      return;
    }
    const h = this.heapOf(e);
    this.up(h, e.index);
    this.down(h, e.index);
    if (h[0] === e && !this.running) this.arm();
  }

  private heapOf(e: Entry): Entry[] {
    return e.precise ? this.preciseHeap : this.coarse;
  }

  private insert(e: Entry): void {
    const h = this.heapOf(e);
    e.index = h.length;
    h.push(e);
    this.up(h, e.index);
    if (h[0] === e && !this.running) this.arm();
  }

  /**
   * remove disarms an entry (Entry.cancel). While other deadlines remain, the Node timer stays: it
   * finds nothing due and re-arms. When none remain it is cleared, so a short-lived command whose
   * last deadline (a 60 s command timeout) was cancelled exits at once instead of waiting for it.
   */
  remove(e: Entry): void {
    const h = this.heapOf(e);
    const i = e.index;
    const last = h.pop()!;
    e.index = -1;
    if (this.size === 0 && !this.running) this.arm();
    if (last === e) return;
    h[i] = last;
    last.index = i;
    this.down(h, i);
    this.up(h, last.index);
  }

  /** run fires every entry that is due, in deadline order, then re-arms for the next. */
  private readonly run = (): void => {
    this.timeout = undefined;
    this.timeoutAtMs = Number.POSITIVE_INFINITY;
    this.immediate = undefined;
    this.running = true;
    try {
      // The clock is read once for everything already due, and again only when the next entry
      // is not due by that reading (the callbacks took time): the checker thread fires ~12,000
      // probes a second, and a read after each callback was 15 % of that thread's time in the
      // 1-CPU UML guest, where clock_gettime is a real system call (bench/checkers.ts profile).
      let now = this.now();
      for (;;) {
        const top = this.next();
        if (top === undefined) break;
        if (top.deadlineMs > now) {
          now = this.now();
          if (top.deadlineMs > now) break;
        }
        this.remove(top);
        this.count(now - top.deadlineMs);
        top.fn();
      }
    } finally {
      this.running = false;
      for (const e of this.deferred) if (e.index === DEFERRED) this.insert(e);
      this.deferred.length = 0;
      this.arm();
    }
  };

  /** next is the entry that fires first: the earlier top of the two heaps. */
  private next(): Entry | undefined {
    const c = this.coarse[0];
    const p = this.preciseHeap[0];
    if (c === undefined) return p;
    if (p === undefined) return c;
    return earlier(p, c) ? p : c;
  }

  private arm(): void {
    const c = this.coarse[0];
    const p = this.preciseHeap[0];
    if (c === undefined && p === undefined) {
      if (this.timeout) clearTimeout(this.timeout);
      this.timeout = undefined;
      this.timeoutAtMs = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.immediate) return; // already polling: run() sees the new top
    // The Node timer wakes for whichever comes first: the next coarse deadline, or the next
    // precise one less its lead (from then on run() polls each turn until it is due).
    const atMs = Math.min(
      c?.deadlineMs ?? Number.POSITIVE_INFINITY,
      (p?.deadlineMs ?? Number.POSITIVE_INFINITY) - PRECISE_LEAD_MS,
    );
    const wait = atMs - this.now();
    if (wait <= 0) {
      if (this.timeout) clearTimeout(this.timeout);
      this.timeout = undefined;
      this.timeoutAtMs = Number.POSITIVE_INFINITY;
      this.immediate = setImmediate(this.run);
      return;
    }
    // An armed Node timer that fires no later than needed stays; an early wake-up re-arms.
    if (this.timeout && this.timeoutAtMs <= atMs) return;
    if (this.timeout) clearTimeout(this.timeout);
    if (!Number.isFinite(wait)) {
      this.timeout = undefined;
      this.timeoutAtMs = Number.POSITIVE_INFINITY;
      return;
    }
    this.timeout = setTimeout(this.run, Math.min(MAX_TIMEOUT_MS, Math.max(1, Math.floor(wait))));
    this.timeoutAtMs = atMs;
  }

  private count(lateMs: number): void {
    const s = this.lateness;
    let i = 0;
    while (i < LATENESS_BUCKETS_MS.length && lateMs > LATENESS_BUCKETS_MS[i]!) i++;
    s.buckets[i]!++;
    s.count++;
    s.sumMs += lateMs;
    if (lateMs > s.maxMs) s.maxMs = lateMs;
  }

  private up(h: Entry[], i: number): void {
    const e = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!earlier(e, parent)) break;
      h[i] = parent;
      parent.index = i;
      i = p;
    }
    h[i] = e;
    e.index = i;
  }

  private down(h: Entry[], i: number): void {
    const n = h.length;
    const e = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && earlier(h[r]!, h[l]!) ? r : l;
      const child = h[c]!;
      if (!earlier(child, e)) break;
      h[i] = child;
      child.index = i;
      i = c;
    }
    h[i] = e;
    e.index = i;
  }
}
