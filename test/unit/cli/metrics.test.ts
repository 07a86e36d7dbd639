import { describe, expect, it } from 'vitest';
import { parseListen, renderMetrics } from '../../../src/control/metrics.js';
import { daemonSnapshot } from '../../../src/control/snapshot.js';
import { newInstanceCounters } from '../../../src/util/counters.js';
import { config, snapshot } from '../control/fixture.js';

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

describe('renderMetrics: keepvip_* families', () => {
  it('renders Prometheus text with drops by reason and escaped labels', () => {
    const counters = { ...newInstanceCounters(), advertsSent: 3, drops: { ttl: 2 } };
    const cfg = config();
    cfg.vrrpInstances[0]!.name = 'VI_"1"';
    const text = renderMetrics(
      daemonSnapshot(
        {
          instances: [
            {
              name: 'VI_"1"',
              state: 'BACKUP',
              basePriority: 100,
              effectivePriority: 95,
              counters,
              tracks: [],
            },
          ],
          drops: { 'unknown-vrid': 1 },
        },
        { ...cfg, vrrpInstances: [cfg.vrrpInstances[0]!] },
      ),
    );
    expect(text).toContain('keepvip_instance_state{instance="VI_\\"1\\""} 1');
    expect(text).toContain('keepvip_adverts_dropped_total{instance="VI_\\"1\\"",reason="ttl"} 2');
    expect(text).toContain('keepvip_adverts_dropped_total{instance="",reason="unknown-vrid"} 1');
    expect(text).toContain('keepvip_instance_priority{instance="VI_\\"1\\""} 95');
  });

  it('every family has one HELP and one TYPE line, and every sample line parses', () => {
    const text = renderMetrics(snapshot());
    const names = new Set<string>();
    for (const line of text.trimEnd().split('\n')) {
      const help = /^# HELP (\w+) /.exec(line);
      if (help) {
        expect(names.has(help[1]!)).toBe(false);
        names.add(help[1]!);
        continue;
      }
      if (line.startsWith('# TYPE ')) continue;
      expect(line).toMatch(/^[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? -?[0-9.e+]+$/);
    }
    expect(names.size).toBeGreaterThan(20);
  });
});
