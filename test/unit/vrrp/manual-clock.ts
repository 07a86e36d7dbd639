/**
 * Test drivers for the pure VRRP state machine: a manual clock and a one-instance driver that
 * does what the runner does (step, arm the one deadline, fire it exactly on time), so tests
 * advance time precisely and never sleep.
 */
import {
  initialState,
  step,
  type VrrpEffect,
  type VrrpEvent,
  type VrrpInstanceParams,
  type VrrpState,
} from '../../../src/vrrp/state-machine.js';

/** ManualClock is monotonic time that moves only when a test says so. */
export class ManualClock {
  constructor(public nowMs = 0) {}
  /** advance moves the clock forward by `ms`. */
  advance(ms: number): number {
    this.nowMs += ms;
    return this.nowMs;
  }
}

/** RecordedEffect is an effect with the time it was produced. */
export interface RecordedEffect {
  atMs: number;
  effect: VrrpEffect;
}

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

/** Driver runs one instance the way the runner does, on a ManualClock. */
export class Driver {
  state: VrrpState;
  readonly log: RecordedEffect[] = [];
  constructor(
    readonly p: VrrpInstanceParams,
    readonly clock = new ManualClock(),
  ) {
    this.state = initialState(p);
  }

  /** send steps one event at the current time and returns its effects. */
  send(event: VrrpEvent): VrrpEffect[] {
    const now = this.clock.nowMs;
    const { state, effects } = step(this.p, this.state, event, now);
    checkInvariants(state, now);
    this.state = state;
    for (const effect of effects) this.log.push({ atMs: now, effect });
    return effects;
  }

  /** advert delivers an advertisement (interval defaults to ours). */
  advert(priority: number, srcAddress: string, advertIntervalMs = this.p.advertIntervalMs): VrrpEffect[] {
    return this.send({ type: 'advert', priority, advertIntervalMs, srcAddress });
  }

  /** advanceTo moves the clock to `ms`, firing every deadline on the way exactly at its time. */
  advanceTo(ms: number): void {
    while (this.state.deadlineMs !== undefined && this.state.deadlineMs <= ms) {
      this.clock.nowMs = this.state.deadlineMs;
      this.send({ type: 'timer' });
    }
    this.clock.nowMs = ms;
  }

  /** advance moves the clock forward by `ms`, firing deadlines on the way. */
  advance(ms: number): void {
    this.advanceTo(this.clock.nowMs + ms);
  }

  /** effects lists the recorded effects of one type (optionally since a time). */
  effects<T extends VrrpEffect['type']>(type: T, sinceMs = -1): Extract<VrrpEffect, { type: T }>[] {
    return this.log
      .filter((r) => r.atMs >= sinceMs && r.effect.type === type)
      .map((r) => r.effect as Extract<VrrpEffect, { type: T }>);
  }

  /** messages lists the log lines produced so far. */
  messages(): string[] {
    return this.effects('log').map((e) => e.message);
  }

  /** timeOf returns when the first transition to `to` happened, or undefined. */
  timeOf(to: VrrpState['name']): number | undefined {
    return this.log.find((r) => r.effect.type === 'transition' && r.effect.to === to)?.atMs;
  }
}

/** drive builds a Driver and feeds it events at absolute times, firing deadlines in between. */
export function drive(p: VrrpInstanceParams, events: { atMs: number; event: VrrpEvent }[]): Driver {
  const d = new Driver(p);
  for (const { atMs, event } of events) {
    d.advanceTo(atMs);
    d.send(event);
  }
  return d;
}
