/** keepalived's SIGJSON layout (vrrp/vrrp_json.c) for the fixture, and what keepalived-exporter's ParseJSON reads of it. */
import { describe, expect, it } from 'vitest';
import { keepalivedCmdStr } from '../../../src/control/cmd-str.js';
import { formatJsonDump } from '../../../src/control/json-dump.js';
import { snapshot } from './fixture.js';

describe('keepalived JSON dump', () => {
  const dump = () =>
    JSON.parse(formatJsonDump(snapshot(), (f) => f)) as {
      data: Record<string, unknown>;
      stats: Record<string, number>;
    }[];

  it('is an array of {data, stats}, one per instance in configuration order', () => {
    const d = dump();
    expect(d.map((x) => Object.keys(x))).toEqual([
      ['data', 'stats'],
      ['data', 'stats'],
    ]);
    expect(d.map((x) => x.data.iname)).toEqual(['VI_1', 'VI_2']);
  });

  it('data carries keepalived field names, vrrp.h state numbers and seconds', () => {
    const vi1 = dump()[0]!.data;
    expect(vi1).toMatchObject({
      iname: 'VI_1',
      ifp_ifname: 'eth0',
      vrid: 51,
      state: 2,
      wantstate: 2,
      base_priority: 150,
      effective_priority: 130,
      adver_int: 1,
      garp_delay: 5,
      version: 2,
      vipset: true,
      vips: ['10.0.0.100/24 dev eth0 scope global set', '10.1.0.5 dev eth1 scope global set'],
      evips: ['10.2.0.9 dev eth0 scope global set'],
      track_script: ["'/usr/bin/killall' '-0' 'nginx'"],
      script_master: "'/etc/keepalived/master.sh'",
      auth_type: 1,
    });
    expect(vi1.last_transition).toBe(Date.parse('2026-12-02T03:00:00.000Z') / 1000);
    expect(dump()[1]!.data).toMatchObject({
      state: 1,
      version: 3,
      adver_int: 0.5,
      vips: ['fd00::5/64 dev eth0 scope global'],
    });
  });

  it("scripts are shown as keepalived's cmd_str: quoted words, the program resolved, shell syntax through bash", () => {
    expect(keepalivedCmdStr('/bin/true master', (f) => (f === '/bin/true' ? '/usr/bin/true' : f))).toBe(
      "'/usr/bin/true' 'master'",
    );
    expect(keepalivedCmdStr('[[ -f /etc/keepalived/down ]] && exit 1 || exit 0', (f) => f)).toBe(
      "'/bin/bash' '-c' '[[ -f /etc/keepalived/down ]] && exit 1 || exit 0'",
    );
  });

  it('the password never appears (keepalived >= 2.2.8 writes ********)', () => {
    expect(formatJsonDump(snapshot())).not.toContain('s3cret');
    expect(dump()[0]!.data.auth_data).toBe('********');
  });

  it('stats are vrrp_stats with drops folded into keepalived counters', () => {
    expect(dump()[0]!.stats).toEqual({
      advert_rcvd: 3,
      advert_sent: 42,
      become_master: 2,
      release_master: 1,
      packet_len_err: 0,
      advert_interval_err: 0,
      ip_ttl_err: 2,
      invalid_type_rcvd: 0,
      addr_list_err: 5,
      invalid_authtype: 0,
      authtype_mismatch: 0,
      auth_failure: 1,
      pri_zero_rcvd: 0,
      pri_zero_sent: 1,
    });
  });

  it("keepalived-exporter's ParseVIP (split on ' ', [0] address, [2] device) reads our vips", () => {
    const vips = dump()[0]!.data.vips as string[];
    expect(vips.map((v) => [v.split(' ')[0], v.split(' ')[2]])).toEqual([
      ['10.0.0.100/24', 'eth0'],
      ['10.1.0.5', 'eth1'],
    ]);
  });
});
