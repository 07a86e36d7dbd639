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
  at(deadlineMs: number, fn: () => void): TimerHandle;
}

/** systemClock is the monotonic wall clock (performance.now), immune to NTP steps. */
export const systemClock: Clock = {
  nowMs: () => performance.now(),
  at(deadlineMs, fn) {
    // setTimeout rounds to whole milliseconds and may fire a fraction early: re-arm until due.
    let t: NodeJS.Timeout;
    const arm = () => {
      const wait = deadlineMs - performance.now();
      if (wait <= 0) fn();
      else t = setTimeout(arm, Math.ceil(wait));
    };
    t = setTimeout(arm, Math.max(0, Math.ceil(deadlineMs - performance.now())));
    return { cancel: () => clearTimeout(t) };
  },
};
