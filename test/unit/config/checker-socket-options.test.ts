/**
 * fwmark and bind_if in a checker (keepalived check_api.c connection keywords): read into the
 * model for every connection checker (SO_MARK / SO_BINDTODEVICE on the probe socket, applied in
 * kernel/probe-socket.ts), never reported `not supported by keepvip` there; out-of-range values
 * warn; PING_CHECK (one shared ICMP socket) still says they are not applied.
 */
import { describe, expect, it } from 'vitest';
import { probeEndpoint } from '../../../src/check/probes/endpoint.js';
import { NOT_SUPPORTED } from '../../../src/config/build/values.js';
import type { Checker } from '../../../src/config/model.js';
import { load } from './build-helper.js';

const INSTANCE =
  'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n';

/** checkerOf loads one checker block with `body` inside and returns it with the diagnostics. */
function checkerOf(kind: string, body: string) {
  const extra =
    kind === 'HTTP_GET' || kind === 'SSL_GET'
      ? '      url {\n        path /\n      }\n'
      : kind === 'DNS_CHECK'
        ? '      name example.com\n'
        : '';
  const r = load(
    `${INSTANCE}virtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n    ${kind} {\n${extra}${body}\n    }\n  }\n}\n`,
  );
  return { checker: r.config?.virtualServers[0]?.realServers[0]?.checkers[0], diagnostics: r.diagnostics };
}

const CONNECTION_KINDS = ['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'SMTP_CHECK', 'DNS_CHECK', 'UDP_CHECK'];

describe('checker fwmark and bind_if', () => {
  it.each(CONNECTION_KINDS)(
    '%s: fwmark 7 and bind_if eth1 reach the model without a not-supported warning',
    (kind) => {
      const { checker, diagnostics } = checkerOf(kind, '      fwmark 7\n      bind_if eth1');
      expect(checker).toMatchObject({ kind, fwmark: 7, bindIf: 'eth1' });
      expect(diagnostics.filter((d) => d.message.includes(NOT_SUPPORTED))).toEqual([]);
      expect(diagnostics.filter((d) => d.code === 'unsupported-keyword')).toEqual([]);
    },
  );

  it.each([
    ['lowest', '1', 1],
    ['highest (2^32-1)', '4294967295', 4294967295],
  ])('fwmark %s is accepted', (_name, text, mark) => {
    const { checker, diagnostics } = checkerOf('TCP_CHECK', `      fwmark ${text}`);
    expect(checker?.fwmark).toBe(mark);
    expect(diagnostics).toEqual([]);
  });

  it.each([
    ['zero', '0'],
    ['2^32', '4294967296'],
    ['not a number', 'seven'],
    ['hex', '0x7'],
  ])('fwmark %s warns at the value and leaves probes unmarked', (_name, text) => {
    const { checker, diagnostics } = checkerOf('TCP_CHECK', `      fwmark ${text}`);
    expect(checker).toBeDefined();
    expect(checker!.fwmark).toBeUndefined();
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ severity: 'warning', line: 12 });
    expect(diagnostics[0]!.message).toMatch(/probes leave unmarked/);
    expect(diagnostics[0]!.message).not.toContain(NOT_SUPPORTED);
  });

  it('a bind_if name longer than 15 bytes (IFNAMSIZ) warns and is ignored', () => {
    const { checker, diagnostics } = checkerOf('TCP_CHECK', '      bind_if abcdefghijklmnop');
    expect(checker!.bindIf).toBeUndefined();
    expect(diagnostics.map((d) => d.message)).toEqual([expect.stringMatching(/longer than 15 bytes/)]);
  });

  it('PING_CHECK still says fwmark and bind_if are not applied to its shared ICMP socket', () => {
    const { checker, diagnostics } = checkerOf('PING_CHECK', '      fwmark 7\n      bind_if eth1');
    expect(checker).not.toHaveProperty('fwmark');
    expect(checker).not.toHaveProperty('bindIf');
    expect(diagnostics.map((d) => [d.code, d.line, d.message])).toEqual([
      ['unsupported-keyword', 12, expect.stringContaining(`'fwmark' in PING_CHECK is ${NOT_SUPPORTED}`)],
      ['unsupported-keyword', 13, expect.stringContaining(`'bind_if' in PING_CHECK is ${NOT_SUPPORTED}`)],
    ]);
  });

  it('MISC_CHECK has no connection keywords (as keepalived): fwmark is an unknown keyword there', () => {
    const { diagnostics } = checkerOf('MISC_CHECK', '      misc_path /bin/true\n      fwmark 7');
    expect(diagnostics.map((d) => d.code)).toEqual(['unknown-keyword']);
  });
});

describe('probeEndpoint', () => {
  const target = { address: '10.0.0.2', port: 80, bindIf: 'eth1' };
  it('without fwmark is the target itself (the plain socket path)', () => {
    expect(probeEndpoint({} as Pick<Checker, 'fwmark'>, target)).toBe(target);
  });
  it('with fwmark carries it beside the target', () => {
    expect(probeEndpoint({ fwmark: 7 }, target)).toEqual({ ...target, fwmark: 7 });
  });
});
