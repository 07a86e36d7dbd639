/**
 * Properties of the VRRP state machine under random inputs (fast-check):
 * - random event sequences, through the real InstanceDriver on the manual clock, never throw,
 *   never leave a deadline in the past, keep the timer consistent with the state, and pair
 *   add-vips / remove-vips correctly; the same for step() alone with a late runner;
 * - a backup's shortcut for an advert that only resets its Master_Down_Timer (masterDownRefresh,
 *   which the receive path takes without a step) gives what the whole advert handling gives;
 * - two real drivers wired through a simulated LAN always end with exactly one MASTER once the
 *   random events stop (as long as at least one of them is up).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  initialState,
  masterDownRefresh,
  step,
  type VrrpEffect,
  type VrrpEvent,
  type VrrpInstanceParams,
} from '../../../src/vrrp/state-machine.js';
import { DriverHarness } from '../runner/driver-harness.js';
import { checkInvariants, params } from './params.js';
import { SimLan } from './sim-network.js';

const versionAndInterval = fc.oneof(
  fc.record({ version: fc.constant(2 as const), advertIntervalMs: fc.constantFrom(1000, 2000, 3000) }),
  fc.record({
    version: fc.constant(3 as const),
    advertIntervalMs: fc.integer({ min: 1, max: 400 }).map((cs) => cs * 10),
  }),
);

const instanceSettings = fc.record({
  priority: fc.oneof(fc.integer({ min: 1, max: 255 }), fc.constant(255), fc.constant(100)),
  preempt: fc.boolean(),
  preemptDelayMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 8000 })),
  handoff: fc.constantFrom('fast' as const, 'rfc' as const),
  initialState: fc.constantFrom('MASTER' as const, 'BACKUP' as const),
});

const anyEvent: fc.Arbitrary<VrrpEvent> = fc.oneof(
  fc.constant({ type: 'startup' as const }),
  fc.constant({ type: 'shutdown' as const }),
  fc.constant({ type: 'timer' as const }),
  fc.constant({ type: 'fault' as const }),
  fc.constant({ type: 'fault-cleared' as const }),
  fc.record({ type: fc.constant('priority' as const), priority: fc.integer({ min: -10, max: 300 }) }),
  fc.record({
    type: fc.constant('advert' as const),
    priority: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constant(0)),
    advertIntervalMs: fc.oneof(
      fc.constant(1000),
      fc.integer({ min: 1, max: 4095 }).map((cs) => cs * 10),
    ),
    srcAddress: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.10'),
  }),
);

describe('state machine properties', () => {
  /** pairsVips checks add-vips / remove-vips alternate, starting with an add, and end held only in MASTER. */
  function pairsVips(effects: readonly VrrpEffect[], endState: string): void {
    let held = false;
    for (const effect of effects) {
      if (effect.type === 'add-vips') {
        expect(held).toBe(false);
        held = true;
      } else if (effect.type === 'remove-vips') {
        expect(held).toBe(true);
        held = false;
      }
    }
    expect(held).toBe(endState === 'MASTER');
  }

  it('the real driver under random events never throws, never leaves a deadline in the past and pairs VIP effects', () => {
    fc.assert(
      fc.property(
        versionAndInterval,
        instanceSettings,
        fc.array(
          fc.record({
            gapMs: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 8000, noNaN: true })),
            event: anyEvent,
          }),
          { maxLength: 60 },
        ),
        (vi, settings, steps) => {
          const p: VrrpInstanceParams = params({ ...vi, ...settings });
          const d = new DriverHarness(p);
          d.send({ type: 'startup' }); // most of the protocol happens after startup
          for (const s of steps) {
            d.advance(s.gapMs); // the driver's own timers fire on the way, on time
            d.send(s.event); // the harness checks the deadline/timer invariants after every step
            if (p.priority === 255) expect(d.state.priority).toBe(255);
            else expect(d.state.priority).toBeGreaterThanOrEqual(1);
          }
          pairsVips(
            d.log.map((r) => r.effect),
            d.state.name,
          );
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a late runner (events before a due timer, stray timer events): step never throws and keeps its invariants', () => {
    fc.assert(
      fc.property(
        versionAndInterval,
        instanceSettings,
        fc.array(
          fc.record({
            gapMs: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 8000, noNaN: true })),
            event: anyEvent,
          }),
          { maxLength: 60 },
        ),
        (vi, settings, steps) => {
          // Pure step(): time moves without the timer firing, as when the event loop is late.
          const p: VrrpInstanceParams = params({ ...vi, ...settings });
          let now = 0;
          const started = step(p, initialState(p), { type: 'startup' }, now);
          let s = started.state;
          const effects: VrrpEffect[] = [...started.effects];
          for (const x of steps) {
            now += x.gapMs;
            const r = step(p, s, x.event, now);
            checkInvariants(r.state, now);
            s = r.state;
            effects.push(...r.effects);
            if (p.priority === 255) expect(s.priority).toBe(255);
            else expect(s.priority).toBeGreaterThanOrEqual(1);
          }
          pairsVips(effects, s.name);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('masterDownRefresh answers only adverts whose whole handling just moves the Master_Down_Timer', () => {
    let shortcuts = 0;
    fc.assert(
      fc.property(
        versionAndInterval,
        instanceSettings,
        fc.array(fc.record({ gapMs: fc.double({ min: 0, max: 500, noNaN: true }), event: anyEvent }), {
          maxLength: 8,
        }),
        fc.double({ min: 0, max: 500, noNaN: true }),
        fc.boolean(),
        fc.integer({ min: 1, max: 254 }),
        (vi, settings, steps, lastGapMs, again, heardPriority) => {
          const p: VrrpInstanceParams = params({ ...vi, ...settings });
          let now = 0;
          let s = step(p, initialState(p), { type: 'startup' }, now).state;
          const heard = {
            type: 'advert' as const,
            priority: heardPriority,
            advertIntervalMs: vi.advertIntervalMs,
          };
          s = step(p, s, { ...heard, srcAddress: '10.0.0.10' }, now).state;
          for (const x of steps) {
            now += x.gapMs;
            s = step(p, s, x.event, now).state;
          }
          now += lastGapMs;
          // Then the master heard last (mostly) advertises steadily, as in a pair: each advert is
          // checked, then handled, so a preempt delay runs out among them.
          for (let k = 0; k < 12; k++, now += s.masterAdvertIntervalMs) {
            const e =
              again && s.masterPriority !== undefined && s.masterAddress !== undefined
                ? {
                    type: 'advert' as const,
                    priority: s.masterPriority,
                    advertIntervalMs: s.masterAdvertIntervalMs,
                    srcAddress: s.masterAddress,
                  }
                : { type: 'advert' as const, priority: 200, advertIntervalMs: 1000, srcAddress: '10.0.0.1' };
            const d = masterDownRefresh(p, s, e.priority, e.advertIntervalMs, e.srcAddress, now);
            if (d !== undefined) {
              shortcuts++;
              // The oracle: the same advert through the whole handling, from a state that has not
              // yet heard this master's priority (so the shortcut cannot answer it).
              const whole = step(p, { ...s, masterPriority: undefined }, e, now);
              expect(whole.effects).toEqual([]);
              expect(whole.state).toEqual({ ...s, deadlineMs: d });
              expect(step(p, s, e, now)).toEqual({ state: { ...s, deadlineMs: d }, effects: [] });
            }
            s = step(p, s, e, now).state;
          }
        },
      ),
      { numRuns: 2000 },
    );
    expect(shortcuts).toBeGreaterThan(1000);
  });

  it('two instances on a simulated LAN always settle with exactly one MASTER', () => {
    const externalEvent: fc.Arbitrary<VrrpEvent> = fc.oneof(
      fc.constant({ type: 'startup' as const }),
      fc.constant({ type: 'shutdown' as const }),
      fc.constant({ type: 'fault' as const }),
      fc.constant({ type: 'fault-cleared' as const }),
      fc.record({ type: fc.constant('priority' as const), priority: fc.integer({ min: 1, max: 254 }) }),
    );
    fc.assert(
      fc.property(
        versionAndInterval,
        fc.tuple(instanceSettings, instanceSettings),
        fc.constantFrom(['10.0.0.1', '10.0.0.2', 'inet'] as const, ['fe80::10', 'fe80::9', 'inet6'] as const),
        fc.tuple(
          fc.double({ min: 0, max: 3000, noNaN: true }),
          fc.double({ min: 0, max: 3000, noNaN: true }),
        ),
        fc.double({ min: 0.1, max: 30, noNaN: true }),
        fc.array(
          fc.record({
            atMs: fc.double({ min: 0, max: 40_000, noNaN: true }),
            node: fc.integer({ min: 0, max: 1 }),
            event: externalEvent,
          }),
          { maxLength: 25 },
        ),
        (vi0, [s0, s1], [addr0, addr1, family], [start0, start1], latencyMs, events) => {
          // VRRPv2 is IPv4 only (RFC 3768): the real driver cannot encode a v2 advert over IPv6.
          const vi = family === 'inet6' ? { ...vi0, version: 3 as const } : vi0;
          const lan = new SimLan(
            [
              params({ ...vi, ...s0, family, name: 'A', localAddress: addr0 }),
              params({ ...vi, ...s1, family, name: 'B', localAddress: addr1 }),
            ],
            () => latencyMs,
          );
          lan.schedule(start0, 0, { type: 'startup' });
          lan.schedule(start1, 1, { type: 'startup' });
          let last = Math.max(start0, start1);
          for (const e of events) {
            lan.schedule(e.atMs, e.node, e.event);
            last = Math.max(last, e.atMs);
          }
          // Settle: no more external events for longer than any Master_Down_Interval,
          // preempt delay and release bound together.
          lan.runUntil(last + 60_000);
          const up = lan.nodes.filter((n) => n.state.name === 'BACKUP' || n.state.name === 'MASTER');
          expect(lan.masters().length).toBe(up.length > 0 ? 1 : 0);
          for (const n of lan.nodes) expect(n.state.timer).not.toBe('release');
        },
      ),
      { numRuns: 300 },
    );
  });
});
