/** Builders: each block kind read into the model with keepalived 2.2.7's defaults (named cases). */
import { describe, expect, it } from 'vitest';
import { BASE_INSTANCE, codes, load } from './build-helper.js';

const instance = (body: string, extra = '') =>
  load(`${extra}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n${body}\n}\n`);

describe('global_defs', () => {
  it('defaults when absent', () => {
    const c = load(BASE_INSTANCE).config!;
    expect(c.globalDefs).toMatchObject({
      routerId: 'testhost',
      notificationEmail: [],
      notificationEmailFrom: 'keepalived@testhost',
      smtpHeloName: 'testhost',
      smtpConnectTimeoutMs: 30_000,
      vrrpMcastGroup4: '224.0.0.18',
      vrrpMcastGroup6: 'ff02::12',
      vrrpVersion: 2,
      garp: {
        masterDelayMs: 5000,
        masterRepeat: 5,
        masterRefreshMs: 0,
        masterRefreshRepeat: 1,
        lowerPrioDelayMs: 5000,
        lowerPrioRepeat: 5,
        intervalMs: 0,
      },
      vrrpStrict: false,
      enableScriptSecurity: false,
    });
  });

  it('reads every supported keyword', () => {
    const r = load(`global_defs {
  router_id r1
  notification_email {
    a@x
    b@x
  }
  notification_email_from ka@x
  smtp_server 10.0.0.1 2525
  smtp_helo_name helo.x
  smtp_connect_timeout 12
  smtp_alert off
  vrrp_mcast_group4 224.0.0.99
  vrrp_mcast_group6 ff02::99
  vrrp_version 3
  vrrp_garp_master_delay 2
  vrrp_garp_master_repeat 3
  vrrp_garp_master_refresh 60
  vrrp_garp_master_refresh_repeat 2
  vrrp_garp_interval 0.001
  vrrp_gna_interval 0.002
  vrrp_strict
  script_user nobody nogroup
  enable_script_security
  default_interface eth9
  notify_fifo /run/ka.fifo
  notify_fifo_script /bin/reader
  vrrp_notify_fifo /run/vrrp.fifo
}
${BASE_INSTANCE}`);
    expect(r.diagnostics).toEqual([]);
    expect(r.config!.globalDefs).toMatchObject({
      routerId: 'r1',
      notificationEmail: ['a@x', 'b@x'],
      notificationEmailFrom: 'ka@x',
      smtpServer: { host: '10.0.0.1', port: 2525 },
      smtpHeloName: 'helo.x',
      smtpConnectTimeoutMs: 12_000,
      smtpAlert: false,
      vrrpMcastGroup4: '224.0.0.99',
      vrrpMcastGroup6: 'ff02::99',
      vrrpVersion: 3,
      // lower_prio_* default to the master_* values (keepalived.conf(5)).
      garp: {
        masterDelayMs: 2000,
        masterRepeat: 3,
        masterRefreshMs: 60_000,
        masterRefreshRepeat: 2,
        lowerPrioDelayMs: 2000,
        lowerPrioRepeat: 3,
        intervalMs: 1,
      },
      gnaIntervalMs: 2,
      vrrpStrict: true,
      scriptUser: { user: 'nobody', group: 'nogroup' },
      enableScriptSecurity: true,
      defaultInterface: 'eth9',
      notifyFifo: { path: '/run/ka.fifo', script: '/bin/reader' },
      vrrpNotifyFifo: { path: '/run/vrrp.fifo' },
    });
  });

  it.each([
    ['unknown keyword', 'router_name x', 'warning:unknown-keyword'],
    ['unsupported keepalived keyword', 'enable_traps', 'warning:unsupported-keyword'],
    ['non-multicast group', 'vrrp_mcast_group4 10.1.2.3', 'warning:mcast-group'],
    ['bad version', 'vrrp_version 4', 'warning:version'],
    ['bad smtp port', 'smtp_server 1.2.3.4 99999', 'warning:port-range'],
  ])('%s', (_name, line, code) => {
    const r = load(`global_defs {\n ${line}\n}\n${BASE_INSTANCE}`);
    expect(codes(r)).toEqual([code]);
    expect(r.diagnostics[0]).toMatchObject({
      line: 2,
      col: line.startsWith('smtp') || line.startsWith('vrrp_') ? expect.any(Number) : 2,
    });
    expect(r.canRun).toBe(true);
  });
});

describe('global_defs lvs_id (keepalived 1.x router_id)', () => {
  it('is read as router_id with a warning that says keepalived 2.2.7 rejects it', () => {
    const r = load(`global_defs {\n lvs_id LVS_DEVEL\n}\n${BASE_INSTANCE}`);
    expect(r.config!.globalDefs.routerId).toBe('LVS_DEVEL');
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'deprecated-keyword',
        line: 2,
        col: 2,
        message: `lvs_id is the keepalived 1.x name of 'router_id' (keepalived 2.2.7 says "Unknown keyword 'lvs_id'" and keeps the host name); read as 'router_id LVS_DEVEL'`,
      }),
    ]);
    expect(r.canRun).toBe(true);
  });

  it('router_id wins, before or after it', () => {
    for (const body of [' lvs_id LVS_DEVEL\n router_id r1', ' router_id r1\n lvs_id LVS_DEVEL']) {
      const r = load(`global_defs {\n${body}\n}\n${BASE_INSTANCE}`);
      expect(r.config!.globalDefs.routerId).toBe('r1');
      expect(r.diagnostics.map((d) => d.message)).toEqual([
        expect.stringMatching(/1\.x name of 'router_id'.*; ignored: router_id r1 is also given$/),
      ]);
    }
  });
});

describe('vrrp_script and track_file', () => {
  it('vrrp_script defaults: interval 1 s, timeout = interval, weight 0, fall/rise 1', () => {
    const c = load(`vrrp_script s {\n script "/bin/true x"\n interval 3\n}\n${BASE_INSTANCE}`).config!;
    expect(c.vrrpScripts).toMatchObject([
      {
        name: 's',
        script: '/bin/true x',
        intervalMs: 3000,
        timeoutMs: 3000,
        weight: 0,
        weightReverse: false,
        fall: 1,
        rise: 1,
        initFail: false,
      },
    ]);
  });

  it('vrrp_script with every keyword', () => {
    const c = load(
      `vrrp_script s {\n script /bin/x\n interval 2\n timeout 5\n weight 10 reverse\n fall 3\n rise 4\n user nobody\n init_fail\n}\n${BASE_INSTANCE}`,
    ).config!;
    expect(c.vrrpScripts[0]).toMatchObject({
      timeoutMs: 5000,
      weight: 10,
      weightReverse: true,
      fall: 3,
      rise: 4,
      user: { user: 'nobody' },
      initFail: true,
    });
  });

  it('vrrp_script without script is removed with a warning', () => {
    const r = load(`vrrp_script s {\n interval 2\n}\n${BASE_INSTANCE}`);
    expect(codes(r)).toEqual(['warning:script-missing']);
    expect(r.config!.vrrpScripts).toEqual([]);
  });

  it('vrrp_script weight outside -253..253 keeps 0', () => {
    const r = load(`vrrp_script s {\n script /bin/x\n weight 254\n}\n${BASE_INSTANCE}`);
    expect(codes(r)).toContain('warning:weight-range');
    expect(r.config!.vrrpScripts[0]!.weight).toBe(0);
  });

  it('track_file with weight, reverse and init_file', () => {
    const c = load(
      `track_file f {\n file "/run/f"\n weight -3 reverse\n init_file 7 overwrite\n}\n${BASE_INSTANCE}`,
    ).config!;
    expect(c.trackFiles).toMatchObject([
      { name: 'f', file: '/run/f', weight: -3, weightReverse: true, initFile: { value: 7, overwrite: true } },
    ]);
  });

  it('track_file defaults weight to 1; vrrp_track_file is a deprecated synonym', () => {
    const r = load(`vrrp_track_file f {\n file /run/f\n}\n${BASE_INSTANCE}`);
    expect(codes(r)).toEqual(['warning:deprecated-keyword']);
    expect(r.config!.trackFiles[0]).toMatchObject({ weight: 1, weightReverse: false });
  });
});

describe('vrrp_instance', () => {
  it('defaults: BACKUP, priority 100, advert 1 s, version 2, garp from globals, accept', () => {
    const vi = load(BASE_INSTANCE).config!.vrrpInstances[0]!;
    expect(vi).toMatchObject({
      initialState: 'BACKUP',
      priority: 100,
      advertIntervalMs: 1000,
      version: 2,
      family: 'inet',
      nopreempt: false,
      preemptDelayMs: 0,
      accept: true,
      dontTrackPrimary: false,
      unicastPeers: [],
      garp: { masterDelayMs: 5000, masterRepeat: 5 },
    });
    expect(vi.authentication).toBeUndefined();
  });

  it('state MASTER without priority is the address owner (255), as keepalived does', () => {
    expect(
      instance('state MASTER\n virtual_ipaddress {\n 10.0.0.1\n }').config!.vrrpInstances[0]!.priority,
    ).toBe(255);
  });

  it('priority 255 without state starts as MASTER', () => {
    expect(
      instance('priority 255\n virtual_ipaddress {\n 10.0.0.1\n }').config!.vrrpInstances[0]!.initialState,
    ).toBe('MASTER');
  });

  it('full VIP syntax, IPv4 and IPv6 (canonical), and excluded VIPs', () => {
    const c = load(`vrrp_instance V6 {
 interface eth0
 virtual_router_id 9
 virtual_ipaddress {
  FE80::0:1/64 dev eth1 scope link label x
  2001:db8::10
 }
 virtual_ipaddress_excluded {
  192.0.2.7/24 brd 192.0.2.255 dev eth2 scope global label eth2:1
 }
}`).config!;
    const vi = c.vrrpInstances[0]!;
    expect(vi.family).toBe('inet6');
    expect(vi.version).toBe(3);
    expect(vi.virtualIpAddresses).toMatchObject([
      { address: 'fe80::1', family: 'inet6', prefixLength: 64, dev: 'eth1', scope: 'link', label: 'x' },
      { address: '2001:db8::10', prefixLength: 128 },
    ]);
    expect(vi.virtualIpAddressesExcluded).toMatchObject([
      {
        address: '192.0.2.7',
        family: 'inet',
        prefixLength: 24,
        brd: '192.0.2.255',
        dev: 'eth2',
        scope: 'global',
        label: 'eth2:1',
      },
    ]);
  });

  it('every other keyword', () => {
    const vi = load(`vrrp_script s1 {\n script /bin/true\n}\ntrack_file f1 {\n file /run/f\n}
vrrp_instance VI_1 {
 state BACKUP
 interface eth0
 virtual_router_id 51
 priority 90
 advert_int 0.5
 version 3
 nopreempt
 unicast_src_ip 10.0.0.1
 unicast_peer {
  10.0.0.2
  10.0.0.3
 }
 mcast_src_ip 10.0.0.1
 track_script {
  s1 weight -20 reverse
 }
 track_interface {
  eth1 weight 5
  eth2
 }
 track_file {
  f1
 }
 notify_master "/bin/m a"
 notify_backup /bin/b
 notify_fault /bin/f
 notify_stop /bin/s
 notify /bin/n
 smtp_alert
 garp_master_delay 1
 garp_master_repeat 2
 garp_master_refresh 30
 garp_master_refresh_repeat 3
 garp_lower_prio_delay 4
 garp_lower_prio_repeat 6
 accept
 dont_track_primary
 virtual_ipaddress {
  10.0.0.100/24
 }
}`).config!.vrrpInstances[0]!;
    expect(vi).toMatchObject({
      priority: 90,
      advertIntervalMs: 500,
      version: 3,
      nopreempt: true,
      unicastSrcIp: '10.0.0.1',
      unicastPeers: ['10.0.0.2', '10.0.0.3'],
      mcastSrcIp: '10.0.0.1',
      notify: { master: '/bin/m a', backup: '/bin/b', fault: '/bin/f', stop: '/bin/s', any: '/bin/n' },
      smtpAlert: true,
      garp: {
        masterDelayMs: 1000,
        masterRepeat: 2,
        masterRefreshMs: 30_000,
        masterRefreshRepeat: 3,
        lowerPrioDelayMs: 4000,
        lowerPrioRepeat: 6,
      },
      accept: true,
      dontTrackPrimary: true,
    });
    expect(vi.trackScripts).toMatchObject([{ name: 's1', weight: -20, weightReverse: true }]);
    expect(vi.trackInterfaces).toMatchObject([{ name: 'eth1', weight: 5 }, { name: 'eth2' }]);
    expect(vi.trackFiles).toMatchObject([{ name: 'f1' }]);
  });

  it('version defaults to the global vrrp_version', () => {
    const vi = load(`global_defs {\n vrrp_version 3\n}\n${BASE_INSTANCE}`).config!.vrrpInstances[0]!;
    expect(vi.version).toBe(3);
  });

  it('authentication PASS is kept under VRRPv2', () => {
    const vi = instance(
      'authentication {\n auth_type PASS\n auth_pass secret\n }\n virtual_ipaddress {\n 10.0.0.1\n }',
    ).config!.vrrpInstances[0]!;
    expect(vi.authentication).toEqual({ type: 'PASS', password: 'secret' });
  });

  // Findings: [name, body, expected codes, canRun]. Positions are checked in validate.test.ts.
  it.each([
    ['vrid-range: 0', 'virtual_router_id 0', ['error:vrid-range'], false],
    ['vrid-range: 256', 'virtual_router_id 256', ['error:vrid-range'], false],
    ['priority-range: 300 falls back to 100', 'priority 300', ['warning:priority-range'], true],
    ['advert-int-range: v2 fraction rounds', 'advert_int 1.5', ['warning:advert-int-range'], true],
    ['advert-int-range: v3 above 40.95 s', 'version 3\n advert_int 41', ['warning:advert-int-range'], true],
    ['advert-int-range: zero', 'advert_int 0', ['warning:advert-int-range'], true],
    [
      'auth-pass-truncated',
      'authentication {\n auth_type PASS\n auth_pass 123456789\n }',
      ['warning:auth-pass-truncated'],
      true,
    ],
    ['auth-v3', 'version 3\n authentication {\n auth_type PASS\n auth_pass 1\n }', ['warning:auth-v3'], true],
    ['auth-type', 'authentication {\n auth_type MD5\n auth_pass 1\n }', ['warning:auth-type'], true],
    ['nopreempt-master', 'state MASTER\n priority 100\n nopreempt', ['warning:nopreempt-master'], true],
    ['invalid-address', 'virtual_ipaddress {\n 10.0.0.1\n 10.0.0.256\n }', ['warning:invalid-address'], true],
    ['invalid-prefix', 'virtual_ipaddress {\n 10.0.0.1/40\n }', ['warning:invalid-prefix'], true],
    ['vip-family', 'virtual_ipaddress {\n 10.0.0.1\n ::1\n }', ['warning:vip-family'], true],
    ['invalid-state', 'state PRIMARY', ['warning:invalid-state'], true],
    ['unknown-keyword', 'priorty 100', ['warning:unknown-keyword'], true],
    ['unsupported-keyword', 'track_bfd {\n }', ['warning:unsupported-keyword'], true],
  ])('%s', (_name, body, expected, canRun) => {
    const withVip = body.includes('virtual_ipaddress')
      ? body
      : `${body}\n virtual_ipaddress {\n 10.0.0.1\n }`;
    const r = instance(withVip);
    expect(codes(r)).toEqual(expected);
    expect(r.canRun).toBe(canRun);
  });

  it('v2 advert_int 1.5 is rounded to 2 s; v3 41 s is capped at 40.95 s', () => {
    expect(
      instance('advert_int 1.5\n virtual_ipaddress {\n 10.0.0.1\n }').config!.vrrpInstances[0]!
        .advertIntervalMs,
    ).toBe(2000);
    expect(
      instance('version 3\n advert_int 41\n virtual_ipaddress {\n 10.0.0.1\n }').config!.vrrpInstances[0]!
        .advertIntervalMs,
    ).toBe(40_950);
  });

  it('missing interface and missing virtual_router_id are errors at the instance', () => {
    const r = load('vrrp_instance X {\n virtual_ipaddress {\n 10.0.0.1\n }\n}');
    expect(codes(r)).toEqual(['error:interface-missing', 'error:vrid-missing']);
    expect(r.diagnostics[0]).toMatchObject({ file: 'test.conf', line: 1, col: 1 });
    expect(r.canRun).toBe(false);
    expect(r.config).toBeUndefined();
  });

  it('default_interface stands in for a missing interface', () => {
    const r = load(
      'global_defs {\n default_interface eth7\n}\nvrrp_instance X {\n virtual_router_id 3\n virtual_ipaddress {\n 10.0.0.1\n }\n}',
    );
    expect(r.canRun).toBe(true);
    expect(r.config!.vrrpInstances[0]!.interface).toBe('eth7');
  });

  it('an IPv6 instance without VIPs cannot run (keepalived: at least one is required)', () => {
    const r = instance('version 3');
    expect(codes(r)).toEqual(['error:vip-missing']);
  });
});

describe('vrrp_sync_group', () => {
  it('members, tracking and notify', () => {
    const c =
      load(`vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 10.0.0.1\n }\n}
vrrp_instance B {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n 10.0.0.2\n }\n}
vrrp_sync_group G {\n group {\n A\n B\n }\n track_interface {\n eth1\n }\n notify_master /bin/gm\n notify /bin/gn\n smtp_alert\n}`)
        .config!;
    expect(c.vrrpSyncGroups).toMatchObject([
      {
        name: 'G',
        members: ['A', 'B'],
        trackInterfaces: [{ name: 'eth1' }],
        notify: { master: '/bin/gm', any: '/bin/gn' },
        smtpAlert: true,
      },
    ]);
  });
});

describe('virtual_server', () => {
  const vs = (body: string, rs = 'real_server 10.0.0.2 80 {\n TCP_CHECK {\n }\n }') =>
    load(`${BASE_INSTANCE}\nvirtual_server 10.0.0.1 80 {\n protocol TCP\n${body}\n ${rs}\n}`);

  it('defaults: delay_loop 60 s, wlc, NAT, no persistence, quorum 1, hysteresis 0; checker defaults', () => {
    const v = vs('').config!.virtualServers[0]!;
    expect(v).toMatchObject({
      address: '10.0.0.1',
      port: 80,
      family: 'inet',
      delayLoopMs: 60_000,
      lbAlgo: 'wlc',
      lbKind: 'NAT',
      protocol: 'TCP',
      quorum: 1,
      hysteresis: 0,
      alpha: false,
      omega: false,
      inhibitOnFailure: false,
    });
    expect(v.persistenceTimeoutS).toBeUndefined();
    expect(v.realServers[0]).toMatchObject({
      address: '10.0.0.2',
      port: 80,
      weight: 1,
      inhibitOnFailure: false,
    });
    expect(v.realServers[0]!.checkers).toEqual([
      {
        kind: 'TCP_CHECK',
        connectTimeoutMs: 5000,
        retry: 1,
        delayBeforeRetryMs: 1000,
        warmupMs: 60_000,
        delayLoopMs: 60_000,
        pos: expect.anything(),
      },
    ]);
  });

  it('every virtual_server keyword (lvs_sched/lvs_method synonyms), persistence without value = 360 s', () => {
    const v = vs(
      'delay_loop 7\n lvs_sched sh\n lvs_method TUN\n persistence_timeout\n weight 3\n sorry_server 10.0.0.9 8080\n quorum 3\n hysteresis 1\n quorum_up /bin/up\n quorum_down "/bin/down x"\n alpha\n omega\n inhibit_on_failure',
    ).config!.virtualServers[0]!;
    expect(v).toMatchObject({
      delayLoopMs: 7000,
      lbAlgo: 'sh',
      lbKind: 'TUN',
      persistenceTimeoutS: 360,
      // keepalived resets a DR/TUN sorry server's port to the service's (check_data.c).
      sorryServer: { address: '10.0.0.9', port: 80 },
      quorum: 3,
      hysteresis: 1,
      quorumUp: '/bin/up',
      quorumDown: '/bin/down x',
      alpha: true,
      omega: true,
      inhibitOnFailure: true,
    });
    expect(v.realServers[0]!.inhibitOnFailure).toBe(true);
  });

  it('fwmark virtual server', () => {
    const r = load(
      `${BASE_INSTANCE}\nvirtual_server fwmark 7 {\n real_server 10.0.0.2 80 {\n TCP_CHECK {\n }\n }\n}`,
    );
    expect(r.config!.virtualServers[0]).toMatchObject({ fwmark: 7, family: 'inet' });
  });

  it('real_server weight, notify_up/down and HTTP_GET / SSL_GET / MISC_CHECK', () => {
    const v = vs(
      '',
      `real_server 10.0.0.2 80 {
  weight 5
  notify_up /bin/u
  notify_down /bin/d
  HTTP_GET {
   url {
    path /health
    digest 0123456789ABCDEF0123456789abcdef
    status_code 200-202
   }
   virtualhost www.x
   connect_ip 10.0.0.3
   connect_port 8080
   bindto 10.0.0.4
   connect_timeout 2
   retry 4
   delay_before_retry 0.5
   warmup 1
   delay_loop 9
  }
  SSL_GET {
   url {
    path /
   }
  }
  MISC_CHECK {
   misc_path "/bin/check x"
   misc_timeout 4
   misc_dynamic
   user nobody
  }
 }`,
    ).config!.virtualServers[0]!;
    const rs = v.realServers[0]!;
    expect(rs).toMatchObject({ weight: 5, notifyUp: '/bin/u', notifyDown: '/bin/d' });
    expect(rs.checkers[0]).toMatchObject({
      kind: 'HTTP_GET',
      urls: [{ path: '/health', digest: '0123456789abcdef0123456789abcdef', statusCodes: [200, 201, 202] }],
      virtualhost: 'www.x',
      connectIp: '10.0.0.3',
      connectPort: 8080,
      bindTo: '10.0.0.4',
      connectTimeoutMs: 2000,
      retry: 4,
      delayBeforeRetryMs: 500,
      warmupMs: 1000,
      delayLoopMs: 9000,
    });
    // HTTP_GET / SSL_GET default delay_before_retry is 3 s; MISC_CHECK retry defaults to 0.
    expect(rs.checkers[1]).toMatchObject({
      kind: 'SSL_GET',
      delayBeforeRetryMs: 3000,
      retry: 1,
      urls: [{ path: '/', statusCodes: [] }],
    });
    expect(rs.checkers[2]).toMatchObject({
      kind: 'MISC_CHECK',
      miscPath: '/bin/check x',
      miscTimeoutMs: 4000,
      miscDynamic: true,
      user: { user: 'nobody' },
      retry: 0,
    });
  });

  it('virtual_server-level checker settings are inherited', () => {
    const v = vs('connect_timeout 9\n retry 2\n delay_before_retry 4').config!.virtualServers[0]!;
    expect(v.realServers[0]!.checkers[0]).toMatchObject({
      connectTimeoutMs: 9000,
      retry: 2,
      delayBeforeRetryMs: 4000,
    });
  });

  it.each([
    [
      'nb_get_retry inside TCP_CHECK is read as retry',
      '',
      'real_server 10.0.0.2 80 {\n TCP_CHECK {\n nb_get_retry 4\n }\n }',
      ['warning:deprecated-keyword'],
      true,
    ],
    [
      'persistence_timeout 0 is no persistence',
      'persistence_timeout 0',
      undefined,
      ['warning:deprecated-keyword'],
      true,
    ],
    [
      'HTTP_GET without url cannot run',
      '',
      'real_server 10.0.0.2 80 {\n HTTP_GET {\n }\n }',
      ['error:http-no-url'],
      false,
    ],
    [
      'MISC_CHECK without misc_path is skipped',
      '',
      'real_server 10.0.0.2 80 {\n MISC_CHECK {\n }\n }',
      ['warning:misc-no-path'],
      true,
    ],
    ['bad lb_kind falls back to NAT', 'lb_kind FULLNAT', undefined, ['warning:invalid-value'], true],
    [
      'bad real server address skips it (and the empty virtual server)',
      '',
      'real_server 10.0.0.300 80 {\n }',
      ['warning:invalid-address', 'warning:no-real-server'],
      true,
    ],
  ])('%s', (_name, body, rs, expected, canRun) => {
    const r = vs(body, rs);
    expect(codes(r)).toEqual(expected);
    expect(r.canRun).toBe(canRun);
  });

  it('snmp_name names the virtual server and the real server; a missing or extra word is reported', () => {
    const v = vs('snmp_name web-vip', 'real_server 10.0.0.2 80 {\n snmp_name app-1\n }').config!
      .virtualServers[0]!;
    expect(v.snmpName).toBe('web-vip');
    expect(v.realServers[0]!.snmpName).toBe('app-1');
    const r = vs('snmp_name a b', 'real_server 10.0.0.2 80 {\n snmp_name\n }');
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      'virtual server snmp_name missing or extra parameters (snmp_name NAME); ignored',
      'real server snmp_name missing or extra parameters (snmp_name NAME); ignored',
    ]);
    expect(r.config!.virtualServers[0]!.snmpName).toBeUndefined();
    expect(r.canRun).toBe(true);
  });

  it('nb_get_retry value ends up as retry', () => {
    const v = vs('', 'real_server 10.0.0.2 80 {\n TCP_CHECK {\n nb_get_retry 4\n }\n }').config!
      .virtualServers[0]!;
    expect(v.realServers[0]!.checkers[0]!.retry).toBe(4);
  });

  it('a virtual server without protocol gets UDP with a warning, as keepalived 2.2.7 does', () => {
    const r = load(`${BASE_INSTANCE}\nvirtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n }\n}`);
    expect(codes(r)).toEqual(['warning:protocol-missing']);
    expect(r.config!.virtualServers[0]!.protocol).toBe('UDP');
  });
});
