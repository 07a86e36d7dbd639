/** A two-instance configuration and a matching runner status for the renderers' unit tests. */
import { loadConfigText } from '../../../src/config/load.js';
import type { KeepvipConfig } from '../../../src/config/model.js';
import { NO_IPVS, type LvsView } from '../../../src/control/lvs-view.js';
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
export function snapshot(lvs: LvsView = NO_IPVS): DaemonSnapshot {
  return daemonSnapshot(runnerStatus(), config(), lvs);
}

/** LVS is a programmed table: one TCP service with two real servers (one down) and one fwmark service. */
export const LVS: LvsView = {
  programmed: true,
  services: [
    {
      family: 'inet',
      protocol: 'tcp',
      address: '10.0.0.100',
      port: 80,
      schedName: 'wlc',
      stats: { conns: 100, inPkts: 1000, outPkts: 0, inBytes: 64000, outBytes: 0 },
      destinations: [
        {
          address: '10.0.1.1',
          port: 80,
          family: 'inet',
          forward: 'dr',
          weight: 5,
          activeConns: 3,
          inactConns: 7,
          alive: true,
        },
        {
          address: '10.0.1.2',
          port: 80,
          family: 'inet',
          forward: 'dr',
          weight: 0,
          activeConns: 0,
          inactConns: 1,
          alive: false,
          reason: 'HTTP status 500',
        },
      ],
    },
    {
      family: 'inet',
      fwmark: 7,
      schedName: 'rr',
      stats: { conns: 5, inPkts: 50, outPkts: 0, inBytes: 3000, outBytes: 0 },
      destinations: [
        {
          address: '10.0.1.3',
          port: 443,
          family: 'inet',
          forward: 'dr',
          weight: 1,
          activeConns: 1,
          inactConns: 0,
        },
      ],
    },
  ],
};
