import { describe, expect, it } from 'vitest';
import {
  computeDesired,
  expandRange,
  IP_VS_SVC_F,
  nextQuorum,
  serviceKey,
} from '../../../src/lvs/desired.js';
import { DR2, lvsConfig } from './helpers.js';

const none = () => undefined;

function rows(
  text: string,
  verdicts: Record<string, { alive: boolean; weight?: number }> = {},
  prev = new Map<string, boolean>(),
) {
  const d = computeDesired(
    lvsConfig(text),
    (k) => (verdicts[k] ? { ...verdicts[k]!, reason: '', changedAtMs: 0 } : undefined),
    prev,
  );
  return {
    d,
    rows: d.table.services.flatMap((s) =>
      s.destinations.length === 0
        ? [`${serviceKey(s.service.id)} (empty)`]
        : s.destinations.map(
            (x) => `${serviceKey(s.service.id)} -> [${x.address}]:${x.port} ${x.forward} ${x.weight}`,
          ),
    ),
  };
}

const RS1 = '[192.168.23.20]:tcp:80 -> [192.168.23.134]:tcp:80';
const RS2 = '[192.168.23.20]:tcp:80 -> [192.168.23.135]:tcp:80';

describe('desired table (keepalived ipwrapper.c semantics)', () => {
  it('seed 000: a DR service with both real servers at weight 1 before any verdict (alpha off)', () => {
    const { d, rows: r } = rows(DR2);
    expect(r).toEqual([
      'inet tcp [192.168.23.20]:80 -> [192.168.23.134]:80 dr 1',
      'inet tcp [192.168.23.20]:80 -> [192.168.23.135]:80 dr 1',
    ]);
    expect(d.table.services[0]!.service).toMatchObject({
      schedName: 'rr',
      flags: 0,
      timeout: 0,
      netmask: 32,
    });
  });

  it('a dead server leaves the table; a verdict weight is used', () => {
    expect(rows(DR2, { [RS1]: { alive: false }, [RS2]: { alive: true, weight: 7 } }).rows).toEqual([
      'inet tcp [192.168.23.20]:80 -> [192.168.23.135]:80 dr 7',
    ]);
  });

  it('inhibit_on_failure keeps a dead server at weight 0', () => {
    const text = DR2.replace('protocol TCP', 'protocol TCP\n  inhibit_on_failure');
    expect(rows(text, { [RS1]: { alive: false } }).rows).toEqual([
      'inet tcp [192.168.23.20]:80 -> [192.168.23.134]:80 dr 0',
      'inet tcp [192.168.23.20]:80 -> [192.168.23.135]:80 dr 1',
    ]);
  });

  it('alpha: a checked server is down until its first verdict; a server without checkers is always up', () => {
    const text = `virtual_server 10.0.0.1 80 {\n protocol TCP\n alpha\n real_server 10.0.0.2 80 {\n TCP_CHECK {\n }\n }\n real_server 10.0.0.3 80 {\n }\n}`;
    expect(rows(text).rows).toEqual(['inet tcp [10.0.0.1]:80 -> [10.0.0.3]:80 nat 1']);
  });

  it('quorum lost: the sorry server replaces the live ones; regained: back, sorry server out', () => {
    const text = DR2.replace('protocol TCP', 'protocol TCP\n  quorum 2\n  sorry_server 192.168.23.99 80');
    const lost = rows(text, { [RS1]: { alive: false } });
    expect(lost.rows).toEqual(['inet tcp [192.168.23.20]:80 -> [192.168.23.99]:80 dr 1']);
    expect(lost.d.quorum.get('[192.168.23.20]:tcp:80')).toMatchObject({
      up: false,
      liveWeight: 1,
      sorryInUse: true,
    });
    const back = rows(text, {}, new Map([['[192.168.23.20]:tcp:80', false]]));
    expect(back.rows).toEqual([
      'inet tcp [192.168.23.20]:80 -> [192.168.23.134]:80 dr 1',
      'inet tcp [192.168.23.20]:80 -> [192.168.23.135]:80 dr 1',
    ]);
  });

  it('sorry_server_inhibit waits at weight 0; inhibited real servers stay at 0 while it serves', () => {
    const text = DR2.replace(
      'protocol TCP',
      'protocol TCP\n  quorum 2\n  inhibit_on_failure\n  sorry_server 192.168.23.99 80\n  sorry_server_inhibit',
    );
    expect(rows(text).rows).toEqual([
      'inet tcp [192.168.23.20]:80 -> [192.168.23.134]:80 dr 1',
      'inet tcp [192.168.23.20]:80 -> [192.168.23.135]:80 dr 1',
      'inet tcp [192.168.23.20]:80 -> [192.168.23.99]:80 dr 0',
    ]);
    expect(rows(text, { [RS1]: { alive: false } }).rows).toEqual([
      'inet tcp [192.168.23.20]:80 -> [192.168.23.134]:80 dr 0',
      'inet tcp [192.168.23.20]:80 -> [192.168.23.135]:80 dr 0',
      'inet tcp [192.168.23.20]:80 -> [192.168.23.99]:80 dr 1',
    ]);
  });

  it('without a sorry server a lost quorum changes nothing but the state', () => {
    const text = DR2.replace('protocol TCP', 'protocol TCP\n  quorum 2');
    const r = rows(text, { [RS1]: { alive: false } });
    expect(r.rows).toEqual(['inet tcp [192.168.23.20]:80 -> [192.168.23.135]:80 dr 1']);
    expect(r.d.quorum.get('[192.168.23.20]:tcp:80')!.up).toBe(false);
  });

  it('hysteresis: down below quorum-h, up again at quorum+h (update_quorum_state)', () => {
    expect(nextQuorum(undefined, 3, 3, 1)).toBe(false);
    expect(nextQuorum(undefined, 4, 3, 1)).toBe(true);
    expect(nextQuorum(true, 2, 3, 1)).toBe(true);
    expect(nextQuorum(true, 1, 3, 1)).toBe(false);
    expect(nextQuorum(false, 3, 3, 1)).toBe(false);
    expect(nextQuorum(false, 4, 3, 1)).toBe(true);
    expect(nextQuorum(true, 0, 0, 0)).toBe(false);
  });

  it('persistence with a netmask, sched flags and one-packet scheduling', () => {
    const text = `virtual_server 10.0.0.1 53 {\n protocol UDP\n lb_algo sh\n sh-port\n sh-fallback\n ops\n persistence_timeout 120\n persistence_granularity 255.255.255.0\n real_server 10.0.0.2 53 {\n }\n}`;
    const s = rows(text).d.table.services[0]!.service;
    expect(s).toMatchObject({ schedName: 'sh', timeout: 120, netmask: 24 });
    expect(s.flags).toBe(
      IP_VS_SVC_F.PERSISTENT | IP_VS_SVC_F.ONEPACKET | IP_VS_SVC_F.SCHED1 | IP_VS_SVC_F.SCHED2,
    );
  });

  it('fwmark with TUN (gue): destination port 0, tunnel attributes; IPv6 service with /128 netmask', () => {
    const fw = `virtual_server fwmark 7 {\n lb_kind TUN type gue port 6080\n real_server 10.0.0.2 80 {\n }\n}`;
    const r = rows(fw).d.table.services[0]!;
    expect(r.service.id).toEqual({ family: 'inet', fwmark: 7 });
    expect(r.destinations[0]).toMatchObject({
      port: 0,
      forward: 'tun',
      tunType: 'gue',
      tunPort: 6080,
      tunFlags: 0,
    });
    const v6 = `virtual_server 2001:db8::1 80 {\n protocol TCP\n lb_kind DR\n real_server 2001:db8::2 80 {\n }\n}`;
    const s6 = rows(v6).d.table.services[0]!;
    expect(s6.service).toMatchObject({ netmask: 128, id: { family: 'inet6', address: '2001:db8::1' } });
  });

  it('NAT keeps the real server port; DR takes the service port', () => {
    const nat = `virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.2 8080 {\n }\n}`;
    expect(rows(nat).rows).toEqual(['inet tcp [10.0.0.1]:80 -> [10.0.0.2]:8080 nat 1']);
  });

  it('virtual_server_group: one service per address of each range and per fwmark, same destinations', () => {
    const text = `virtual_server_group G {\n 10.0.0.10-12 80\n fwmark 9\n}\nvirtual_server group G {\n protocol TCP\n lb_kind DR\n real_server 10.0.0.2 80 {\n }\n}`;
    expect(rows(text).rows).toEqual([
      'inet tcp [10.0.0.10]:80 -> [10.0.0.2]:80 dr 1',
      'inet tcp [10.0.0.11]:80 -> [10.0.0.2]:80 dr 1',
      'inet tcp [10.0.0.12]:80 -> [10.0.0.2]:80 dr 1',
      'inet fwmark 9 -> [10.0.0.2]:0 dr 1',
    ]);
    expect(expandRange('2001:db8::a', '2001:db8::c', 'inet6')).toEqual([
      '2001:db8::a',
      '2001:db8::b',
      '2001:db8::c',
    ]);
  });

  it('no virtual server: an empty table', () => {
    expect(computeDesired({ virtualServers: [] }, none, new Map()).table.services).toEqual([]);
  });
});
