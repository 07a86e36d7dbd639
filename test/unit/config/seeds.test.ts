/**
 * Every keepalived configuration from the seed write-ups loads, and its resolved model says
 * what the file says (with keepalived 2.2.7's defaults where the file is silent).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { KeepvipConfig } from '../../../src/config/model.js';
import { SEED_CONFIGS } from '../../helpers/seeds.js';

const SEEDS = SEED_CONFIGS;

function seed(name: string): KeepvipConfig {
  const r = loadConfig(join(SEEDS, name), { hostname: 'testhost' });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(r.canRun).toBe(true);
  return r.config!;
}

const lvsVs = (vip: string, delayLoopMs: number) => ({
  address: vip,
  port: 80,
  family: 'inet',
  delayLoopMs,
  lbAlgo: 'rr',
  lbKind: 'DR',
  protocol: 'TCP',
  quorum: 1,
  hysteresis: 0,
});

describe('seed configurations', () => {
  it('000-lvs01-dr-master.conf: VI_1 MASTER 150 and an rr/DR virtual server with TCP_CHECKs', () => {
    const c = seed('000-lvs01-dr-master.conf');
    expect(c.globalDefs.routerId).toBe('Director1');
    expect(c.vrrpInstances).toHaveLength(1);
    const vi = c.vrrpInstances[0]!;
    expect(vi).toMatchObject({
      name: 'VI_1',
      initialState: 'MASTER',
      interface: 'ens33',
      virtualRouterId: 51,
      priority: 150,
      advertIntervalMs: 1000,
      version: 2,
      family: 'inet',
      authentication: { type: 'PASS', password: '1111' },
      nopreempt: false,
    });
    expect(vi.virtualIpAddresses).toMatchObject([
      { address: '192.168.23.20', prefixLength: 24, dev: 'ens33' },
    ]);
    expect(c.virtualServers).toHaveLength(1);
    const vs = c.virtualServers[0]!;
    expect(vs).toMatchObject(lvsVs('192.168.23.20', 3000));
    expect(vs.persistenceTimeoutS).toBeUndefined();
    expect(vs.realServers.map((r) => `${r.address}:${r.port}/${r.weight}`)).toEqual([
      '192.168.23.134:80/1',
      '192.168.23.135:80/1',
    ]);
    for (const rs of vs.realServers) {
      expect(rs.checkers).toMatchObject([
        { kind: 'TCP_CHECK', connectTimeoutMs: 3000, retry: 1, delayBeforeRetryMs: 1000 },
      ]);
      expect(rs.checkers[0]!.connectPort).toBeUndefined();
    }
  });

  it('000-lvs02-dr-backup.conf: the same router as BACKUP 100', () => {
    const c = seed('000-lvs02-dr-backup.conf');
    expect(c.globalDefs.routerId).toBe('Director2');
    expect(c.vrrpInstances[0]).toMatchObject({ initialState: 'BACKUP', priority: 100, virtualRouterId: 51 });
  });

  for (const [file, state, priority] of [
    ['001-node1-master.conf', 'MASTER', 100],
    ['001-node2-backup.conf', 'BACKUP', 95],
  ] as const) {
    it(`${file}: SMTP globals, mcast group, two weighted scripts, notify commands`, () => {
      const c = seed(file);
      expect(c.globalDefs).toMatchObject({
        routerId: 'node1',
        notificationEmail: ['root@localhost'],
        notificationEmailFrom: 'keepalived@localhost',
        smtpServer: { host: '127.0.0.1', port: 25 },
        smtpConnectTimeoutMs: 30_000,
        vrrpMcastGroup4: '224.0.67.67',
      });
      expect(c.vrrpScripts).toMatchObject([
        {
          name: 'chk_down',
          script: '[[ -f /etc/keepalived/down ]] && exit 1 || exit 0',
          intervalMs: 1000,
          timeoutMs: 1000,
          weight: -5,
          fall: 1,
          rise: 1,
        },
        {
          name: 'chk_nginx',
          script: 'killall -0 nginx && exit 0 || exit 1',
          intervalMs: 1000,
          weight: -5,
          fall: 2,
          rise: 1,
        },
      ]);
      const vi = c.vrrpInstances[0]!;
      expect(vi).toMatchObject({
        name: 'myr',
        initialState: state,
        priority,
        virtualRouterId: 167,
        interface: 'eno16777736',
      });
      expect(vi.authentication).toEqual({ type: 'PASS', password: '571f97b2' });
      expect(vi.virtualIpAddresses).toMatchObject([
        { address: '172.18.67.33', prefixLength: 16, dev: 'eno16777736' },
      ]);
      expect(vi.trackScripts.map((t) => [t.name, t.weight])).toEqual([
        ['chk_down', undefined],
        ['chk_nginx', undefined],
      ]);
      expect(vi.notify).toEqual({
        master: '/etc/keepalived/notify.sh master',
        backup: '/etc/keepalived/notify.sh backup',
        fault: '/etc/keepalived/notify.sh fault',
      });
    });
  }

  it('002-dir1-dr-wlc.conf: wlc/DR, persistence_timeout 0 means none, nb_get_retry read as retry', () => {
    const r = loadConfig(join(SEEDS, '002-dir1-dr-wlc.conf'), { hostname: 'testhost' });
    expect(r.canRun).toBe(true);
    expect(r.diagnostics.filter((d) => d.code === 'deprecated-keyword').map((d) => d.line)).toEqual([
      29, 39, 50,
    ]);
    const c = r.config!;
    expect(c.globalDefs.routerId).toBe('testhost');
    expect(c.vrrpInstances[0]).toMatchObject({
      initialState: 'MASTER',
      priority: 100,
      interface: 'eth0',
      virtualRouterId: 51,
    });
    expect(c.vrrpInstances[0]!.authentication).toEqual({ type: 'PASS', password: 'hell>com' });
    expect(c.vrrpInstances[0]!.virtualIpAddresses).toMatchObject([
      { address: '192.168.188.120', prefixLength: 32 },
    ]);
    expect(c.vrrpInstances[0]!.virtualIpAddresses[0]!.dev).toBeUndefined();
    const vs = c.virtualServers[0]!;
    expect(vs).toMatchObject({ ...lvsVs('192.168.188.120', 5000), lbAlgo: 'wlc' });
    expect(vs.persistenceTimeoutS).toBeUndefined();
    expect(vs.realServers.map((x) => `${x.address}:${x.port}/${x.weight}`)).toEqual([
      '192.168.188.107:80/100',
      '192.168.188.110:80/100',
    ]);
    for (const rs of vs.realServers) {
      expect(rs.checkers).toMatchObject([
        { kind: 'TCP_CHECK', connectTimeoutMs: 10_000, retry: 3, delayBeforeRetryMs: 3000, connectPort: 80 },
      ]);
    }
  });

  it('003-global-defs-example.conf: three notification addresses and three VIPs without prefix', () => {
    const c = seed('003-global-defs-example.conf');
    expect(c.globalDefs).toMatchObject({
      routerId: 'LVS_DEVEL',
      notificationEmail: ['acassen@firewall.loc', 'failover@firewall.loc', 'sysadmin@firewall.loc'],
      notificationEmailFrom: 'Alexandre.Cassen@firewall.loc',
      smtpServer: { host: '192.168.200.1', port: 25 },
    });
    expect(c.vrrpInstances[0]!.virtualIpAddresses.map((v) => `${v.address}/${v.prefixLength}`)).toEqual([
      '192.168.200.16/32',
      '192.168.200.17/32',
      '192.168.200.18/32',
    ]);
    expect(c.virtualServers).toEqual([]);
  });

  for (const [file, routerId, vi1, vi2] of [
    ['003-lb01-dual-master.conf', 'lb01', ['MASTER', 150], ['BACKUP', 100]],
    ['003-lb02-dual-master.conf', 'lb02', ['BACKUP', 100], ['MASTER', 150]],
  ] as const) {
    it(`${file}: crossed VI_1/VI_2 with labelled VIPs`, () => {
      const c = seed(file);
      expect(c.globalDefs.routerId).toBe(routerId);
      expect(c.vrrpInstances.map((i) => [i.name, i.virtualRouterId, i.initialState, i.priority])).toEqual([
        ['VI_1', 51, ...vi1],
        ['VI_2', 52, ...vi2],
      ]);
      expect(c.vrrpInstances.map((i) => i.virtualIpAddresses[0])).toMatchObject([
        { address: '192.168.178.3', prefixLength: 24, dev: 'ens33', label: 'ens33:3' },
        { address: '192.168.178.4', prefixLength: 24, dev: 'ens33', label: 'ens33:4' },
      ]);
    });
  }

  it('004-lvs01-dr-rr.conf: rr/DR, connect_port, nb_get_retry, commented-out vrrp_strict and nopreempt', () => {
    const r = loadConfig(join(SEEDS, '004-lvs01-dr-rr.conf'), { hostname: 'testhost' });
    expect(r.canRun).toBe(true);
    const c = r.config!;
    expect(c.globalDefs).toMatchObject({
      routerId: 'LVS_01',
      vrrpStrict: false,
      smtpServer: { host: '127.0.0.1', port: 25 },
    });
    expect(c.vrrpInstances[0]).toMatchObject({
      virtualRouterId: 10,
      nopreempt: false,
      priority: 100,
      accept: true,
    });
    const vs = c.virtualServers[0]!;
    expect(vs).toMatchObject(lvsVs('192.168.154.188', 6000));
    expect(vs.persistenceTimeoutS).toBeUndefined();
    expect(vs.realServers.map((x) => x.address)).toEqual(['192.168.154.12', '192.168.154.13']);
    for (const rs of vs.realServers) {
      expect(rs.checkers).toMatchObject([
        { kind: 'TCP_CHECK', connectPort: 80, connectTimeoutMs: 3000, retry: 3, delayBeforeRetryMs: 3000 },
      ]);
    }
  });

  it('004-nginx-check.conf: a positive-weight script tracked by VI_1', () => {
    const c = seed('004-nginx-check.conf');
    expect(c.vrrpScripts).toMatchObject([
      { name: 'check_nginx', script: '/etc/keepalived/nginx.sh', intervalMs: 2000, weight: 2 },
    ]);
    expect(c.vrrpInstances[0]!.trackScripts.map((t) => t.name)).toEqual(['check_nginx']);
    expect(c.vrrpInstances[0]!.virtualIpAddresses.map((v) => v.address)).toEqual(['192.168.154.188']);
  });
});
