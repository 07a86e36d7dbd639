import { describe, expect, it } from 'vitest';
import { effectivePriority, type TrackedState } from '../../../src/track/priority.js';

const t = (good: boolean, weight: number, reverse = false, name = 's'): TrackedState => ({
  name,
  good,
  weight,
  reverse,
});

describe('effectivePriority (keepalived weight arithmetic)', () => {
  const cases: { name: string; base: number; tracked: TrackedState[]; priority: number; fault: boolean }[] = [
    {
      name: 'negative weight applies while failing',
      base: 100,
      tracked: [t(false, -5)],
      priority: 95,
      fault: false,
    },
    {
      name: 'negative weight ignored while good',
      base: 100,
      tracked: [t(true, -5)],
      priority: 100,
      fault: false,
    },
    {
      name: 'positive weight applies while good',
      base: 100,
      tracked: [t(true, 2)],
      priority: 102,
      fault: false,
    },
    {
      name: 'positive weight ignored while failing',
      base: 100,
      tracked: [t(false, 2)],
      priority: 100,
      fault: false,
    },
    {
      name: 'reverse: positive weight is subtracted while good (keepalived weight_multiplier -1)',
      base: 100,
      tracked: [t(true, 2, true)],
      priority: 98,
      fault: false,
    },
    {
      name: 'reverse: positive weight does nothing while failing',
      base: 100,
      tracked: [t(false, 2, true)],
      priority: 100,
      fault: false,
    },
    {
      name: 'reverse: negative weight is added while failing',
      base: 100,
      tracked: [t(false, -5, true)],
      priority: 105,
      fault: false,
    },
    {
      name: 'track_file: value x weight is added',
      base: 100,
      tracked: [{ name: 'f', good: true, weight: 2, reverse: false, value: -7 }],
      priority: 86,
      fault: false,
    },
    {
      name: 'track_file: reverse negates value x weight',
      base: 100,
      tracked: [{ name: 'f', good: true, weight: 2, reverse: true, value: -7 }],
      priority: 114,
      fault: false,
    },
    {
      name: 'track_file: weight 0 and a non-zero value means FAULT',
      base: 100,
      tracked: [{ name: 'f', good: true, weight: 0, reverse: false, value: 3 }],
      priority: 100,
      fault: true,
    },
    {
      name: 'track_file: weight 0 and value 0 is fine',
      base: 100,
      tracked: [{ name: 'f', good: true, weight: 0, reverse: false, value: 0 }],
      priority: 100,
      fault: false,
    },
    {
      name: 'track_file: a result below -253 means FAULT',
      base: 100,
      tracked: [{ name: 'f', good: true, weight: 1, reverse: false, value: -254 }],
      priority: 100,
      fault: true,
    },
    {
      name: 'seed 001: both checks fail (-5 -5)',
      base: 100,
      tracked: [t(false, -5), t(false, -5)],
      priority: 90,
      fault: false,
    },
    { name: 'clamped to 254', base: 250, tracked: [t(true, 50)], priority: 254, fault: false },
    { name: 'clamped to 1', base: 10, tracked: [t(false, -50)], priority: 1, fault: false },
    {
      name: 'priority-255 owner never changes',
      base: 255,
      tracked: [t(false, -50)],
      priority: 255,
      fault: false,
    },
    { name: 'weight 0 failing means FAULT', base: 100, tracked: [t(false, 0)], priority: 100, fault: true },
    {
      name: 'weight 0 reverse faults while the script succeeds',
      base: 100,
      tracked: [t(true, 0, true)],
      priority: 100,
      fault: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = effectivePriority(c.base, c.tracked);
      expect(v.priority).toBe(c.priority);
      expect(v.fault).toBe(c.fault);
    });
  }
});
