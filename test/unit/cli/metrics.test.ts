import { describe, expect, it } from 'vitest';
import { parseListen, renderMetrics } from '../../../src/control/metrics.js';
import { newInstanceCounters } from '../../../src/util/counters.js';

describe('--metrics listen address', () => {
  it('accepts loopback and unix sockets', () => {
    expect(parseListen('127.0.0.1:9650')).toEqual({ host: '127.0.0.1', port: 9650 });
    expect(parseListen('[::1]:9650')).toEqual({ host: '::1', port: 9650 });
    expect(parseListen('unix:/run/keepvip.metrics')).toEqual({ path: '/run/keepvip.metrics' });
  });
  for (const bad of [
    '0.0.0.0:9650',
    '10.0.0.1:9650',
    '[::]:9650',
    'localhost:9650',
    '127.0.0.1:0',
    'nonsense',
  ]) {
    it(`refuses ${bad}`, () => {
      expect(() => parseListen(bad)).toThrow(/--metrics/);
    });
  }
});

describe('renderMetrics', () => {
  it('renders Prometheus text with drops by reason and escaped labels', () => {
    const counters = { ...newInstanceCounters(), advertsSent: 3, drops: { ttl: 2 } };
    const text = renderMetrics(
      [{ name: 'VI_"1"', state: 'BACKUP', basePriority: 100, effectivePriority: 95, counters, tracks: [] }],
      { 'unknown-vrid': 1 },
    );
    expect(text).toContain('keepvip_instance_state{instance="VI_\\"1\\""} 1');
    expect(text).toContain('keepvip_adverts_dropped_total{instance="VI_\\"1\\"",reason="ttl"} 2');
    expect(text).toContain('keepvip_adverts_dropped_total{instance="",reason="unknown-vrid"} 1');
    expect(text).toContain('keepvip_instance_priority{instance="VI_\\"1\\""} 95');
  });
});
