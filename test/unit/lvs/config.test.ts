import { describe, expect, it } from 'vitest';
import { checkLocalRealServers } from '../../../src/config/lvs-local.js';
import { LvsSyncDaemon, syncDaemonOf } from '../../../src/lvs/sync-daemon.js';
import { silentLogger } from '../../../src/util/logger.js';
import { FakeIpvs } from './fake-ipvs.js';
import { lvsConfig, lvsWarnings } from './helpers.js';

const VI =
  'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n';
const vs = (body: string, rs = 'real_server 10.0.0.2 80 {\n}') =>
  `virtual_server 10.0.0.1 80 {\n protocol TCP\n${body}\n ${rs}\n}`;

describe('virtual_server semantics (keepalived 2.2.7 check_parser.c / check_data.c)', () => {
  it('lb_kind TUN with a tunnel tail, real server lvs_method, thresholds, alpha', () => {
    const c = lvsConfig(
      vs(
        'lb_kind TUN type gre csum',
        'real_server 10.0.0.2 80 {\n lvs_method NAT\n uthreshold 100\n lthreshold 10\n alpha\n}\n real_server 10.0.0.3 80 {\n}',
      ),
    );
    const v = c.virtualServers[0]!;
    expect(v.tunnel).toEqual({ type: 'gre', csum: 'csum' });
    expect(v.realServers[0]).toMatchObject({ forward: 'NAT', uThreshold: 100, lThreshold: 10, alpha: true });
    expect(v.realServers[1]).toMatchObject({ forward: 'TUN', tunnel: { type: 'gre', csum: 'csum' } });
  });

  it('bad tunnel tails are reported as keepalived does', () => {
    expect(lvsWarnings(vs('lb_kind TUN type gue'))).toContainEqual(
      expect.stringContaining('gue tunnels require port'),
    );
    expect(lvsWarnings(vs('lb_kind TUN type ipip csum'))).toContainEqual(
      expect.stringContaining('ipip tunnels do not support checksum'),
    );
  });

  it('DR real server ports follow the service (keepalived resets them); fwmark clears them', () => {
    const w = lvsWarnings(vs('lb_kind DR', 'real_server 10.0.0.2 8080 {\n}'));
    expect(w).toContainEqual(expect.stringContaining('port 8080 differs'));
    expect(
      lvsConfig(vs('lb_kind DR', 'real_server 10.0.0.2 8080 {\n}')).virtualServers[0]!.realServers[0]!.port,
    ).toBe(80);
    const fw = lvsConfig('virtual_server fwmark 3 {\n lb_kind DR\n real_server 10.0.0.2 80 {\n }\n}');
    expect(fw.virtualServers[0]!.realServers[0]!.port).toBe(0);
  });

  it('scheduler flags: sh-port needs sh, ops needs UDP', () => {
    const w = lvsWarnings(vs('lb_algo rr\n sh-port\n ops'));
    expect(w).toContainEqual(expect.stringContaining('sh-port only applies to the sh scheduler'));
    expect(w).toContainEqual(expect.stringContaining('one packet scheduling (ops) requires UDP'));
    expect(lvsConfig(vs('lb_algo mh\n mh-port\n mh-fallback')).virtualServers[0]!.schedFlags).toEqual([
      'mh-port',
      'mh-fallback',
    ]);
  });

  it('persistence_granularity: dotted mask to a prefix, turns persistence on; IPv6 prefix length', () => {
    const v = lvsConfig(vs('persistence_granularity 255.255.0.0')).virtualServers[0]!;
    expect(v).toMatchObject({ persistenceGranularity: 16, persistenceTimeoutS: 360 });
    const v6 = lvsConfig(
      'virtual_server 2001:db8::1 80 {\n protocol TCP\n persistence_timeout 60\n persistence_granularity 64\n persistence_engine sip\n real_server 2001:db8::2 80 {\n }\n}',
    ).virtualServers[0]!;
    expect(v6).toMatchObject({
      persistenceGranularity: 64,
      persistenceTimeoutS: 60,
      persistenceEngine: 'sip',
    });
  });

  it('quorum above the total weight and hysteresis >= quorum are clamped with a warning', () => {
    const v = lvsConfig(vs('quorum 5\n hysteresis 9')).virtualServers[0]!;
    expect(v).toMatchObject({ quorum: 1, hysteresis: 0 });
  });

  it('sorry_server with inhibit and its own lvs method; before sorry_server it is ignored', () => {
    const v = lvsConfig(
      vs('lb_kind DR\n sorry_server 10.0.0.9 80\n sorry_server_inhibit\n sorry_server_lvs_method NAT'),
    ).virtualServers[0]!;
    expect(v.sorryServer).toMatchObject({ address: '10.0.0.9', port: 80, forward: 'NAT', inhibit: true });
    expect(lvsWarnings(vs('sorry_server_inhibit'))).toContainEqual(
      expect.stringContaining('before or without sorry_server'),
    );
  });

  it('a virtual server with only a sorry server is ignored, as keepalived does', () => {
    const w = lvsWarnings('virtual_server 10.0.0.1 80 {\n protocol TCP\n sorry_server 10.0.0.9 80\n}');
    expect(w).toContainEqual(expect.stringContaining('has no real servers; virtual server ignored'));
  });

  it('duplicate real servers: the second is removed', () => {
    const c = lvsConfig(vs('', 'real_server 10.0.0.2 80 {\n}\n real_server 10.0.0.2 80 {\n}'));
    expect(c.virtualServers[0]!.realServers).toHaveLength(1);
  });

  it('virtual_server_group: ranges and fwmarks; a missing group drops the virtual server', () => {
    const c = lvsConfig(
      'virtual_server_group G {\n 10.0.0.10-20 80\n fwmark 7\n}\nvirtual_server group G {\n protocol TCP\n real_server 10.0.0.2 80 {\n }\n}',
    );
    expect(c.virtualServerGroups![0]!.entries).toMatchObject([
      { kind: 'range', first: '10.0.0.10', last: '10.0.0.20', port: 80 },
      { kind: 'fwmark', fwmark: 7 },
    ]);
    expect(c.virtualServers[0]!.group).toBe('G');
    expect(
      lvsWarnings('virtual_server group X {\n protocol TCP\n real_server 10.0.0.2 80 {\n }\n}'),
    ).toContainEqual(expect.stringContaining('no virtual_server_group X'));
  });

  it('ha_suspend is read without a warning (its checkers pause while the VIP is away: lvs/ha-suspend.ts)', () => {
    expect(lvsWarnings(vs('ha_suspend'))).toEqual([]);
    expect(lvsConfig(vs('ha_suspend')).virtualServers[0]!.haSuspend).toBe(true);
  });
});

describe('lvs_* globals', () => {
  it('real_server_setup (keepvip): VIPs on the line or in a block, /32 and /128 accepted, bad words warned', () => {
    const c = lvsConfig(
      `global_defs {\n real_server_setup 192.168.23.20 fd00::20/128\n real_server_setup {\n  10.0.0.9/32\n  192.168.23.20\n }\n}\n`,
    );
    expect(c.globalDefs.lvs?.realServerSetup?.vips).toEqual(['192.168.23.20', 'fd00::20', '10.0.0.9']);
    expect(lvsWarnings('global_defs {\n real_server_setup 10.0.0.1 nope\n}\n')).toEqual([
      "2: real_server_setup: 'nope' is not an IP address; ignored",
    ]);
    expect(lvsWarnings('global_defs {\n real_server_setup\n}\n')).toEqual([
      '2: real_server_setup needs at least one VIP; ignored',
    ]);
  });

  it('lvs_sync_daemon with every option, lvs_timeouts, lvs_flush, lvs_flush_on_stop VS, lvs_notify_fifo', () => {
    const c = lvsConfig(
      `global_defs {\n lvs_sync_daemon eth0 VI_1 id 7 maxlen 1400 port 8848 ttl 2 group 224.0.0.81\n lvs_timeouts tcp 7200 tcpfin 60 udp 30\n lvs_flush\n lvs_flush_on_stop VS\n lvs_notify_fifo /run/lvs.fifo /bin/reader\n}\n${VI}`,
    );
    expect(c.globalDefs.lvs).toMatchObject({
      syncDaemon: {
        ifname: 'eth0',
        instance: 'VI_1',
        syncId: 7,
        maxLen: 1400,
        port: 8848,
        ttl: 2,
        group: '224.0.0.81',
      },
      timeouts: { tcp: 7200, tcpFin: 60, udp: 30 },
      flush: true,
      flushOnStop: 'vs',
      notifyFifo: { path: '/run/lvs.fifo', script: '/bin/reader' },
    });
    expect(syncDaemonOf(c, 'master')).toMatchObject({
      state: 'master',
      ifname: 'eth0',
      syncId: 7,
      mcastGroup: '224.0.0.81',
    });
  });

  it('the sync id defaults to the instance VRID; an unknown instance is reported', () => {
    const c = lvsConfig(`global_defs {\n lvs_sync_daemon eth0 inst VI_1\n}\n${VI}`);
    expect(syncDaemonOf(c, 'backup')).toEqual({ state: 'backup', ifname: 'eth0', syncId: 51 });
    expect(lvsWarnings(`global_defs {\n lvs_sync_daemon eth0 VI_9\n}\n${VI}`)).toContainEqual(
      expect.stringContaining("vrrp_instance 'VI_9' does not exist"),
    );
  });

  describe('1.x lvs_sync_daemon_interface in a vrrp_instance (keepalived 2.2.7 vrrp_lvs_syncd_handler)', () => {
    const VI_OLD = VI.replace(
      ' virtual_router_id 51\n',
      ' virtual_router_id 51\n lvs_sync_daemon_interface eth1\n',
    );

    it('becomes the sync daemon on that interface following this instance, sync id 0, with the deprecation warning', () => {
      const c = lvsConfig(VI_OLD);
      expect(c.globalDefs.lvs?.syncDaemon).toMatchObject({ ifname: 'eth1', instance: 'VI_1', syncId: 0 });
      expect(c.globalDefs.lvs?.syncDaemon?.pos).toMatchObject({ line: 4 });
      // keepalived 2.2.7 defaults the sync id to the VRID only for the global form's instance name.
      expect(syncDaemonOf(c, 'master')).toEqual({ state: 'master', ifname: 'eth1', syncId: 0 });
      expect(lvsWarnings(VI_OLD)).toEqual([
        "4: (VI_1) Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon (read as global 'lvs_sync_daemon eth1 inst VI_1 id 0')",
      ]);
    });

    it('global lvs_sync_daemon wins wherever global_defs stands (keepalived reads global_defs first)', () => {
      const global = 'global_defs {\n lvs_sync_daemon eth0 VI_1\n}\n';
      for (const text of [`${global}${VI_OLD}`, `${VI_OLD}${global}`]) {
        const c = lvsConfig(text);
        expect(c.globalDefs.lvs?.syncDaemon).toMatchObject({ ifname: 'eth0', instance: 'VI_1' });
        expect(syncDaemonOf(c, 'backup')).toEqual({ state: 'backup', ifname: 'eth0', syncId: 51 });
        expect(lvsWarnings(text)).toEqual([
          expect.stringMatching(
            /^\d+: \(VI_1\) Specifying lvs_sync_daemon_interface against a vrrp is deprecated\. Please use global lvs_sync_daemon$/,
          ),
          expect.stringMatching(
            /^\d+: \(VI_1\) lvs_sync_daemon_interface has already been specified as eth0 - ignoring$/,
          ),
        ]);
      }
    });

    it('a second instance with it is told the first one has it', () => {
      const VI_2 = VI_OLD.replaceAll('VI_1', 'VI_2')
        .replace('51', '52')
        .replace('eth1', 'eth2')
        .replace('10.0.0.1', '10.0.0.2');
      const c = lvsConfig(`${VI_OLD}${VI_2}`);
      expect(c.globalDefs.lvs?.syncDaemon).toMatchObject({ ifname: 'eth1', instance: 'VI_1' });
      expect(lvsWarnings(`${VI_OLD}${VI_2}`)).toContain(
        '12: (VI_2) lvs_sync_daemon_interface has already been specified as eth1 - ignoring',
      );
    });

    it('the sync daemon follows the instance that named it', async () => {
      const port = new FakeIpvs();
      const sd = new LvsSyncDaemon(port, silentLogger);
      await sd.configure(lvsConfig(VI_OLD));
      expect(sd.instance).toBe('VI_1');
      await sd.follow('MASTER');
      expect(port.log).toEqual(['start-sync master eth1 0']);
    });
  });

  it('the sync daemon follows the instance: backup, then master on MASTER, back on BACKUP; stop stops it', async () => {
    const port = new FakeIpvs();
    const sd = new LvsSyncDaemon(port, silentLogger);
    await sd.configure(lvsConfig(`global_defs {\n lvs_sync_daemon eth0 VI_1\n}\n${VI}`));
    await sd.follow('BACKUP');
    await sd.follow('MASTER');
    await sd.follow('MASTER');
    await sd.follow('FAULT');
    await sd.stop();
    expect(port.log).toEqual([
      'start-sync backup eth0 51',
      'stop-sync backup',
      'start-sync master eth0 51',
      'stop-sync master',
      'start-sync backup eth0 51',
      'stop-sync backup',
    ]);
  });

  it('a restart adopts a running sync daemon with the same settings', async () => {
    const port = new FakeIpvs();
    await port.startSyncDaemon({ state: 'master', ifname: 'eth0', syncId: 51 });
    const sd = new LvsSyncDaemon(port, silentLogger);
    await sd.configure(lvsConfig(`global_defs {\n lvs_sync_daemon eth0 VI_1\n}\n${VI}`));
    const mark = port.log.length;
    await sd.follow('MASTER');
    expect(port.log.slice(mark)).toEqual([]);
  });
});

describe('--config-test on a director', () => {
  it('warns when a DR real server is one of its own addresses', () => {
    const c = lvsConfig(vs('lb_kind DR', 'real_server 10.0.0.2 80 {\n}\n real_server 10.0.0.3 80 {\n}'));
    const d = checkLocalRealServers(c, new Set(['10.0.0.3', '127.0.0.1']));
    expect(d.map((x) => `${x.line}: ${x.message}`)).toEqual([
      expect.stringMatching(/^6: real_server 10\.0\.0\.3 \(DR\) is an address of this director/),
    ]);
  });
});
