/**
 * snmp_name and ha_suspend where keepvip shows virtual and real servers: the `lvs` section of the
 * status document (JSON), the status text (also the SIGUSR1 dump's first part) and the keepvip_*
 * real-server and checker series. keepvip has no SNMP agent; the name labels the server instead.
 * node_exporter's node_ipvs_* keep node_exporter's label set.
 */
import { describe, expect, it } from 'vitest';
import type { CheckSnapshot } from '../../../src/check/snapshot.js';
import { loadConfigText } from '../../../src/config/load.js';
import type { KeepvipConfig } from '../../../src/config/model.js';
import { lvsViewOf } from '../../../src/control/lvs-adapter.js';
import { renderMetrics } from '../../../src/control/metrics.js';
import { daemonSnapshot } from '../../../src/control/snapshot.js';
import { formatStatus } from '../../../src/control/status-text.js';
import { DaemonLvs } from '../../../src/daemon/lvs.js';
import { LvsReconciler } from '../../../src/lvs/reconciler.js';
import type { LvsStatus } from '../../../src/lvs/status.js';
import { silentLogger } from '../../../src/util/logger.js';
import { FakeIpvs, TestClock } from '../lvs/fake-ipvs.js';
import { CHECKS, LVS_STATUS, runnerStatus } from './fixture.js';

const NAMED = `
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    10.0.0.100
  }
}
virtual_server 10.0.0.100 80 {
  protocol TCP
  lb_kind DR
  ha_suspend
  snmp_name web-vip
  real_server 10.0.1.1 80 {
    snmp_name app-1
  }
  real_server 10.0.1.2 80 {
  }
}
`;

function named(): KeepvipConfig {
  const r = loadConfigText(NAMED, 'keepalived.conf');
  if (!r.config) throw new Error(JSON.stringify(r.diagnostics));
  return r.config;
}

/** NAMED_STATUS is the fixture's LVS status with the names and the ha_suspend set the daemon reports. */
const NAMED_STATUS: LvsStatus = {
  ...LVS_STATUS,
  haSuspended: ['[10.0.0.100]:tcp:80'],
  names: { '[10.0.0.100]:tcp:80': 'web-vip', '[10.0.0.100]:tcp:80 -> [10.0.1.1]:tcp:80': 'app-1' },
  virtualServers: LVS_STATUS.virtualServers.map((v, i) =>
    i === 0
      ? {
          ...v,
          name: 'web-vip',
          realServers: v.realServers.map((r, j) => (j === 0 ? { ...r, name: 'app-1' } : r)),
        }
      : v,
  ),
};

const CHECKS_1: CheckSnapshot = {
  ...CHECKS,
  realServers: [
    {
      ...CHECKS.realServers[0]!,
      key: '[10.0.0.100]:tcp:80 -> [10.0.1.1]:tcp:80',
      realServer: '[10.0.1.1]:tcp:80',
      alive: true,
    },
  ],
};

describe('snmp_name in the LVS part status (keepvip status --json)', () => {
  it('the reconciler names the virtual and real servers from the configuration', async () => {
    const r = new LvsReconciler({ port: new FakeIpvs(), clock: new TestClock(), log: silentLogger });
    await r.start(named());
    const vs = r.status().virtualServers[0]!;
    expect(vs).toMatchObject({ key: '[10.0.0.100]:tcp:80', name: 'web-vip' });
    expect(vs.realServers.map((s) => [s.address, s.name])).toEqual([
      ['10.0.1.1', 'app-1'],
      ['10.0.1.2', undefined],
    ]);
    expect(Object.keys(vs.realServers[1]!)).not.toContain('name');
    await r.stop(false);
  });

  it('the daemon side names them from the configuration even on a kernel without IPVS', async () => {
    const port = new FakeIpvs();
    port.hasIpvs = false;
    const lvs = new DaemonLvs({ config: named(), clock: new TestClock(), log: silentLogger, port });
    await lvs.start();
    const s = lvs.status();
    expect(s.state).toBe('not-programmed');
    expect(s.names).toEqual({
      '[10.0.0.100]:tcp:80': 'web-vip',
      '[10.0.0.100]:tcp:80 -> [10.0.1.1]:tcp:80': 'app-1',
    });
    const t = formatStatus({ pid: 1, version: 'x', instances: [], drops: {}, lvs: s, checkers: CHECKS_1 });
    expect(t).toContain('  [10.0.1.1]:tcp:80 (app-1) of [10.0.0.100]:tcp:80 (web-vip): alive');
    await lvs.stop();
  });
});

describe('snmp_name and ha_suspend in the status text', () => {
  const text = () =>
    formatStatus({
      pid: 1,
      version: 'x',
      instances: [],
      drops: {},
      lvs: NAMED_STATUS,
      checkers: CHECKS_1,
    });

  it('the service and its destinations carry their names; a suspended one says so', () => {
    expect(text()).toContain(
      'IPVS:\n  TCP [10.0.0.100]:80 (web-vip) wlc  HA-SUSPENDED (checkers paused: VIP not here)\n    -> [10.0.1.1]:80 (app-1) dr weight 5',
    );
    expect(text()).toContain('    -> [10.0.1.2]:80 dr weight 0');
    expect(text()).toContain('  FWM 7 rr  QUORUM LOST\n');
  });

  it('a line names the ha-suspended virtual servers; the real-server lines say their checkers pause', () => {
    expect(text()).toContain(
      'ha_suspend: checkers paused for [10.0.0.100]:tcp:80 (web-vip) (VIP not on this director)',
    );
    expect(text()).toContain(
      '  [10.0.1.1]:tcp:80 (app-1) of [10.0.0.100]:tcp:80 (web-vip): alive weight 0, checkers paused (ha_suspend)',
    );
  });

  it('nothing of it without names or suspension', () => {
    const t = formatStatus({
      pid: 1,
      version: 'x',
      instances: [],
      drops: {},
      lvs: LVS_STATUS,
      checkers: CHECKS,
    });
    expect(t).not.toContain('ha_suspend');
    expect(t).not.toContain('HA-SUSPENDED');
    expect(t).toContain('  [10.0.1.2]:tcp:80 of [10.0.0.100]:tcp:80: DOWN weight 0 (HTTP status 500)');
  });
});

describe('snmp_name in the Prometheus families', () => {
  it('keepvip_real_server_* and keepvip_checker_* carry virtual_server_name / real_server_name where configured', () => {
    const t = renderMetrics(daemonSnapshot(runnerStatus(), named(), lvsViewOf(NAMED_STATUS), CHECKS_1)).split(
      '\n',
    );
    const L =
      'virtual_server="[10.0.0.100]:tcp:80",real_server="[10.0.1.1]:tcp:80",virtual_server_name="web-vip",real_server_name="app-1"';
    expect(t).toContain(`keepvip_real_server_alive{${L}} 1`);
    expect(t).toContain(`keepvip_real_server_held_down{${L}} 0`);
    expect(t).toContain(`keepvip_checker_up{${L},checker="HTTP_GET",target="10.0.1.2:80"} 0`);
    // node_exporter's families keep its label set.
    expect(t.filter((l) => l.startsWith('node_ipvs_') && l.includes('_name='))).toEqual([]);
  });

  it('without checkers the LVS verdicts carry the names', () => {
    const t = renderMetrics(daemonSnapshot(runnerStatus(), named(), lvsViewOf(NAMED_STATUS))).split('\n');
    expect(t).toContain(
      'keepvip_real_server_alive{virtual_server="[10.0.0.100]:tcp:80",real_server="[10.0.1.1]:tcp:80",virtual_server_name="web-vip",real_server_name="app-1"} 1',
    );
    expect(t).toContain(
      'keepvip_real_server_alive{virtual_server="[10.0.0.100]:tcp:80",real_server="[10.0.1.2]:tcp:80",virtual_server_name="web-vip"} 0',
    );
  });
});
