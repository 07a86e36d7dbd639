import { describe, expect, it } from 'vitest';
import { TimerHeap } from '../../../src/check/timer-heap.js';
import { ManualClock } from '../../../src/util/manual-clock.js';

describe('TimerHeap (one underlying timer for many)', () => {
  it('fires timers in deadline order, ties in arming order, over a single base timer', () => {
    const base = new ManualClock();
    const heap = new TimerHeap(base);
    const fired: string[] = [];
    for (const [name, at] of [
      ['c', 30],
      ['a', 10],
      ['b1', 20],
      ['b2', 20],
      ['d', 40],
    ] as const)
      heap.at(at, () => fired.push(name));
    expect(base.pending).toBe(1);
    base.advanceTo(25);
    expect(fired).toEqual(['a', 'b1', 'b2']);
    expect(base.pending).toBe(1);
    base.advanceTo(100);
    expect(fired).toEqual(['a', 'b1', 'b2', 'c', 'd']);
    expect(base.pending).toBe(0);
  });

  it('an earlier timer re-arms the base timer; a cancelled one never fires', () => {
    const base = new ManualClock();
    const heap = new TimerHeap(base);
    const fired: number[] = [];
    const late = heap.at(1000, () => fired.push(1000));
    heap.at(10, () => fired.push(10));
    expect(base.nextDeadlineMs()).toBe(10);
    late.cancel();
    base.advanceTo(2000);
    expect(fired).toEqual([10]);
    expect(heap.size).toBe(0);
    expect(base.pending).toBe(0);
  });

  it('a timer armed by a callback fires on a later turn, even when already due', () => {
    const base = new ManualClock();
    const heap = new TimerHeap(base);
    let n = 0;
    const again = () => {
      n++;
      if (n < 5) heap.at(base.nowMs(), again);
    };
    heap.at(0, again);
    base.advanceTo(0);
    expect(n).toBe(5); // ManualClock runs the follow-up base timers within the same advance
  });

  it('a throwing callback does not strand the timers behind it', async () => {
    const base = new ManualClock();
    const heap = new TimerHeap(base);
    const fired: number[] = [];
    const errors: unknown[] = [];
    const onErr = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onErr);
    heap.at(5, () => {
      throw new Error('boom');
    });
    heap.at(5, () => fired.push(5));
    base.advanceTo(5);
    await new Promise((r) => setImmediate(r));
    process.off('uncaughtException', onErr);
    expect(fired).toEqual([5]);
    expect(errors).toHaveLength(1);
  });

  it('many cancellations are swept without losing live timers', () => {
    const base = new ManualClock();
    const heap = new TimerHeap(base);
    let fired = 0;
    const handles = [];
    for (let i = 0; i < 5000; i++) handles.push(heap.at(100 + i, () => fired++));
    for (let i = 0; i < 5000; i += 2) handles[i]!.cancel();
    expect(heap.size).toBe(2500);
    base.advanceTo(10_000);
    expect(fired).toBe(2500);
  });
});
