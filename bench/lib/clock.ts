import { performance } from 'node:perf_hooks';

/**
 * nowMs is wall-clock epoch milliseconds with sub-millisecond resolution, taken from the
 * monotonic performance clock. The probe loop (bench/lib/probe-loop.js) computes its times the
 * same way, so samples from the client namespace and events in the test process share one axis.
 */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
