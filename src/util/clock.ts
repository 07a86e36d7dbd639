import { performance } from 'node:perf_hooks';
import { TimerHeap } from './timer-heap.js';

/** TimerHandle cancels a timer armed with Clock.at, or arms it again at a new deadline. */
export interface TimerHandle {
  cancel(): void;
  /** rearm arms the same callback for deadlineMs, whether it is armed, fired or cancelled (no allocation). */
  rearm(deadlineMs: number): void;
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

/** systemTimers is the process's one timer heap (util/timer-heap.ts): every systemClock deadline. */
export const systemTimers = new TimerHeap();

/**
 * systemClock is the monotonic wall clock (performance.now), immune to NTP steps. Its timers share
 * one heap and one Node timer; a precise timer wakes early and polls until due.
 */
export const systemClock: Clock = {
  nowMs: () => performance.now(),
  at: (deadlineMs, fn, opts) => systemTimers.at(deadlineMs, fn, opts?.precise === true),
};

/** nextTurn resolves after the current turn of the event loop (promise callbacks, timers and ready I/O first). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
