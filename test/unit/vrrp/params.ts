/**
 * Fixtures for the VRRP state machine tests: params() builds VrrpInstanceParams with
 * keepalived-like defaults, checkInvariants() says what every step must leave true. Pure step()
 * tests use them directly; timing tests drive the real InstanceDriver (test/unit/runner/driver-harness.ts).
 */
import type { VrrpInstanceParams, VrrpState } from '../../../src/vrrp/state-machine.js';

/** params builds VrrpInstanceParams with keepalived-like defaults and overrides. */
export function params(over: Partial<VrrpInstanceParams> = {}): VrrpInstanceParams {
  return {
    name: 'VI_1',
    version: 3,
    priority: 100,
    advertIntervalMs: 1000,
    preempt: true,
    preemptDelayMs: 0,
    localAddress: '10.0.0.2',
    family: 'inet',
    handoff: 'fast',
    initialState: 'BACKUP',
    ...over,
  };
}

/** checkInvariants throws if a step left the state inconsistent (a deadline in the past, a timer in the wrong state). */
export function checkInvariants(s: VrrpState, nowMs: number): void {
  if (s.deadlineMs !== undefined && !(s.deadlineMs > nowMs)) {
    throw new Error(`deadline ${s.deadlineMs} not after now ${nowMs} in ${s.name}`);
  }
  const expected: Record<string, (string | undefined)[]> = {
    INIT: [undefined],
    FAULT: [undefined],
    STOPPED: [undefined],
    BACKUP: ['master-down'],
    MASTER: ['adver', 'release'],
  };
  if (!expected[s.name]?.includes(s.timer)) throw new Error(`timer ${s.timer} in state ${s.name}`);
  if ((s.timer === undefined) !== (s.deadlineMs === undefined)) {
    throw new Error(`timer ${s.timer} with deadline ${s.deadlineMs}`);
  }
}
