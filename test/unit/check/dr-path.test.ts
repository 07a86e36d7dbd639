/**
 * DR_PATH_CHECK in the scheduler (`dr_path_check on`): joined to each DR real server's checkers,
 * counted with them (alive only when all are up), logged in the checkers' words, shown in the
 * snapshot; and the wording of the kernel probe's reports (check/probes/dr-path.ts).
 */
import { describe, expect, it } from 'vitest';
import { joinedCheckers, type ProbeResult } from '../../../src/check/probe.js';
import { ANSWERS_ARP, drPathResult, NO_SYN_ACK } from '../../../src/check/probes/dr-path.js';
import { CheckScheduler } from '../../../src/check/scheduler.js';
import type { KeepvipConfig } from '../../../src/config/model.js';
import { loadConfigText } from '../../../src/config/load.js';
import type { DrPathReport } from '../../../src/kernel/dr-probe.js';
import { ManualClock } from '../../../src/util/manual-clock.js';

function config(extra: string): KeepvipConfig {
  const r = loadConfigText(
    `virtual_server 10.0.0.100 80 {
  delay_loop 10
  protocol TCP
  lb_kind DR
  connect_timeout 1
  ${extra}
  real_server 10.0.0.1 80 {
    TCP_CHECK {
    }
  }
  real_server 10.0.0.2 80 {
    lvs_method NAT
    TCP_CHECK {
    }
  }
}`,
    'test.conf',
  );
  if (!r.config) throw new Error(JSON.stringify(r.diagnostics));
  return r.config;
}

const KEY = '[10.0.0.100]:tcp:80 -> [10.0.0.1]:tcp:80';

describe('DR_PATH_CHECK in the scheduler', () => {
  it('is joined only to DR real servers, and only with dr_path_check on', () => {
    const on = config('dr_path_check on').virtualServers[0]!;
    expect(joinedCheckers(on, on.realServers[0]!).map((c) => c.kind)).toEqual(['TCP_CHECK', 'DR_PATH_CHECK']);
    expect(joinedCheckers(on, on.realServers[1]!).map((c) => c.kind)).toEqual(['TCP_CHECK']);
    const off = config('dr_path_check off').virtualServers[0]!;
    expect(joinedCheckers(off, off.realServers[0]!).map((c) => c.kind)).toEqual(['TCP_CHECK']);
  });

  it('a failing DR path takes the server down while TCP_CHECK passes; a later success brings it back', async () => {
    const clock = new ManualClock();
    const lines: string[] = [];
    let dr: ProbeResult = { ok: false, reason: `${NO_SYN_ACK}: no SYN-ACK` };
    const s = new CheckScheduler({
      config: config('dr_path_check on'),
      clock,
      log: {
        info: (m) => lines.push(m),
        warn: (m) => lines.push(m),
        error: (m) => lines.push(m),
        debug: () => {},
      },
      random: () => 0,
      watchFiles: false,
      probeFor: () => () => Promise.resolve({ ok: true, reason: 'connected' }),
      drPathProbeFor: () => () => Promise.resolve(dr),
    });
    s.start();
    await clock.advance(1);
    expect(s.get(KEY)?.alive).toBe(false);
    const snap = s.snapshot().realServers.find((r) => r.key === KEY)!;
    expect(snap.checkers.map((c) => [c.kind, c.up, c.target])).toEqual([
      ['TCP_CHECK', true, '10.0.0.1:80'],
      ['DR_PATH_CHECK', false, '10.0.0.100:80 via 10.0.0.1'],
    ]);
    expect(lines).toContain(`DR_PATH_CHECK on service [10.0.0.1]:tcp:80 failed. (${NO_SYN_ACK}: no SYN-ACK)`);
    expect(lines).toContain('Removing service [10.0.0.1]:tcp:80 from VS [10.0.0.100]:tcp:80');
    dr = { ok: true, reason: 'SYN-ACK' };
    await clock.advance(10_000);
    expect(s.get(KEY)?.alive).toBe(true);
    expect(lines).toContain('DR path to [10.0.0.1]:tcp:80 for VIP 10.0.0.100 success.');
    s.stop();
  });
});

describe('drPathResult', () => {
  const route = { ifname: 'eth0', mac: '02:00:00:00:00:01', source: '10.0.0.5' };
  const o = { vip: '10.0.0.100', port: 80, realServer: '10.0.0.1', timeoutMs: 1000 };
  const mac = '02:00:00:00:00:02';
  it.each<[string, DrPathReport, boolean, RegExp]>([
    [
      'SYN-ACK, no ARP reply',
      { route, realServerMac: mac, reply: 'syn-ack', replyMs: 0.4, arpAnsweredBy: [] },
      true,
      /^SYN-ACK from 10\.0\.0\.100:80 via 10\.0\.0\.1 \(eth0\) in 0\.40 ms/,
    ],
    [
      'no SYN-ACK',
      { route, realServerMac: mac, arpAnsweredBy: [] },
      false,
      /^VIP not accepted on the real server \(VIP missing on lo\?\): no SYN-ACK .* within 1000 ms$/,
    ],
    [
      'RST',
      { route, realServerMac: mac, reply: 'rst', arpAnsweredBy: [] },
      false,
      /refuses 10\.0\.0\.100:80 .*\(RST\)/,
    ],
    [
      'ARP reply from the real server',
      { route, realServerMac: mac, reply: 'syn-ack', arpAnsweredBy: ['02:00:00:00:00:09', mac] },
      false,
      /^real server answers ARP for the VIP \(arp_ignore\/arp_announce not set\): ARP reply for 10\.0\.0\.100 from 02:00:00:00:00:02$/,
    ],
    [
      'ARP reply from another host only (a backup director)',
      { route, realServerMac: mac, reply: 'syn-ack', arpAnsweredBy: ['02:00:00:00:00:09'] },
      true,
      /^SYN-ACK/,
    ],
    [
      'both failures',
      { route, realServerMac: mac, arpAnsweredBy: [mac] },
      false,
      new RegExp(`^VIP not accepted.*; ${ANSWERS_ARP.replace(/[()/]/g, '\\$&')}`),
    ],
    [
      'no MAC',
      { route, arpAnsweredBy: [] },
      false,
      /^real server MAC unknown: no ARP reply from 10\.0\.0\.1 on eth0/,
    ],
  ])('%s', (_name, report, ok, reason) => {
    const r = drPathResult(report, o);
    expect(r.ok).toBe(ok);
    expect(r.reason).toMatch(reason);
  });
});
