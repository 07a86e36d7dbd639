/** A two-instance configuration and a matching runner status for the renderers' unit tests. */
import { loadConfigText } from '../../../src/config/load.js';
import type { KeepvipConfig } from '../../../src/config/model.js';
import type { CheckSnapshot } from '../../../src/check/snapshot.js';
import { lvsViewOf } from '../../../src/control/lvs-adapter.js';
import { NO_IPVS, type LvsView } from '../../../src/control/lvs-view.js';
import type { LvsStatus } from '../../../src/lvs/status.js';
import { daemonSnapshot, type DaemonSnapshot, type InstanceView } from '../../../src/control/snapshot.js';
import { newInstanceCounters } from '../../../src/util/counters.js';

/** CONFIG_TEXT has VI_1 (v2, PASS, one /24 VIP on eth0, one /32 on eth1, an excluded VIP) and VI_2 (v3 IPv6). */
export const CONFIG_TEXT = `
vrrp_script chk_nginx {
    script "/usr/bin/killall -0 nginx"
    interval 1
    weight -20
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass s3cret
    }
    virtual_ipaddress {
        10.0.0.100/24
        10.1.0.5 dev eth1
    }
    virtual_ipaddress_excluded {
        10.2.0.9/32
    }
    track_script {
        chk_nginx
    }
    notify_master "/etc/keepalived/master.sh"
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    version 3
    priority 100
    advert_int 0.5
    virtual_ipaddress {
        fd00::5/64
    }
}
`;

/** config is CONFIG_TEXT built. */
export function config(): KeepvipConfig {
  const r = loadConfigText(CONFIG_TEXT, 'keepalived.conf');
  if (!r.config) throw new Error(JSON.stringify(r.diagnostics));
  return r.config;
}

/** runnerStatus is what VrrpRunner.status() would say with VI_1 MASTER (script failing) and VI_2 BACKUP. */
export function runnerStatus(): { instances: Partial<InstanceView>[]; drops: Record<string, number> } {
  return {
    instances: [
      {
        name: 'VI_1',
        state: 'MASTER',
        basePriority: 150,
        effectivePriority: 130,
        masterAddress: '10.0.0.1',
        interface: 'eth0',
        vrid: 51,
        version: 2,
        vips: ['10.0.0.100/24', '10.1.0.5/32'],
        faults: [],
        tracks: [{ name: 'script chk_nginx', good: false, weight: -20 }],
        counters: {
          ...newInstanceCounters(),
          advertsSent: 42,
          advertsReceived: 3,
          becameMaster: 2,
          releasedMaster: 1,
          priorityZeroSent: 1,
          drops: { ttl: 2, auth: 1, 'address-count': 4, addresses: 1, checksum: 7 },
        },
        transitions: [
          { wallTime: '2026-12-02T03:00:00.000Z', from: 'BACKUP', to: 'MASTER', reason: 'master down' },
        ],
      },
      {
        name: 'VI_2',
        state: 'BACKUP',
        basePriority: 100,
        effectivePriority: 100,
        interface: 'eth0',
        vrid: 52,
        version: 3,
        vips: ['fd00::5/64'],
        faults: [],
        tracks: [],
        counters: { ...newInstanceCounters(), advertsReceived: 9 },
        transitions: [],
      },
    ],
    drops: { 'unknown-vrid': 5 },
  };
}

/** snapshot is the renderers' input for the fixture. */
export function snapshot(lvs: LvsView = NO_IPVS, checks?: CheckSnapshot): DaemonSnapshot {
  return daemonSnapshot(runnerStatus(), config(), lvs, checks);
}

/** LVS_STATUS is the LVS part's status (src/lvs/status.ts shape): a TCP service with two real servers (one down) and an fwmark service. */
export const LVS_STATUS: LvsStatus = {
  state: 'programmed',
  reconciles: 3,
  operations: 7,
  virtualServers: [
    {
      key: '[10.0.0.100]:tcp:80',
      quorum: { up: true, liveWeight: 5, quorum: 1, hysteresis: 0, sorryInUse: false },
      realServers: [
        {
          key: '[10.0.0.100]:tcp:80 -> [10.0.1.1]:tcp:80',
          address: '10.0.1.1',
          port: 80,
          alive: true,
          weight: 5,
          tableWeight: 5,
          reason: 'HTTP_GET ok',
        },
        {
          key: '[10.0.0.100]:tcp:80 -> [10.0.1.2]:tcp:80',
          address: '10.0.1.2',
          port: 80,
          alive: false,
          weight: 0,
          tableWeight: 0,
          reason: 'HTTP status 500',
        },
      ],
      services: [
        {
          key: 'inet tcp [10.0.0.100]:80',
          scheduler: 'wlc',
          flags: 2,
          persistenceTimeoutS: 0,
          counters: { conns: 100, inPkts: 1000, outPkts: 0, inBytes: 64000, outBytes: 0 },
          destinations: [
            { address: '10.0.1.1', port: 80, forward: 'dr', weight: 5, activeConns: 3, inactConns: 7 },
            { address: '10.0.1.2', port: 80, forward: 'dr', weight: 0, activeConns: 0, inactConns: 1 },
          ],
        },
      ],
    },
    {
      key: 'FWM 7',
      quorum: { up: false, liveWeight: 0, quorum: 2, hysteresis: 0, sorryInUse: true },
      realServers: [],
      services: [
        {
          key: 'inet fwmark 7',
          scheduler: 'rr',
          flags: 2,
          persistenceTimeoutS: 0,
          counters: { conns: 5, inPkts: 50, outPkts: 0, inBytes: 3000, outBytes: 0 },
          destinations: [
            { address: '10.0.1.3', port: 443, forward: 'dr', weight: 1, activeConns: 1, inactConns: 0 },
          ],
        },
      ],
    },
  ],
};

/** LVS is LVS_STATUS as control/ renders it. */
export const LVS: LvsView = lvsViewOf(LVS_STATUS);

/** CHECKS is a checker snapshot (src/check/snapshot.ts shape) for the same real servers. */
export const CHECKS: CheckSnapshot = {
  realServers: [
    {
      key: '[10.0.0.100]:tcp:80 -> [10.0.1.2]:tcp:80',
      virtualServer: '[10.0.0.100]:tcp:80',
      realServer: '[10.0.1.2]:tcp:80',
      alive: false,
      weight: 0,
      configuredWeight: 5,
      reason: 'HTTP status 500',
      changedAtMs: 1000,
      heldDown: false,
      verdictChanges: 1,
      checkers: [
        {
          kind: 'HTTP_GET',
          target: '10.0.1.2:80',
          up: false,
          hasRun: true,
          retrying: 0,
          running: false,
          last: { ok: false, reason: 'HTTP status 500', latencyMs: 2.5, atMs: 990 },
          runs: 4,
          failures: 2,
          durationMsTotal: 10,
        },
      ],
    },
  ],
  totals: { checkers: 1, runs: 4, failures: 2, inFlight: 0 },
};
