import { describe, expect, it } from 'vitest';
import {
  advertPhaseMs,
  nextAdvertMs,
  MAX_RELEASE_MS,
  masterDownIntervalMs,
  releaseBoundMs,
  skewTimeMs,
} from '../../../src/vrrp/timers.js';

describe('RFC 5798 6.1 (v3) timer formulas', () => {
  const cases: { name: string; priority: number; intervalMs: number; skew: number; down: number }[] = [
    // Skew_Time = ((256 - 100) * 1000) / 256 = 609.375 ms; Master_Down_Interval = 3000 + 609.375
    { name: 'priority 100, 1 s', priority: 100, intervalMs: 1000, skew: 609.375, down: 3609.375 },
    // (256 - 1) * 1000 / 256 = 996.09375 -> truncated to whole microseconds like keepalived
    { name: 'priority 1, 1 s', priority: 1, intervalMs: 1000, skew: 996.093, down: 3996.093 },
    // (256 - 255) * 100 / 256 = 0.390625 -> 0.390 ms
    { name: 'priority 255, 100 ms', priority: 255, intervalMs: 100, skew: 0.39, down: 300.39 },
    // (256 - 200) * 250 / 256 = 54.6875
    { name: 'priority 200, 250 ms', priority: 200, intervalMs: 250, skew: 54.687, down: 804.687 },
  ];
  for (const c of cases) {
    it(`Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256: ${c.name}`, () => {
      expect(skewTimeMs(3, c.priority, c.intervalMs)).toBeCloseTo(c.skew, 6);
    });
    it(`Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time: ${c.name}`, () => {
      expect(masterDownIntervalMs(3, c.priority, c.intervalMs)).toBeCloseTo(c.down, 6);
    });
  }
});

describe('RFC 3768 6.1 (v2) timer formulas', () => {
  it('Skew_Time = (256 - Priority) / 256 seconds, whatever the advert interval', () => {
    expect(skewTimeMs(2, 100, 1000)).toBeCloseTo(609.375, 6);
    expect(skewTimeMs(2, 100, 5000)).toBeCloseTo(609.375, 6);
    expect(skewTimeMs(2, 254, 1000)).toBeCloseTo(7.812, 6);
  });
  it('Master_Down_Interval = 3 * Advertisement_Interval + Skew_Time', () => {
    expect(masterDownIntervalMs(2, 100, 1000)).toBeCloseTo(3609.375, 6);
    expect(masterDownIntervalMs(2, 100, 2000)).toBeCloseTo(6609.375, 6);
  });
  it('v2 and v3 agree at a 1 s interval and differ at others', () => {
    expect(skewTimeMs(2, 150, 1000)).toBe(skewTimeMs(3, 150, 1000));
    expect(skewTimeMs(3, 150, 100)).toBeLessThan(skewTimeMs(2, 150, 100));
  });
});

describe('release bound of a stopping master (fast hand-off)', () => {
  it('is the slowest backup Skew_Time (priority 1) plus one advert interval', () => {
    expect(releaseBoundMs(3, 1000)).toBeCloseTo(996.093 + 1000, 6);
    expect(releaseBoundMs(3, 200)).toBeCloseTo(skewTimeMs(3, 1, 200) + 200, 6);
    expect(releaseBoundMs(2, 1000)).toBeCloseTo(1996.093, 6);
  });
  it('is capped so a graceful stop stays short with long intervals', () => {
    expect(releaseBoundMs(3, 10_000)).toBe(MAX_RELEASE_MS);
    expect(releaseBoundMs(2, 5000)).toBe(MAX_RELEASE_MS);
  });
});

describe('advert slots (keepvip): periodic adverts at a phase of the interval chosen by VRID', () => {
  it('the phases are 10 ms slots of the interval, shared out by VRID', () => {
    expect(advertPhaseMs(1, 100)).toBe(10);
    expect(advertPhaseMs(10, 100)).toBe(0);
    expect(advertPhaseMs(57, 1000)).toBe(570);
    expect(advertPhaseMs(157, 1000)).toBe(570);
    const perSlot = new Map<number, number>();
    for (let vrid = 1; vrid <= 255; vrid++) {
      const phase = advertPhaseMs(vrid, 100);
      perSlot.set(phase, (perSlot.get(phase) ?? 0) + 1);
    }
    expect(perSlot.size).toBe(10);
    expect(Math.max(...perSlot.values()) - Math.min(...perSlot.values())).toBeLessThanOrEqual(1);
  });

  it('a timer that fires at its phase keeps exactly one interval, a late one is not pushed later', () => {
    expect(nextAdvertMs(4630, 100, 30)).toBe(4730);
    expect(nextAdvertMs(4630.8, 100, 30)).toBe(4730);
    expect(nextAdvertMs(5570, 1000, 570)).toBe(6570);
  });

  it('the first advert after a takeover comes at the phase, never later than one interval', () => {
    for (let now = 0; now < 300; now += 0.37) {
      for (const phase of [0, 10, 90]) {
        const next = nextAdvertMs(now, 100, phase);
        expect(((next % 100) + 100) % 100).toBeCloseTo(phase, 6);
        expect(next).toBeLessThanOrEqual(now + 100);
        expect(next).toBeGreaterThan(now);
      }
    }
  });
});
