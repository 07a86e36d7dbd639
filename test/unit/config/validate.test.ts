/** Cross-object validation rules, each with its message anchored at the offending word. */
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/config/diagnostics.js';
import { codes, load } from './build-helper.js';

const vi = (name: string, vrid: number, extra = '', iface = 'eth0') =>
  `vrrp_instance ${name} {\n interface ${iface}\n virtual_router_id ${vrid}\n virtual_ipaddress {\n 10.0.0.${vrid}\n }\n${extra}\n}\n`;
const SECURE = 'global_defs {\n enable_script_security\n}\n';

describe('validateConfig', () => {
  it('duplicate-vrid: same VRID and family on one interface is an error at the second instance', () => {
    const r = load(vi('A', 5) + vi('B', 5));
    expect(codes(r)).toEqual(['error:duplicate-vrid']);
    expect(formatDiagnostic(r.diagnostics[0]!)).toBe(
      'test.conf:9:1: error: vrrp_instance B uses virtual_router_id 5 with IPv4 on eth0, like vrrp_instance A (test.conf:1)',
    );
    expect(r.canRun).toBe(false);
  });

  it('duplicate-vrid: the same VRID on different interfaces is fine', () => {
    expect(codes(load(vi('A', 5) + vi('B', 5, '', 'eth1')))).toEqual([]);
  });

  it('duplicate-vrid: the same VRID with disjoint unicast peers is fine (keepalived.conf(5))', () => {
    const r = load(vi('A', 5, 'unicast_peer {\n 10.1.0.1\n }') + vi('B', 5, 'unicast_peer {\n 10.1.0.2\n }'));
    expect(codes(r)).toEqual([]);
  });

  it('vrid-range: the message points at the number', () => {
    const r = load('vrrp_instance A {\n interface eth0\n virtual_router_id 300\n}');
    expect(formatDiagnostic(r.diagnostics[0]!)).toBe(
      'test.conf:3:20: error: virtual_router_id 300 outside 1..255; keepalived refuses to start with it',
    );
  });

  it('priority-range: the message points at the number and says what is used', () => {
    const r = load(vi('A', 5, ' priority 300'));
    expect(formatDiagnostic(r.diagnostics[0]!)).toBe(
      'test.conf:7:11: warning: priority 300 outside 1..255; using 100',
    );
    expect(r.config!.vrrpInstances[0]!.priority).toBe(100);
  });

  it('undefined-reference: a FILE_CHECK naming no track_file is reported and dropped, its other checkers kept', () => {
    const vs = (track: string) =>
      `${track}virtual_server 10.0.0.100 80 {\n delay_loop 3\n lb_kind DR\n protocol TCP\n real_server 10.0.0.11 80 {\n  FILE_CHECK {\n   track_file f\n  }\n  TCP_CHECK {\n  }\n }\n}\n`;
    const r = load(vs(''));
    expect(codes(r)).toEqual(['warning:undefined-reference']);
    expect(r.diagnostics[0]).toMatchObject({ line: 6, col: 3 });
    expect(r.diagnostics[0]!.message).toContain("track_file 'f' is not defined; FILE_CHECK ignored");
    expect(r.config!.virtualServers[0]!.realServers[0]!.checkers.map((c) => c.kind)).toEqual(['TCP_CHECK']);
    const defined = load(vs('track_file f {\n file /tmp/kv-f\n}\n'));
    expect(codes(defined)).toEqual([]);
    expect(defined.config!.virtualServers[0]!.realServers[0]!.checkers).toHaveLength(2);
  });

  it('undefined-reference: track_script naming no vrrp_script is reported and dropped', () => {
    const r = load(vi('A', 5, ' track_script {\n  nosuch\n }'));
    expect(codes(r)).toEqual(['warning:undefined-reference']);
    expect(r.diagnostics[0]).toMatchObject({ line: 8, col: 3 });
    expect(r.diagnostics[0]!.message).toContain("track_script 'nosuch' is not defined");
    expect(r.config!.vrrpInstances[0]!.trackScripts).toEqual([]);
  });

  it('undefined-reference: track_file naming no track_file', () => {
    const r = load(vi('A', 5, ' track_file {\n  nosuch\n }'));
    expect(codes(r)).toEqual(['warning:undefined-reference']);
  });

  it('undefined-reference: sync group member that does not exist; one member left', () => {
    const r = load(`${vi('A', 5)}vrrp_sync_group G {\n group {\n A\n Z\n }\n}`);
    expect(codes(r)).toEqual(['warning:undefined-reference', 'warning:sync-group-size']);
    expect(r.config!.vrrpSyncGroups[0]!.members).toEqual(['A']);
  });

  it('sync-group-weight: weights of scripts tracked by sync-group members are ignored', () => {
    const r = load(
      `${SECURE}vrrp_script s {\n script /bin/true\n weight -10\n}\n${vi('A', 5, ' track_script {\n  s\n }')}${vi('B', 6)}vrrp_sync_group G {\n group {\n A\n B\n }\n}`,
    );
    expect(codes(r)).toEqual(['warning:sync-group-weight']);
    expect(r.config!.vrrpInstances[0]!.trackScripts[0]!.weight).toBe(0);
  });

  it('duplicate-name: two instances with one name', () => {
    const r = load(vi('A', 5) + vi('A', 6));
    expect(codes(r)).toEqual(['error:duplicate-name']);
  });

  it('script-security: scripts without enable_script_security are flagged once', () => {
    const r = load(`vrrp_script s {\n script /bin/true\n}\n${vi('A', 5, ' notify_master /bin/x')}`);
    expect(codes(r)).toEqual(['warning:script-security']);
    expect(codes(load(`${SECURE}vrrp_script s {\n script /bin/true\n}\n${vi('A', 5)}`))).toEqual([]);
  });
});
