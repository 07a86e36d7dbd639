import { describe, expect, it } from 'vitest';
import { LATENESS_BUCKETS_MS, PRECISE_LEAD_MS, TimerHeap } from '../../../src/util/timer-heap.js';

/** turn resolves after the event loop's check phase (where due entries fire). */
const turn = () => new Promise<void>((r) => setImmediate(r));

describe('TimerHeap', () => {
  it('fires due entries in deadline order, then arming order, never synchronously', async () => {
    const now = 1000;
    const heap = new TimerHeap(() => now);
    const fired: number[] = [];
    // Deadlines in the past (or now) are due at once: no real time passes in this test.
    const deadlines = Array.from({ length: 500 }, (_, i) => (i * 7919) % 997);
    for (const [i, d] of deadlines.entries()) heap.at(d, () => fired.push(i));
    expect(fired).toEqual([]);
    await turn();
    await turn();
    const expected = deadlines
      .map((d, i) => ({ d, i }))
      .sort((a, b) => a.d - b.d || a.i - b.i)
      .map((x) => x.i);
    expect(fired).toEqual(expected);
    expect(heap.size).toBe(0);
  });

  it('a cancelled entry never fires and leaves the heap consistent', async () => {
    const heap = new TimerHeap(() => 10_000);
    const fired = new Set<number>();
    const handles = Array.from({ length: 300 }, (_, i) => heap.at((i * 31) % 101, () => fired.add(i)));
    const cancelled = new Set<number>();
    for (let i = 0; i < 300; i += 3) {
      handles[i]!.cancel();
      handles[i]!.cancel(); // twice is harmless
      cancelled.add(i);
    }
    expect(heap.size).toBe(200);
    await turn();
    await turn();
    for (let i = 0; i < 300; i++) expect(fired.has(i)).toBe(!cancelled.has(i));
  });

  it('cancelling the last deadline clears the Node timer, so a command can exit', () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const heap = new TimerHeap();
    const a = heap.at(performance.now() + 60_000, () => {});
    const b = heap.at(performance.now() + 30_000, () => {});
    expect(timers()).toBe(before + 1);
    b.cancel();
    expect(timers()).toBe(before + 1); // a is still armed
    a.cancel();
    expect(timers()).toBe(before);
  });

  it('entries armed by a firing entry with a past deadline fire on a later turn', async () => {
    const heap = new TimerHeap(() => 50);
    const order: string[] = [];
    heap.at(1, () => {
      order.push('a');
      heap.at(0, () => order.push('c'));
    });
    heap.at(2, () => order.push('b'));
    await turn();
    expect(order).toEqual(['a', 'b']);
    await turn();
    await turn();
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('an entry armed and cancelled inside a run never fires', async () => {
    const heap = new TimerHeap(() => 5);
    const order: string[] = [];
    heap.at(1, () => {
      const h = heap.at(0, () => order.push('never'));
      h.cancel();
      order.push('a');
    });
    for (let i = 0; i < 4; i++) await turn();
    expect(order).toEqual(['a']);
    expect(heap.size).toBe(0);
  });

  it('counts each fired entry in the lateness histogram', async () => {
    const heap = new TimerHeap(() => 100);
    heap.at(100, () => {}); // on time
    heap.at(99.5, () => {}); // 0.5 ms late
    heap.at(97, () => {}); // 3 ms late
    await turn();
    await turn();
    const s = heap.lateness;
    expect(s.count).toBe(3);
    expect(s.maxMs).toBe(3);
    expect(s.sumMs).toBeCloseTo(3.5);
    expect(s.buckets[0]).toBe(1); // <= 0.25
    expect(s.buckets[LATENESS_BUCKETS_MS.indexOf(0.5)]).toBe(1);
    expect(s.buckets[LATENESS_BUCKETS_MS.indexOf(5)]).toBe(1);
  });

  it('rearm moves an armed entry in place, and arms a fired or cancelled one again', async () => {
    let now = 100;
    const heap = new TimerHeap(() => now);
    const fired: string[] = [];
    const a = heap.at(10_000, () => fired.push(`a@${now}`));
    heap.at(20_000, () => fired.push(`b@${now}`));
    a.rearm(90); // moved to the top, and due
    expect(heap.size).toBe(2);
    await turn();
    await turn();
    expect(fired).toEqual(['a@100']); // b is still armed
    expect(heap.size).toBe(1);
    now = 200;
    a.rearm(150); // fired: armed again, same callback
    expect(heap.size).toBe(2);
    a.cancel();
    a.rearm(160); // cancelled: armed again
    await turn();
    await turn();
    expect(fired).toEqual(['a@100', 'a@200']);
    expect(heap.size).toBe(1);
  });

  it('an entry re-armed by its own callback waits for the next run and fires once', async () => {
    const now = 0;
    const heap = new TimerHeap(() => now);
    let count = 0;
    const e = heap.at(0, () => {
      count++;
      if (count === 1) {
        e.rearm(0); // in the past: next turn, not this run
        e.cancel(); // cancelled while deferred ...
        e.rearm(0); // ... and re-armed: still one entry
      }
    });
    await turn();
    expect(count).toBe(1);
    for (let i = 0; i < 4; i++) await turn();
    expect(count).toBe(2);
    expect(heap.size).toBe(0);
  });
  it('a precise deadline just behind a coarse one starts polling at its lead, not after the coarse timer', async () => {
    const active = (kind: string) => process.getActiveResourcesInfo().filter((r) => r === kind).length;
    let now = 98.7;
    const heap = new TimerHeap(() => now);
    const fired: string[] = [];
    const immediates = active('Immediate');
    heap.at(100, () => fired.push(`coarse@${now}`));
    heap.at(100.5, () => fired.push(`precise@${now}`), true);
    // 1.8 ms to the precise deadline is within PRECISE_LEAD_MS: polling now, even though the heap's
    // earliest deadline (the coarse one, 1.3 ms away) alone would have armed a setTimeout(1).
    expect(PRECISE_LEAD_MS).toBeGreaterThan(1.8);
    expect(active('Immediate')).toBe(immediates + 1);
    await turn();
    expect(fired).toEqual([]);
    now = 100.2;
    await turn();
    await turn();
    expect(fired).toEqual(['coarse@100.2']);
    now = 100.5;
    await turn();
    await turn();
    expect(fired).toEqual(['coarse@100.2', 'precise@100.5']);
    expect(heap.size).toBe(0);
  });
});
