/** keepvip_timer_lateness_seconds: the timer heap's lateness histogram in Prometheus form. */
import { describe, expect, it } from 'vitest';
import { renderMetrics } from '../../../src/control/metrics.js';
import { daemonSnapshot } from '../../../src/control/snapshot.js';
import { LATENESS_BUCKETS_MS } from '../../../src/util/timer-heap.js';
import { snapshot } from './fixture.js';

describe('timer lateness metrics', () => {
  it('renders a cumulative histogram with +Inf, sum and count in seconds', () => {
    const base = snapshot();
    const buckets = LATENESS_BUCKETS_MS.map(() => 0).concat(0);
    buckets[0] = 90; // <= 0.25 ms
    buckets[LATENESS_BUCKETS_MS.indexOf(2)] = 9; // <= 2 ms
    buckets[LATENESS_BUCKETS_MS.length] = 1; // > 1 s
    const snap = daemonSnapshot({ instances: [], drops: {} }, base.config, base.lvs, undefined, {
      buckets,
      count: 100,
      sumMs: 1500,
      maxMs: 1200,
    });
    const lines = renderMetrics(snap).split('\n');
    expect(lines).toContain('# TYPE keepvip_timer_lateness_seconds histogram');
    expect(lines).toContain('keepvip_timer_lateness_seconds_bucket{le="0.00025"} 90');
    expect(lines).toContain('keepvip_timer_lateness_seconds_bucket{le="0.001"} 90');
    expect(lines).toContain('keepvip_timer_lateness_seconds_bucket{le="0.002"} 99');
    expect(lines).toContain('keepvip_timer_lateness_seconds_bucket{le="1"} 99');
    expect(lines).toContain('keepvip_timer_lateness_seconds_bucket{le="+Inf"} 100');
    expect(lines).toContain('keepvip_timer_lateness_seconds_sum 1.5');
    expect(lines).toContain('keepvip_timer_lateness_seconds_count 100');
    expect(lines).toContain('keepvip_timer_lateness_max_seconds 1.2');
  });

  it('without timer figures the family is absent', () => {
    expect(renderMetrics(snapshot())).not.toContain('keepvip_timer_lateness');
  });
});
