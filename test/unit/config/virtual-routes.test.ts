/** virtual_routes / virtual_rules / virtual_ipaddress_excluded / promote_secondaries read into the model (named cases). */
import { describe, expect, it } from 'vitest';
import { codes, load } from './build-helper.js';

const instance = (body: string) =>
  load(
    `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  10.0.0.1/24\n }\n${body}\n}\n`,
  );

describe('virtual_routes', () => {
  it.each([
    [
      'gateway and device',
      '10.98.0.0/16 via 10.0.0.254 dev eth1',
      {
        dst: '10.98.0.0',
        dstPrefixLength: 16,
        via: '10.0.0.254',
        dev: 'eth1',
        type: 'unicast',
        protocol: 18,
      },
    ],
    ['gw is via', '10.98.0.0/16 gw 10.0.0.254', { via: '10.0.0.254' }],
    [
      'src, to, table, metric',
      'src 10.0.0.1 to 10.97.0.0/16 dev eth0 table 100 metric 5',
      { src: '10.0.0.1', dst: '10.97.0.0', table: 100, metric: 5 },
    ],
    ['table name', '10.97.0.0/16 dev eth0 table main', { table: 254 }],
    ['blackhole', 'blackhole 10.96.0.0/16', { type: 'blackhole', dst: '10.96.0.0' }],
    ['default', 'default via 10.0.0.254', { dst: '0.0.0.0', dstPrefixLength: 0 }],
    ['host route', '10.95.0.1 dev eth0 scope link', { dstPrefixLength: 32, scope: 'link' }],
    ['IPv6', 'fd99::/64 via fe80::1 dev eth0', { family: 'inet6', dst: 'fd99::', via: 'fe80::1' }],
    [
      'onlink, protocol',
      '10.93.0.0/16 via 192.168.9.1 dev eth0 onlink protocol static',
      { onlink: true, protocol: 4 },
    ],
  ])('%s', (_name, line, expected) => {
    const r = instance(` virtual_routes {\n  ${line}\n }`);
    expect(r.diagnostics).toEqual([]);
    expect(r.config!.vrrpInstances[0]!.virtualRoutes).toMatchObject([expected]);
  });

  it.each([
    ['bad gateway', '10.98.0.0/16 via nowhere', 'warning:invalid-value'],
    ['mixed families', '10.98.0.0/16 via fe80::1', 'warning:invalid-value'],
    ['no destination', 'via 10.0.0.254', 'warning:invalid-value'],
    ['table name from rt_tables', '10.98.0.0/16 dev eth0 table isp1', 'warning:invalid-value'],
  ])('%s: line skipped', (_name, line, code) => {
    const r = instance(` virtual_routes {\n  ${line}\n }`);
    expect(codes(r)).toEqual([code]);
    expect(r.config!.vrrpInstances[0]!.virtualRoutes).toEqual([]);
  });

  it('an option keepvip does not apply warns at its word and keeps the route', () => {
    const r = instance(' virtual_routes {\n  10.98.0.0/16 via 10.0.0.254 mtu 1400\n }');
    expect(r.diagnostics).toMatchObject([
      {
        code: 'unsupported-keyword',
        line: 8,
        col: 31,
        message: expect.stringMatching(/'mtu' in virtual_routes is not supported by keepvip/),
      },
    ]);
    expect(r.config!.vrrpInstances[0]!.virtualRoutes).toHaveLength(1);
  });
});

describe('virtual_rules', () => {
  it.each([
    [
      'from, table, priority',
      'from 10.0.0.1/32 table 100 priority 100',
      { from: { address: '10.0.0.1', prefixLength: 32 }, table: 100, priority: 100, action: 'table' },
    ],
    [
      'to, lookup, pref',
      'to 10.94.0.0/16 lookup 100 pref 101',
      { to: { address: '10.94.0.0', prefixLength: 16 }, table: 100, priority: 101 },
    ],
    ['fwmark with mask, from all', 'from all fwmark 0x7/0xff table 100', { fwmark: 7, fwmask: 255 }],
    ['iif, oif, tos', 'iif eth1 oif eth2 tos 16 table 5', { iif: 'eth1', oif: 'eth2', tos: 16 }],
    ['blackhole', 'from 10.9.0.0/16 blackhole', { action: 'blackhole' }],
    ['family from the instance', 'fwmark 1 table 7', { family: 'inet' }],
  ])('%s', (_name, line, expected) => {
    const r = instance(` virtual_rules {\n  ${line}\n }`);
    expect(r.diagnostics).toEqual([]);
    expect(r.config!.vrrpInstances[0]!.virtualRules).toMatchObject([expected]);
  });

  it('a rule without table or action is skipped', () => {
    const r = instance(' virtual_rules {\n  from 10.0.0.1\n }');
    expect(codes(r)).toEqual(['warning:invalid-value']);
  });
});

describe('virtual_ipaddress_excluded and promote_secondaries', () => {
  it('excluded addresses may mix families and are kept apart from the advertised ones', () => {
    const vi = instance(
      ' virtual_ipaddress_excluded {\n  10.99.0.1/32 dev eth1\n  fd99::1/128\n }\n promote_secondaries',
    ).config!.vrrpInstances[0]!;
    expect(vi.virtualIpAddresses.map((v) => v.address)).toEqual(['10.0.0.1']);
    expect(vi.virtualIpAddressesExcluded).toMatchObject([
      { address: '10.99.0.1', prefixLength: 32, dev: 'eth1' },
      { address: 'fd99::1', family: 'inet6', prefixLength: 128 },
    ]);
    expect(vi.promoteSecondaries).toBe(true);
  });
});

describe('unicast_peer min_ttl / max_ttl', () => {
  it('a peer line keeps its TTL window; others have none', () => {
    const vi = instance(
      ' unicast_peer {\n  10.0.0.2 min_ttl 250 max_ttl 255\n  10.0.0.3\n  10.0.0.4 max_ttl 64\n }',
    ).config!.vrrpInstances[0]!;
    expect(vi.unicastPeers).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4']);
    expect(vi.unicastPeerTtl).toEqual({
      '10.0.0.2': { min: 250, max: 255 },
      '10.0.0.4': { min: 0, max: 64 },
    });
  });

  it.each([
    ['out of range', '10.0.0.2 min_ttl 300', 'warning:value-range'],
    ['missing value', '10.0.0.2 max_ttl', 'warning:value-range'],
    ['min above max', '10.0.0.2 min_ttl 200 max_ttl 100', 'warning:value-range'],
  ])('%s', (_name, line, code) => {
    expect(codes(instance(` unicast_peer {\n  ${line}\n }`))).toEqual([code]);
  });
});

describe('accept / no_accept / vrrp_strict', () => {
  const accept = (body: string, globals = '') =>
    load(
      `global_defs {\n${globals}\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n version 3\n${body}\n virtual_ipaddress {\n  10.0.0.1/24\n }\n}\n`,
    ).config!.vrrpInstances[0]!.accept;
  it.each([
    ['default: accept', '', '', true],
    ['no_accept', ' no_accept', '', false],
    ['vrrp_strict: no_accept by default', '', ' vrrp_strict', false],
    ['vrrp_strict with accept', ' accept', ' vrrp_strict', true],
    ['the address owner always accepts', ' priority 255\n no_accept', ' vrrp_strict', true],
  ])('%s', (_name, body, globals, expected) => {
    expect(accept(body, globals)).toBe(expected);
  });
});
