/**
 * keepalived's SIGJSON dump, differential: keepalived 2.2.7 (built with --enable-json) and
 * keepvip run the same vrrp_instance as one VRRP pair; both get SIGRTMIN+2 and write
 * $TMPDIR/keepalived.json. keepvip's file must have keepalived's layout: the same keys in
 * `data` and `stats` and the same values for what both know (names, numbers, VIP strings,
 * states), so keepalived-exporter --ka.json reads either.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type VrrpDaemon, type VrrpPreset, startVrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { createTopology, type Topology } from '../../helpers/topology.js';
import { waitUntil } from '../../helpers/wait.js';
import { ensureDist } from '../../helpers/dist.js';

const run = promisify(execFile);
const skip = integrationSkipReason();
if (skip) console.warn(`JSON dump differential skipped: ${skip}`);

/** SIGJSON is SIGRTMIN+2: 36 with glibc. */
const SIGJSON = 36 as unknown as NodeJS.Signals;

type Dump = { data: Record<string, unknown>; stats: Record<string, number> }[];

function config(name: string, priority: number, vip: string, vip2: string): string {
  return `global_defs {
    router_id ${name}
}
vrrp_script chk_ok {
    script "/bin/true"
    interval 1
    weight 10
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 77
    priority ${priority}
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass s3cret
    }
    virtual_ipaddress {
        ${vip}/24 dev eth0
        ${vip2} dev eth0
    }
    track_script {
        chk_ok
    }
    notify_master "/bin/true master"
}
`;
}

describe.skipIf(!!skip)('SIGJSON: keepvip writes keepalived 2.2.7 layout', () => {
  let topo: Topology;
  const d: Record<string, VrrpDaemon> = {};
  const dir: Record<string, string> = {};

  beforeAll(async () => {
    await ensureDist();
    topo = await createTopology({ prefix: 'kvjson', nodes: ['ka', 'kv'] });
    const vip = topo.addr4(100);
    const vip2 = topo.addr4(101);
    for (const [name, preset, priority] of [
      ['ka', 'keepalived', 150],
      ['kv', 'keepvip', 100],
    ] as [string, VrrpPreset, number][]) {
      dir[name] = join(topo.node(name).dir, 'tmp');
      mkdirSync(dir[name]!, { recursive: true });
      chmodSync(dir[name]!, 0o1777);
      const saved = process.env.TMPDIR;
      process.env.TMPDIR = dir[name]; // keepalived's tmp_dir and keepvip's compat path follow $TMPDIR
      try {
        d[name] = await startVrrpDaemon(topo.node(name), {
          preset,
          config: config(name, priority, vip, vip2),
        });
      } finally {
        if (saved === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = saved;
      }
    }
    await topo.waitForVipOn('ka', vip, 15_000);
    // Let keepvip hear a few adverts and settle as BACKUP.
    await d.kv!.waitForLog(/BACKUP/, 10_000);
  });
  afterAll(async () => {
    for (const daemon of Object.values(d)) await daemon.stop().catch(() => {});
    await topo?.destroy();
  });

  const dumpOf = async (name: string): Promise<Dump> => {
    const path = join(dir[name]!, 'keepalived.json');
    await run('rm', ['-f', path]);
    await d[name]!.proc.signal(SIGJSON);
    return waitUntil(
      () => {
        try {
          return JSON.parse(readFileSync(path, 'utf8')) as Dump;
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 5000, intervalMs: 50, what: `${name} wrote ${path}` },
    );
  };

  it('same keys, same values for what both know', async () => {
    const ka = await dumpOf('ka');
    const kv = await dumpOf('kv');
    console.log(`[json] keepalived: ${JSON.stringify(ka)}`);
    console.log(`[json] keepvip:    ${JSON.stringify(kv)}`);
    expect(kv.length).toBe(ka.length);
    expect(Object.keys(kv[0]!)).toEqual(Object.keys(ka[0]!));
    const kaKeys = Object.keys(ka[0]!.data).sort();
    const kvKeys = Object.keys(kv[0]!.data).sort();
    console.log(
      `[json] data keys only keepalived has: ${kaKeys.filter((k) => !kvKeys.includes(k)).join(' ') || '-'}; only keepvip: ${kvKeys.filter((k) => !kaKeys.includes(k)).join(' ') || '-'}`,
    );
    expect(kvKeys).toEqual(kaKeys);
    expect(Object.keys(kv[0]!.stats).sort()).toEqual(Object.keys(ka[0]!.stats).sort());
    // Values both daemons must agree on (the configuration and the keepalived encodings of it).
    for (const key of [
      'iname',
      'ifp_ifname',
      'vrid',
      'version',
      'adver_int',
      'garp_delay',
      'garp_refresh',
      'garp_rep',
      'garp_refresh_rep',
      'garp_lower_prio_delay',
      'garp_lower_prio_rep',
      'dont_track_primary',
      'nopreempt',
      'preempt_delay',
      'auth_type',
      'track_script',
      'script_master',
    ])
      expect([key, kv[0]!.data[key]]).toEqual([key, ka[0]!.data[key]]);
    // VIP strings are format_ipaddress's; " set" marks the addresses configured (only the MASTER's).
    const unset = (v: unknown) => (v as string[]).map((x) => x.replace(/ set$/, ''));
    expect(unset(kv[0]!.data.vips)).toEqual(unset(ka[0]!.data.vips));
    expect((ka[0]!.data.vips as string[]).every((v) => v.endsWith(' set'))).toBe(true);
    // The live values: keepalived is MASTER at 160 (150 + chk_ok), keepvip BACKUP at 110.
    expect([ka[0]!.data.state, kv[0]!.data.state]).toEqual([2, 1]);
    expect([ka[0]!.data.effective_priority, kv[0]!.data.effective_priority]).toEqual([160, 110]);
    expect(kv[0]!.stats.advert_rcvd).toBeGreaterThan(0);
    expect(ka[0]!.stats.advert_sent).toBeGreaterThan(0);
  });
});
