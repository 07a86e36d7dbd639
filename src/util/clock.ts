import { performance } from 'node:perf_hooks';

/** TimerHandle cancels a timer armed with Clock.at. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * Clock is the runner's only source of time: monotonic milliseconds and one-shot timers at
 * absolute deadlines. The state machine never reads it; the runner passes `nowMs` in.
 */
export interface Clock {
  nowMs(): number;
  /**
   * at calls fn at deadlineMs. `precise` asks for sub-millisecond accuracy (the takeover timer:
   * every millisecond late is a millisecond of outage) at the cost of polling the last ~2 ms.
   */
  at(deadlineMs: number, fn: () => void, opts?: { precise?: boolean }): TimerHandle;
}

/** PRECISE_LEAD_MS: a precise timer wakes this early and polls with setImmediate until due. */
const PRECISE_LEAD_MS = 2;

/** systemClock is the monotonic wall clock (performance.now), immune to NTP steps. */
export const systemClock: Clock = {
  nowMs: () => performance.now(),
  at(deadlineMs, fn, opts) {
    // setTimeout rounds to whole milliseconds and fires about 1 ms late, sometimes a fraction
    // early: re-arm until due; a precise timer wakes early and polls (setImmediate yields to I/O).
    const lead = opts?.precise ? PRECISE_LEAD_MS : 0;
    let t: NodeJS.Timeout | undefined;
    let i: NodeJS.Immediate | undefined;
    let cancelled = false;
    const poll = () => {
      if (cancelled) return;
      if (performance.now() >= deadlineMs) fn();
      else i = setImmediate(poll);
    };
    const arm = () => {
      if (cancelled) return;
      const wait = deadlineMs - performance.now();
      if (wait <= 0) fn();
      else if (wait <= lead) poll();
      else t = setTimeout(arm, Math.max(1, Math.floor(wait - lead)));
    };
    // Never call fn synchronously from at(): callers store the handle first.
    i = setImmediate(arm);
    return {
      cancel: () => {
        cancelled = true;
        if (t) clearTimeout(t);
        if (i) clearImmediate(i);
      },
    };
  },
};
