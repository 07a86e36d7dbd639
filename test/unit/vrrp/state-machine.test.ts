/**
 * The VRRP state machine driven on a manual clock, one test per rule of RFC 5798 section 6.4
 * (RFC 3768 for v2), keepalived 2.2.7's behaviour and keepvip's fast hand-off.
 * Defaults (see params()): v3, priority 100, 1 s interval, local address 10.0.0.2, fast mode,
 * so Skew_Time = 609.375 ms and Master_Down_Interval = 3609.375 ms.
 */
import { describe, expect, it } from 'vitest';
import { KeepvipError } from '../../../src/util/errors.js';
import { initialState, step, type VrrpState } from '../../../src/vrrp/state-machine.js';
import {
  advertPhaseMs,
  masterDownIntervalMs,
  nextAdvertMs,
  releaseBoundMs,
  skewTimeMs,
} from '../../../src/vrrp/timers.js';
import { DriverHarness as Driver, drive } from '../runner/driver-harness.js';
import { params } from './params.js';
import { SimLan } from './sim-network.js';

const SKEW_100 = 609.375;
const MDI_100 = 3609.375;
/** nextAdvert is when the harness's instance (VRID 7) sends its next periodic advert after t (timers.ts). */
const nextAdvert = (t: number) => nextAdvertMs(t, 1000, advertPhaseMs(7, 1000));

/** started returns a driver already in BACKUP (started at t=0). */
function backup(over: Parameters<typeof params>[0] = {}): Driver {
  const d = new Driver(params(over));
  d.send({ type: 'startup' });
  return d;
}

/** master returns a driver that won the election at Master_Down_Interval and then sits at t=10000. */
function master(over: Parameters<typeof params>[0] = {}): Driver {
  const d = backup(over);
  d.advanceTo(10_000);
  expect(d.state.name).toBe('MASTER');
  return d;
}

describe('6.4.1 Initialize', () => {
  it('6.4.1: a priority-255 owner sends an advert, adds the VIPs and enters MASTER at once', () => {
    const d = new Driver(params({ priority: 255, initialState: 'MASTER' }));
    const effects = d.send({ type: 'startup' });
    expect(effects.filter((e) => e.type !== 'log')).toEqual([
      { type: 'send-advert', priority: 255 },
      { type: 'transition', from: 'INIT', to: 'MASTER', reason: 'startup as address owner (priority 255)' },
      { type: 'add-vips' },
    ]);
    expect(d.state).toMatchObject({ name: 'MASTER', timer: 'adver', deadlineMs: nextAdvert(0) });
    expect(d.messages()).toContain('(VI_1) Entering MASTER STATE');
  });

  it('6.4.1: a priority-255 owner goes MASTER at once even when configured state BACKUP', () => {
    const d = new Driver(params({ priority: 255, initialState: 'BACKUP' }));
    d.send({ type: 'startup' });
    expect(d.state.name).toBe('MASTER');
  });

  it('6.4.1: a non-owner sets Master_Down_Timer to Master_Down_Interval and enters BACKUP', () => {
    const d = new Driver(params());
    const effects = d.send({ type: 'startup' });
    expect(effects).toEqual([
      { type: 'transition', from: 'INIT', to: 'BACKUP', reason: 'startup' },
      { type: 'log', level: 'info', message: '(VI_1) Entering BACKUP STATE (init)' },
    ]);
    expect(d.state).toMatchObject({ name: 'BACKUP', timer: 'master-down', masterAdvertIntervalMs: 1000 });
    expect(d.state.deadlineMs).toBeCloseTo(MDI_100, 6);
  });

  it('6.4.1 + keepalived: state MASTER below 255 starts in BACKUP and wins after Master_Down_Interval', () => {
    const d = new Driver(params({ initialState: 'MASTER', priority: 150 }));
    d.send({ type: 'startup' });
    expect(d.state.name).toBe('BACKUP');
    const mdi = masterDownIntervalMs(3, 150, 1000);
    d.advanceTo(mdi - 0.001);
    expect(d.state.name).toBe('BACKUP');
    d.advanceTo(mdi);
    expect(d.state.name).toBe('MASTER');
  });

  it('6.4.1: startup is ignored once started, and restarts a STOPPED instance', () => {
    const d = backup();
    d.send({ type: 'startup' });
    expect(d.effects('transition')).toHaveLength(1);
    d.send({ type: 'shutdown' });
    d.advance(5);
    d.send({ type: 'startup' });
    expect(d.state.name).toBe('BACKUP');
    expect(d.state.deadlineMs).toBeCloseTo(5 + MDI_100, 6);
  });

  it('initialState rejects impossible parameters with E_VRRP_PARAMS', () => {
    for (const bad of [{ priority: 0 }, { priority: 256 }, { advertIntervalMs: 0 }, { preemptDelayMs: -1 }]) {
      expect(() => initialState(params(bad))).toThrow(KeepvipError);
      try {
        initialState(params(bad));
      } catch (err) {
        expect((err as KeepvipError).code).toBe('E_VRRP_PARAMS');
      }
    }
  });
});

describe('6.4.2 Backup', () => {
  it('6.4.2: when the Master_Down_Timer fires the backup sends an advert, adds the VIPs, arms Adver_Timer and enters MASTER', () => {
    const d = backup();
    d.advanceTo(MDI_100);
    const at = d.log.filter((r) => r.atMs === MDI_100).map((r) => r.effect);
    expect(at.filter((e) => e.type !== 'log')).toEqual([
      { type: 'send-advert', priority: 100 },
      { type: 'transition', from: 'BACKUP', to: 'MASTER', reason: 'Master_Down_Timer expired' },
      { type: 'add-vips' },
    ]);
    expect(d.state).toMatchObject({ name: 'MASTER', timer: 'adver' });
    // keepvip: the Adver_Timer is at most one interval on, at the instance's advert phase (timers.ts).
    expect(d.state.deadlineMs).toBe(nextAdvert(MDI_100));
  });

  it('6.4.2: backup receiving priority 0 sets Master_Down_Timer to Skew_Time', () => {
    const d = backup();
    d.advanceTo(1000);
    d.advert(0, '10.0.0.1');
    expect(d.state.deadlineMs).toBeCloseTo(1000 + SKEW_100, 6);
    d.advanceTo(1000 + SKEW_100);
    expect(d.state.name).toBe('MASTER');
    expect(d.messages()).toContain('(VI_1) Backup received priority 0 advertisement');
  });

  it('6.4.2: backup receiving priority 0 uses its own (effective) priority for Skew_Time', () => {
    const d = backup({ priority: 200 });
    d.advert(0, '10.0.0.1');
    expect(d.state.deadlineMs).toBeCloseTo(skewTimeMs(3, 200, 1000), 6);
  });

  it('6.4.2: a higher priority advert resets the Master_Down_Timer to Master_Down_Interval', () => {
    const d = backup();
    for (let t = 1000; t <= 20_000; t += 1000) {
      d.advanceTo(t);
      d.advert(150, '10.0.0.1');
      expect(d.state.deadlineMs).toBeCloseTo(t + MDI_100, 6);
    }
    expect(d.state).toMatchObject({ name: 'BACKUP', masterAddress: '10.0.0.1', masterPriority: 150 });
  });

  it('6.4.2: an equal priority advert also resets the timer (greater than or equal to the local Priority)', () => {
    const d = backup({ localAddress: '10.0.0.200' });
    d.advanceTo(3000);
    d.advert(100, '10.0.0.1');
    expect(d.state.deadlineMs).toBeCloseTo(3000 + MDI_100, 6);
  });

  it('6.4.2 (v3): the backup sets Master_Adver_Interval to the Adver Interval of the advert and recomputes Master_Down_Interval', () => {
    const d = backup();
    d.advanceTo(500);
    d.advert(150, '10.0.0.1', 200);
    expect(d.state.masterAdvertIntervalMs).toBe(200);
    // 3 * 200 + (256 - 100) * 200 / 256 = 600 + 121.875
    expect(d.state.deadlineMs).toBeCloseTo(500 + 721.875, 6);
    expect(d.messages()).toContain('(VI_1) advertisement interval updated from 1000ms to 200ms by master');
  });

  it('6.4.2 (v2, RFC 3768): the backup keeps its own Advertisement_Interval', () => {
    const d = backup({ version: 2 });
    d.advanceTo(500);
    d.advert(150, '10.0.0.1', 3000);
    expect(d.state.masterAdvertIntervalMs).toBe(1000);
    expect(d.state.deadlineMs).toBeCloseTo(500 + 3609.375, 6);
  });

  it('6.4.2 (rfc mode): a lower priority advert with Preempt_Mode true is discarded and the backup preempts at Master_Down_Interval', () => {
    const d = backup({ handoff: 'rfc' });
    d.advanceTo(1000);
    d.advert(90, '10.0.0.1');
    expect(d.state.deadlineMs).toBeCloseTo(MDI_100, 6); // unchanged since startup
    expect(d.messages()).toContain('(VI_1) received lower priority (90) advert from 10.0.0.1 - discarding');
    d.advanceTo(2000);
    d.advert(90, '10.0.0.1');
    d.advanceTo(MDI_100);
    expect(d.state.name).toBe('MASTER');
  });

  it('6.4.2 Preempt_Mode false (nopreempt): a lower priority advert resets the timer, so a live lower master keeps the role', () => {
    const d = backup({ preempt: false, priority: 200 });
    for (let t = 1000; t <= 30_000; t += 1000) {
      d.advanceTo(t);
      d.advert(50, '10.0.0.1');
      expect(d.state.deadlineMs).toBeCloseTo(t + masterDownIntervalMs(3, 200, 1000), 6);
    }
    expect(d.state.name).toBe('BACKUP');
    // ...and takes over when that master falls silent.
    d.advance(masterDownIntervalMs(3, 200, 1000));
    expect(d.state.name).toBe('MASTER');
  });

  it('6.4.2: a Shutdown event cancels the Master_Down_Timer and leaves the protocol', () => {
    const d = backup();
    const effects = d.send({ type: 'shutdown' });
    expect(effects.filter((e) => e.type !== 'log')).toEqual([
      { type: 'transition', from: 'BACKUP', to: 'STOPPED', reason: 'shutdown' },
    ]);
    expect(d.state.deadlineMs).toBeUndefined();
    d.advanceTo(60_000);
    expect(d.state.name).toBe('STOPPED');
  });
});

describe('6.4.3 Master', () => {
  it('6.4.3: when the Adver_Timer fires the master sends an advert and resets it to Advertisement_Interval', () => {
    const d = master();
    const from = MDI_100;
    const sent = d.log.filter((r) => r.effect.type === 'send-advert').map((r) => r.atMs);
    expect(sent.length).toBe(Math.floor((10_000 - from) / 1000) + 1);
    // The first periodic advert comes at the advert phase (at most one interval on); from then on
    // exactly every interval.
    const slotted = nextAdvert(from);
    expect(slotted).toBeGreaterThan(from);
    expect(slotted).toBeLessThanOrEqual(from + 1000);
    for (const [i, t] of sent.entries()) expect(t).toBe(i === 0 ? from : slotted + (i - 1) * 1000);
  });

  it('6.4.3: a master receiving priority 0 sends an advert at once and resets the Adver_Timer', () => {
    const d = master();
    d.advanceTo(10_300);
    const effects = d.advert(0, '10.0.0.1');
    expect(effects).toContainEqual({ type: 'send-advert', priority: 100 });
    expect(d.state).toMatchObject({ name: 'MASTER', deadlineMs: nextAdvert(10_300) });
  });

  it('6.4.3: a higher priority advert sends the master to BACKUP, removes the VIPs and arms Master_Down_Interval with the new master interval (v3)', () => {
    const d = master();
    const effects = d.advert(150, '10.0.0.1', 500);
    expect(effects.filter((e) => e.type !== 'log')).toEqual([
      { type: 'transition', from: 'MASTER', to: 'BACKUP', reason: 'higher priority advert from 10.0.0.1' },
      { type: 'remove-vips', yieldedTo: '10.0.0.1' },
    ]);
    expect(d.state).toMatchObject({ name: 'BACKUP', timer: 'master-down', masterAdvertIntervalMs: 500 });
    expect(d.state.deadlineMs).toBeCloseTo(10_000 + masterDownIntervalMs(3, 100, 500), 6);
    expect(d.messages()).toContain(
      '(VI_1) Master received advert from 10.0.0.1 with higher priority 150, ours 100',
    );
    expect(d.messages()).toContain('(VI_1) Entering BACKUP STATE');
  });

  it('6.4.3 (v2): a master stepping down keeps its own Advertisement_Interval', () => {
    const d = master({ version: 2 });
    d.advert(150, '10.0.0.1', 3000);
    expect(d.state.masterAdvertIntervalMs).toBe(1000);
    expect(d.state.deadlineMs).toBeCloseTo(10_000 + 3609.375, 6);
  });

  const tieBreaks = [
    { family: 'inet' as const, local: '10.0.0.9', higher: '10.0.0.10', lower: '10.0.0.8' },
    { family: 'inet' as const, local: '192.168.1.20', higher: '192.168.10.2', lower: '192.168.1.3' },
    { family: 'inet6' as const, local: 'fe80::9', higher: 'fe80::10', lower: 'fe80::1' },
    { family: 'inet6' as const, local: '2001:db8::ffff', higher: '2001:db8::1:0', lower: '2001:db8::fffe' },
  ];
  for (const t of tieBreaks) {
    it(`6.4.3: equal priority from a higher primary address wins the tie (${t.family} ${t.higher} > ${t.local})`, () => {
      const d = master({ family: t.family, localAddress: t.local });
      d.advert(100, t.higher);
      expect(d.state.name).toBe('BACKUP');
      expect(d.messages()).toContain(
        `(VI_1) Master received advert from ${t.higher} with same priority 100 but higher IP address than ours`,
      );
    });
    it(`6.4.3: equal priority from a lower primary address is answered and ignored (${t.family} ${t.lower} < ${t.local})`, () => {
      const d = master({ family: t.family, localAddress: t.local });
      const effects = d.advert(100, t.lower);
      expect(d.state.name).toBe('MASTER');
      expect(effects).toContainEqual({ type: 'send-advert', priority: 100 });
    });
  }

  it('6.4.3: the tie-break ignores an IPv6 zone on our address (fe80::b > fe80::a%eth0 > fe80::9; pure step)', () => {
    // A zoned address cannot be an advert source (the driver never gets one from the kernel),
    // so this one runs the state machine alone.
    const p = params({ family: 'inet6', localAddress: 'fe80::a%eth0' });
    const s0 = step(p, initialState(p), { type: 'startup' }, 0).state;
    const m = step(p, s0, { type: 'timer' }, s0.deadlineMs!).state;
    expect(m.name).toBe('MASTER');
    const advert = (srcAddress: string) =>
      step(p, m, { type: 'advert', priority: 100, advertIntervalMs: 1000, srcAddress }, 4000);
    expect(advert('fe80::b').state.name).toBe('BACKUP');
    const lower = advert('fe80::9');
    expect(lower.state.name).toBe('MASTER');
    expect(lower.effects).toContainEqual({ type: 'send-advert', priority: 100 });
  });

  it('6.4.3 + keepalived: a lower priority advert is discarded but answered at once ("forcing new election")', () => {
    const d = master();
    d.advanceTo(10_500);
    const effects = d.advert(90, '10.0.0.1');
    expect(effects).toContainEqual({ type: 'send-advert', priority: 100 });
    expect(d.state).toMatchObject({ name: 'MASTER', deadlineMs: d.state.deadlineMs });
    expect(d.messages()).toContain(
      '(VI_1) Received advert from 10.0.0.1 with lower priority 90, ours 100, forcing new election',
    );
  });

  it('6.4.3 + keepalived: an equal priority advert carrying our own address is a warning, nothing more', () => {
    const d = master();
    const effects = d.advert(100, '10.0.0.2');
    expect(effects).toEqual([
      {
        type: 'log',
        level: 'warn',
        message: '(VI_1) WARNING - equal priority advert received from remote host with our IP address.',
      },
    ]);
  });

  it('6.4.3 (rfc mode): Shutdown sends priority 0, removes the VIPs and stops', () => {
    const d = master({ handoff: 'rfc' });
    const effects = d.send({ type: 'shutdown' });
    expect(effects.filter((e) => e.type !== 'log')).toEqual([
      { type: 'send-advert', priority: 0 },
      { type: 'transition', from: 'MASTER', to: 'STOPPED', reason: 'shutdown' },
      { type: 'remove-vips' },
    ]);
    expect(d.messages()).toContain('(VI_1) sent 0 priority');
    expect(d.state.deadlineMs).toBeUndefined();
  });

  for (const [family, low, high] of [
    ['inet', '10.0.0.9', '10.0.0.10'],
    ['inet6', 'fe80::9', 'fe80::10'],
  ] as const) {
    it(`6.4.3: two equal-priority routers starting together settle on the higher address (${family})`, () => {
      const lan = new SimLan([
        params({ name: 'LOW', family, localAddress: low }),
        params({ name: 'HIGH', family, localAddress: high }),
      ]);
      lan.schedule(0, 0, { type: 'startup' });
      lan.schedule(0, 1, { type: 'startup' });
      lan.runUntil(20_000);
      expect(lan.masters()).toEqual([1]);
      // Both timers ran out together, both became master, and LOW yielded on HIGH's advert.
      expect(lan.transitions().filter((t) => t.to === 'MASTER')).toHaveLength(2);
      expect(lan.nodes[0]!.effects.map((r) => r.effect)).toContainEqual({
        type: 'log',
        level: 'info',
        message: `(LOW) Master received advert from ${high} with same priority 100 but higher IP address than ours`,
      });
    });
  }

  it('two priority-255 owners settle by the address tie-break', () => {
    const lan = new SimLan([
      params({ name: 'A', priority: 255, localAddress: '10.0.0.1' }),
      params({ name: 'B', priority: 255, localAddress: '10.0.0.2' }),
    ]);
    lan.schedule(0, 0, { type: 'startup' });
    lan.schedule(0, 1, { type: 'startup' });
    lan.runUntil(20_000);
    expect(lan.masters()).toEqual([1]);
  });
});

describe('fast hand-off versus rfc timing', () => {
  for (const handoff of ['fast', 'rfc'] as const) {
    it(`a backup hearing a live lower-priority master takes over after ${handoff === 'fast' ? 'Skew_Time' : 'Master_Down_Interval'} (${handoff})`, () => {
      // The backup has accepted a priority-150 master; at t=5000 that master now advertises 90.
      const d = backup({ handoff });
      for (let t = 1000; t <= 4000; t += 1000) {
        d.advanceTo(t);
        d.advert(150, '10.0.0.1');
      }
      d.advanceTo(5000);
      d.advert(90, '10.0.0.1');
      d.advanceTo(5000 + MDI_100);
      const took = d.timeOf('MASTER')!;
      const expected = handoff === 'fast' ? 5000 + SKEW_100 : 4000 + MDI_100;
      expect(took).toBeCloseTo(expected, 6);
    });
  }

  for (const handoff of ['fast', 'rfc'] as const) {
    it(`a backup whose priority rises above the live master's takes over after ${handoff === 'fast' ? 'Skew_Time' : "the master's next advert"} (${handoff})`, () => {
      // The backup (tracking lowered it to 80) follows a priority-90 master; at t=2500 its check
      // recovers (a down file removed) and its priority returns to 100.
      const d = backup({ handoff });
      d.send({ type: 'priority', priority: 80 });
      for (let t = 1000; t <= 2000; t += 1000) {
        d.advanceTo(t);
        d.advert(90, '10.0.0.1');
      }
      d.advanceTo(2500);
      d.send({ type: 'priority', priority: 100 });
      d.advanceTo(3000);
      d.advert(90, '10.0.0.1'); // the master's next advert, now lower than ours
      d.advanceTo(2500 + MDI_100);
      const took = d.timeOf('MASTER')!;
      // rfc: the lower advert is discarded (6.4.2); the timer armed at 2000 (at priority 80) runs out.
      const expected = handoff === 'fast' ? 2500 + SKEW_100 : 2000 + 3000 + ((256 - 80) / 256) * 1000;
      expect(took).toBeCloseTo(expected, 6);
    });
  }

  it('fast: a lower priority advert never postpones an earlier Master_Down deadline', () => {
    const d = backup();
    d.advert(0, '10.0.0.1'); // deadline = Skew_Time
    d.advanceTo(100);
    d.advert(50, '10.0.0.1'); // 100 + Skew_Time would be later
    expect(d.state.deadlineMs).toBeCloseTo(SKEW_100, 6);
  });

  for (const handoff of ['fast', 'rfc'] as const) {
    it(`a master whose priority falls below the backup's hands over (${handoff})`, () => {
      const lan = new SimLan([
        params({ name: 'A', priority: 150, localAddress: '10.0.0.1', handoff }),
        params({ name: 'B', priority: 100, localAddress: '10.0.0.2', handoff }),
      ]);
      lan.schedule(0, 0, { type: 'startup' });
      lan.schedule(0, 1, { type: 'startup' });
      lan.runUntil(10_000);
      expect(lan.masters()).toEqual([0]);
      lan.schedule(10_000.5, 0, { type: 'priority', priority: 50 });
      lan.runUntil(30_000);
      expect(lan.masters()).toEqual([1]);
      const b = lan.transitions().find((t) => t.node === 1 && t.to === 'MASTER' && t.atMs > 10_000)!;
      // fast: the immediate advert (priority 50) arrives at 10001.5, B takes over Skew_Time later.
      // rfc: B waits Master_Down_Interval from the last priority-150 advert it accepted (sent by
      // A on its own cadence, delivered 1 ms later).
      const lastAccepted = lan.nodes[0]!.effects.filter(
        (r) => r.effect.type === 'send-advert' && r.effect.priority === 150,
      ).at(-1)!.atMs;
      expect(lastAccepted).toBeLessThan(10_000.5);
      const expected = handoff === 'fast' ? 10_001.5 + SKEW_100 : lastAccepted + 1 + MDI_100;
      expect(b.atMs).toBeCloseTo(expected, 6);
      // The old master leaves when it hears the new one, one latency later.
      const a = lan.transitions().find((t) => t.node === 0 && t.to === 'BACKUP' && t.atMs > 10_000)!;
      expect(a.atMs).toBeCloseTo(expected + 1, 6);
    });
  }
});

describe('fast hand-off with several backups', () => {
  it('the best backup takes over in its Skew_Time and the others stay BACKUP', () => {
    const lan = new SimLan([
      params({ name: 'A', priority: 150, localAddress: '10.0.0.1' }),
      params({ name: 'B', priority: 100, localAddress: '10.0.0.2' }),
      params({ name: 'C', priority: 120, localAddress: '10.0.0.3' }),
    ]);
    for (const n of [0, 1, 2]) lan.schedule(0, n, { type: 'startup' });
    lan.runUntil(10_000);
    expect(lan.masters()).toEqual([0]);
    lan.schedule(10_000.5, 0, { type: 'priority', priority: 50 });
    lan.runUntil(40_000);
    expect(lan.masters()).toEqual([2]);
    const late = lan.transitions().filter((t) => t.atMs > 10_000);
    expect(late.map((t) => `${t.node}:${t.to}`)).toEqual(['2:MASTER', '0:BACKUP']);
    expect(late[0]!.atMs).toBeCloseTo(10_001.5 + skewTimeMs(3, 120, 1000), 6);
  });
});

describe('shutdown of a master', () => {
  it('fast: sends priority 0 and keeps the VIPs until the new master is heard', () => {
    const lan = new SimLan([
      params({ name: 'A', priority: 150, localAddress: '10.0.0.1' }),
      params({ name: 'B', priority: 100, localAddress: '10.0.0.2' }),
    ]);
    lan.schedule(0, 0, { type: 'startup' });
    lan.schedule(0, 1, { type: 'startup' });
    lan.schedule(10_000.5, 0, { type: 'shutdown' });
    lan.runUntil(30_000);
    const [a, b] = lan.nodes;
    const stop = a!.effects.filter((r) => r.atMs === 10_000.5).map((r) => r.effect);
    expect(stop).toContainEqual({ type: 'send-advert', priority: 0 });
    expect(stop).not.toContainEqual({ type: 'remove-vips' });
    const bMaster = lan.transitions().find((t) => t.node === 1 && t.to === 'MASTER')!;
    expect(bMaster.atMs).toBeCloseTo(10_001.5 + SKEW_100, 6);
    const removed = a!.effects.find((r) => r.effect.type === 'remove-vips')!;
    expect(removed.atMs).toBeCloseTo(bMaster.atMs + 1, 6); // B's first advert, one latency later
    expect(a!.state.name).toBe('STOPPED');
    expect(b!.state.name).toBe('MASTER');
  });

  it('fast: releases the VIPs at the bound when no new master is heard', () => {
    const d = master();
    d.send({ type: 'shutdown' });
    const bound = releaseBoundMs(3, 1000);
    expect(d.state).toMatchObject({ name: 'MASTER', timer: 'release' });
    expect(d.state.deadlineMs).toBeCloseTo(10_000 + bound, 6);
    d.advanceTo(10_000 + bound - 1);
    expect(d.effects('send-advert', 10_001)).toEqual([]); // no adverts while releasing
    d.advanceTo(10_000 + bound);
    expect(d.state.name).toBe('STOPPED');
    expect(d.effects('remove-vips')).toHaveLength(1);
  });

  it('fast: a second shutdown releases at once', () => {
    const d = master();
    d.send({ type: 'shutdown' });
    const effects = d.send({ type: 'shutdown' });
    expect(effects).toContainEqual({ type: 'remove-vips' });
    expect(d.state.name).toBe('STOPPED');
  });

  it('fast: a priority 0 advert while releasing is no new master', () => {
    const d = master();
    d.send({ type: 'shutdown' });
    d.advert(0, '10.0.0.1');
    expect(d.state).toMatchObject({ name: 'MASTER', timer: 'release' });
    d.advert(10, '10.0.0.1');
    expect(d.state.name).toBe('STOPPED');
  });

  it('fast and rfc: a stopped master never sends another advert', () => {
    for (const handoff of ['fast', 'rfc'] as const) {
      const d = master({ handoff });
      d.send({ type: 'shutdown' });
      d.advanceTo(60_000);
      const last = d.log.filter((r) => r.effect.type === 'send-advert').at(-1)!;
      expect(last.effect).toEqual({ type: 'send-advert', priority: 0 });
    }
  });
});

describe('keepalived preempt_delay and nopreempt', () => {
  for (const handoff of ['fast', 'rfc'] as const) {
    it(`preempt_delay: a lower priority master is accepted until preempt_delay has passed since it was first heard (${handoff})`, () => {
      const d = backup({ priority: 200, preemptDelayMs: 5000, handoff });
      for (let t = 1000; t <= 20_000 && d.state.name === 'BACKUP'; t += 1000) {
        d.advanceTo(t);
        d.advert(100, '10.0.0.1');
      }
      const took = d.timeOf('MASTER')!;
      // The delay starts with the first lower advert (t=1000) and ends at 6000: adverts before
      // then are accepted, the one at 6000 is not. fast: takeover Skew_Time after it; rfc: the
      // Master_Down_Timer armed by the last accepted advert (t=5000) runs out.
      const mdi = masterDownIntervalMs(3, 200, 1000);
      const expected = handoff === 'fast' ? 6000 + skewTimeMs(3, 200, 1000) : 5000 + mdi;
      expect(took).toBeCloseTo(expected, 6);
      expect(d.messages()).toContain('(VI_1) start preempt delay (5.000000)');
    });
  }

  it('preempt_delay: a higher or equal priority advert stops the delay', () => {
    const d = backup({ priority: 200, preemptDelayMs: 5000 });
    d.advanceTo(1000);
    d.advert(100, '10.0.0.1');
    expect(d.state.preemptDelayUntilMs).toBe(6000);
    d.advanceTo(2000);
    d.advert(250, '10.0.0.3');
    expect(d.state.preemptDelayUntilMs).toBeUndefined();
    expect(d.messages()).toContain('(VI_1) stop preempt delay');
  });

  it('keepalived: state MASTER clears nopreempt and preempt_delay', () => {
    const d = backup({ initialState: 'MASTER', preempt: false, preemptDelayMs: 5000, handoff: 'rfc' });
    d.advanceTo(1000);
    d.advert(90, '10.0.0.1');
    expect(d.messages()).toContain('(VI_1) received lower priority (90) advert from 10.0.0.1 - discarding');
  });

  it('keepalived: preempt_delay means nothing with nopreempt', () => {
    const d = backup({ preempt: false, preemptDelayMs: 5000 });
    d.advanceTo(1000);
    d.advert(90, '10.0.0.1');
    expect(d.state.preemptDelayUntilMs).toBeUndefined();
  });
});

describe('fault and fault-cleared', () => {
  it('fault from MASTER sends priority 0, removes the VIPs and enters FAULT with no timer', () => {
    const d = master();
    const effects = d.send({ type: 'fault' });
    expect(effects.filter((e) => e.type !== 'log')).toEqual([
      { type: 'transition', from: 'MASTER', to: 'FAULT', reason: 'fault' },
      { type: 'send-advert', priority: 0 },
      { type: 'remove-vips' },
    ]);
    expect(d.state.deadlineMs).toBeUndefined();
    expect(d.messages()).toContain('(VI_1) Entering FAULT STATE');
  });

  it('fault from BACKUP enters FAULT; adverts, timers and repeated faults are then ignored', () => {
    const d = backup();
    d.send({ type: 'fault' });
    expect(d.state).toMatchObject({ name: 'FAULT', deadlineMs: undefined });
    expect(d.advert(0, '10.0.0.1')).toEqual([]);
    expect(d.send({ type: 'fault' })).toEqual([]);
    d.advanceTo(60_000);
    expect(d.state.name).toBe('FAULT');
  });

  it('fault-cleared returns to BACKUP with Master_Adver_Interval reset and a full Master_Down_Interval', () => {
    const d = backup();
    d.advert(150, '10.0.0.1', 200);
    d.send({ type: 'fault' });
    d.advanceTo(7000);
    d.send({ type: 'fault-cleared' });
    expect(d.state).toMatchObject({ name: 'BACKUP', masterAdvertIntervalMs: 1000 });
    expect(d.state.deadlineMs).toBeCloseTo(7000 + MDI_100, 6);
    expect(d.messages()).toContain('(VI_1) Entering BACKUP STATE');
  });

  it('fault-cleared: an address owner returns to MASTER at once', () => {
    const d = new Driver(params({ priority: 255, initialState: 'MASTER' }));
    d.send({ type: 'startup' });
    d.send({ type: 'fault' });
    d.advance(100);
    d.send({ type: 'fault-cleared' });
    expect(d.state.name).toBe('MASTER');
    expect(d.effects('add-vips')).toHaveLength(2);
  });

  it('fault before startup: INIT enters FAULT (init), startup is ignored, fault-cleared enters BACKUP', () => {
    const d = new Driver(params());
    d.send({ type: 'fault' });
    expect(d.messages()).toContain('(VI_1) Entering FAULT STATE (init)');
    d.send({ type: 'startup' });
    expect(d.state.name).toBe('FAULT');
    d.send({ type: 'fault-cleared' });
    expect(d.state.name).toBe('BACKUP');
  });

  it('fault while a fast-mode master is releasing finishes the stop', () => {
    const d = master();
    d.send({ type: 'shutdown' });
    d.send({ type: 'fault' });
    expect(d.state.name).toBe('STOPPED');
    expect(d.effects('remove-vips')).toHaveLength(1);
  });
});

describe('priority changes from tracking', () => {
  it('a master whose effective priority changes sends an advert with the new priority at once', () => {
    const d = master();
    d.advanceTo(10_250);
    const effects = d.send({ type: 'priority', priority: 80 });
    expect(effects).toEqual([
      { type: 'log', level: 'info', message: '(VI_1) Changing effective priority from 100 to 80' },
      { type: 'send-advert', priority: 80 },
    ]);
    expect(d.state).toMatchObject({ priority: 80, deadlineMs: nextAdvert(10_250) });
    d.advanceTo(nextAdvert(10_250));
    expect(d.effects('send-advert', nextAdvert(10_250))).toEqual([{ type: 'send-advert', priority: 80 }]);
  });

  it('a 255 owner never changes priority', () => {
    const d = new Driver(params({ priority: 255 }));
    d.send({ type: 'startup' });
    d.send({ type: 'priority', priority: 100 });
    expect(d.state.priority).toBe(255);
    expect(d.effects('send-advert')).toHaveLength(1);
  });

  it('the effective priority of a non-owner stays within 1..254 (keepalived)', () => {
    const d = backup();
    d.send({ type: 'priority', priority: 300 });
    expect(d.state.priority).toBe(254);
    d.send({ type: 'priority', priority: -20 });
    expect(d.state.priority).toBe(1);
  });

  it("a backup's new priority sets its Skew_Time", () => {
    const d = backup();
    d.send({ type: 'priority', priority: 200 });
    d.advert(0, '10.0.0.1');
    expect(d.state.deadlineMs).toBeCloseTo(skewTimeMs(3, 200, 1000), 6);
  });

  it('an unchanged priority is no event at all', () => {
    const d = master();
    expect(d.send({ type: 'priority', priority: 100 })).toEqual([]);
  });
});

describe('the step function', () => {
  it('every state change emits exactly one transition effect followed by the keepalived line', () => {
    const d = drive(params(), [
      { atMs: 0, event: { type: 'startup' } },
      {
        atMs: 5000,
        event: { type: 'advert', priority: 200, advertIntervalMs: 1000, srcAddress: '10.0.0.1' },
      },
      { atMs: 6000, event: { type: 'fault' } },
      { atMs: 7000, event: { type: 'fault-cleared' } },
      { atMs: 20_000, event: { type: 'shutdown' } },
      { atMs: 30_000, event: { type: 'startup' } },
    ]);
    const seq = d.log.map((r) => r.effect);
    const transitions = seq.flatMap((e, i) => (e.type === 'transition' ? [i] : []));
    expect(transitions.map((i) => (seq[i] as { to: string }).to)).toEqual([
      'BACKUP',
      'MASTER',
      'BACKUP',
      'FAULT',
      'BACKUP',
      'MASTER',
      'STOPPED',
      'BACKUP',
    ]);
    for (const i of transitions) {
      const t = seq[i] as { to: string };
      expect(seq[i + 1]).toMatchObject({ type: 'log', level: 'info' });
      expect((seq[i + 1] as { message: string }).message).toMatch(
        new RegExp(`^\\(VI_1\\) Entering ${t.to} STATE`),
      );
    }
  });

  it('does not modify the state it is given', () => {
    const p = params();
    const s0: VrrpState = Object.freeze(step(p, initialState(p), { type: 'startup' }, 0).state);
    const copy = { ...s0 };
    step(p, s0, { type: 'advert', priority: 0, advertIntervalMs: 1000, srcAddress: '10.0.0.1' }, 10);
    step(p, s0, { type: 'timer' }, 10_000);
    expect(s0).toEqual(copy);
  });

  it('a deadline already passed when a discarded advert arrives fires in the same step', () => {
    const p = params({ handoff: 'rfc' });
    const s0 = step(p, initialState(p), { type: 'startup' }, 0).state;
    const late = MDI_100 + 50; // the runner was late to fire the timer
    const { state, effects } = step(
      p,
      s0,
      { type: 'advert', priority: 90, advertIntervalMs: 1000, srcAddress: '10.0.0.1' },
      late,
    );
    expect(state.name).toBe('MASTER');
    expect(state.deadlineMs).toBe(nextAdvertMs(late, 1000));
    expect(effects).toContainEqual({ type: 'add-vips' });
  });

  it('an accepted advert arriving after the deadline still holds the backup', () => {
    const p = params();
    const s0 = step(p, initialState(p), { type: 'startup' }, 0).state;
    const late = MDI_100 + 50;
    const { state } = step(
      p,
      s0,
      { type: 'advert', priority: 150, advertIntervalMs: 1000, srcAddress: '10.0.0.1' },
      late,
    );
    expect(state.name).toBe('BACKUP');
  });

  it('a timer event before the deadline is ignored', () => {
    const d = backup();
    d.advanceTo(100);
    d.send({ type: 'timer' });
    expect(d.state.name).toBe('BACKUP');
    expect(d.state.deadlineMs).toBeCloseTo(MDI_100, 6);
  });

  it('an impossible advert is logged as a bug and ignored', () => {
    const d = backup();
    const effects = d.advert(300, '10.0.0.1');
    expect(effects).toHaveLength(1);
    expect(effects[0]).toMatchObject({ type: 'log', level: 'warn' });
    expect(d.advert(100, '10.0.0.1', 0)[0]).toMatchObject({ type: 'log', level: 'warn' });
  });
});
