/**
 * bench/soak.ts: a keepvip pair run for a long time under everything at once, sampling the
 * daemons each minute (issue 11 item 5). Two isolated nodes run nginx and keepvip with 50
 * VRRPv3 instances at advert_int 0.1; every instance tracks its own vrrp_script (a down-file
 * test, interval 1) and has notify scripts; an nginx_upstream is rendered and checked with
 * `nginx -t` on every reload, and the master is reloaded (SIGHUP) every 10 s; once a minute the
 * master is failed over (`touch /etc/keepalived/down`, removed 30 s later so it preempts back).
 * Each minute it prints RSS, CPU over the last minute, open fds, the number of VIPs on each node
 * and that minute's timer lateness (from the daemon's keepvip_timer_lateness histogram, in the
 * status document: p50/p99 as bucket bounds, and the worst since start); at the end it prints
 * the first and last samples side by side.
 *
 * Run: node --import tsx bench/soak.ts [--minutes 30] [--instances 50]. Needs root; every
 * namespace and process is removed on exit. `npm run bench` runs it with --minutes 2 unless
 * KEEPVIP_SOAK_MINUTES says otherwise (the 30-minute run is for closing notes).
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startVrrpDaemon, type VrrpDaemon } from '../test/helpers/keepalived.js';
import { integrationSkipReason } from '../test/helpers/netns.js';
import { startNginx } from '../test/helpers/nginx.js';
import { createTopology, type TopoNode, type Topology } from '../test/helpers/topology.js';
import { buildDist } from '../test/integration/tracking/configs.js';
import { argValue } from './lib/args.js';
import { scaleVip } from './lib/scale-config.js';

const PREFIX = 'kvsoak';
const MINUTES = Number(argValue('--minutes') ?? process.env.KEEPVIP_SOAK_MINUTES ?? 2);
const INSTANCES = Number(argValue('--instances') ?? 50);
const RELOAD_EVERY_MS = 10_000;
const FAILOVER_EVERY_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sample is one minute's reading of one daemon. */
interface Sample {
  minute: number;
  node: string;
  rssMb: number;
  cpuPct: number;
  fds: number;
  vips: number;
  /** lateP50Ms / lateP99Ms bound this minute's timer lateness (bucket upper bounds of the histogram). */
  lateP50Ms: number;
  lateP99Ms: number;
  /** lateMaxMs is the latest any timer fired since start. */
  lateMaxMs: number;
}

/** Timers is the `timers` part of keepvip's status document (util/timer-heap.ts LatenessStats). */
interface Timers {
  buckets: number[];
  count: number;
  maxMs: number;
}

/** BOUNDS_MS are util/timer-heap.ts LATENESS_BUCKETS_MS, +Inf last. */
const BOUNDS_MS = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 250, 1000, Number.POSITIVE_INFINITY];

/** quantileBound is the upper bound of the bucket holding quantile q of the counts. */
function quantileBound(counts: number[], q: number): number {
  const total = counts.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (total > 0 && seen >= q * total) return BOUNDS_MS[i]!;
  }
  return Number.NaN;
}

const NOTIFY_SH = `#!/bin/bash
echo "$(date +%s.%N) $*" >> /run/notify.log
`;

/** soakConfig renders one node's configuration: INSTANCES instances, each with its own script. */
function soakConfig(node: TopoNode, topo: Topology, priority: number, nginxPrefix: string): string {
  const base = topo.addr4(0).split('.').slice(0, 3).join('.');
  const parts = [
    `global_defs {\n  router_id ${node.name}\n  vrrp_version 3\n  enable_script_security\n  script_user root\n}\n`,
  ];
  for (let i = 1; i <= INSTANCES; i++) {
    parts.push(`vrrp_script chk_${i} {
  script "[[ -f /etc/keepalived/down ]] && exit 1 || exit 0"
  interval 1
  weight -60
}
vrrp_instance VI_${i} {
  state BACKUP
  interface eth0
  virtual_router_id ${i}
  priority ${priority}
  advert_int 0.1
  virtual_ipaddress {
    ${scaleVip(base, i)}/32 dev eth0
  }
  track_script {
    chk_${i}
  }
  notify_master "/etc/keepalived/notify.sh MASTER VI_${i}"
  notify_backup "/etc/keepalived/notify.sh BACKUP VI_${i}"
}
`);
  }
  parts.push(`nginx_upstream soak {
  output ${nginxPrefix}/soak-upstream.conf
  nginx_conf ${nginxPrefix}/soak.conf
  test_command "nginx -t -q -p ${nginxPrefix} -c ${nginxPrefix}/soak.conf"
  reload_command "/bin/true"
  server ${topo.node('n1').addr4}:80
  server ${topo.node('n2').addr4}:80
}
`);
  return parts.join('\n');
}

/** procStat reads utime+stime (clock ticks) and RSS of a pid. */
async function procStat(pid: number): Promise<{ ticks: number; rssMb: number; fds: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const fds = (await readdir(`/proc/${pid}/fd`)).length;
  return { ticks, rssMb: rssKb / 1024, fds };
}

async function main(): Promise<void> {
  const skip = integrationSkipReason();
  if (skip) {
    console.warn(`[soak] SKIPPED: ${skip}`);
    return;
  }
  await buildDist();
  const topo = await createTopology({ prefix: PREFIX, nodes: ['n1', 'n2'], client: false });
  const stop = async () => {
    await topo.destroy().catch(() => undefined);
  };
  process.once('SIGTERM', () => void stop().then(() => process.exit(143)));
  try {
    const daemons = new Map<string, VrrpDaemon>();
    for (const [name, priority] of [
      ['n1', 150],
      ['n2', 100],
    ] as const) {
      const node = topo.node(name);
      await node.isolate();
      const nginx = await startNginx(node, { isolated: true });
      await writeFile(
        join(nginx.prefixDir, 'soak.conf'),
        `events {}\nhttp {\n  include ${nginx.prefixDir}/soak-upstream.conf;\n  server { listen 8081; location / { proxy_pass http://soak; } }\n}\n`,
      );
      await writeFile(await node.hostPath('/etc/keepalived/notify.sh'), NOTIFY_SH, { mode: 0o755 });
      daemons.set(
        name,
        await startVrrpDaemon(node, {
          preset: 'keepvip',
          isolated: true,
          config: soakConfig(node, topo, priority, nginx.prefixDir),
        }),
      );
    }
    const n1 = daemons.get('n1')!;
    await n1.waitForLog(new RegExp(`VI_${INSTANCES}\\) Entering MASTER STATE`), 30_000);
    const samples: Sample[] = [];
    const last = new Map<string, number>();
    const hz = 100; // USER_HZ on Linux
    const pidOf = async (d: VrrpDaemon) => d.proc.targetPid();
    // The control socket appears after start-up; a failed read is an unknown (NaN) sample, never fatal.
    const timersOf = async (d: VrrpDaemon) =>
      ((await d.status().catch(() => ({}))) as { timers?: Timers }).timers;
    const lastTimers = new Map<string, Timers | undefined>();
    for (const [name, d] of daemons) {
      last.set(name, (await procStat(await pidOf(d))).ticks);
      lastTimers.set(name, await timersOf(d));
    }
    const t0 = Date.now();
    let nextReload = t0 + RELOAD_EVERY_MS;
    // Failovers at 15 s, 75 s, ... (down file added) and back at 45 s, 105 s, ... (removed): the
    // minute samples fall 15 s after the master took its VIPs back, not at the moment it does.
    let nextFailover = t0 + FAILOVER_EVERY_MS / 4;
    let downOn: TopoNode | undefined;
    let minute = 0;
    let failovers = 0;
    let reloads = 0;
    console.log(
      `[soak] ${INSTANCES} instances at 0.1 s, ${INSTANCES} track scripts per node, reload every 10 s, failover every minute, ${MINUTES} min`,
    );
    console.log('minute node  rss_mb  cpu_%  fds  vips  late_p50_ms  late_p99_ms  late_max_ms');
    while (Date.now() - t0 < MINUTES * 60_000) {
      await sleep(1000);
      const now = Date.now();
      if (now >= nextReload) {
        nextReload += RELOAD_EVERY_MS;
        await n1.reload();
        reloads++;
      }
      if (now >= nextFailover) {
        nextFailover += FAILOVER_EVERY_MS / 2;
        const downPath = await topo.node('n1').hostPath('/etc/keepalived/down');
        if (downOn) {
          await rm(downPath, { force: true });
          downOn = undefined;
        } else {
          await writeFile(downPath, '');
          downOn = topo.node('n1');
          failovers++;
        }
      }
      if (now - t0 >= (minute + 1) * 60_000) {
        minute++;
        for (const [name, d] of daemons) {
          const s = await procStat(await pidOf(d));
          const cpuPct = ((s.ticks - last.get(name)!) / hz / 60) * 100;
          last.set(name, s.ticks);
          const vips = (await topo.node(name).addresses('eth0')).filter((a) =>
            a.startsWith(
              scaleVip(topo.addr4(0).split('.').slice(0, 3).join('.'), 1).split('.').slice(0, 3).join('.'),
            ),
          ).length;
          // This minute's lateness: the histogram's growth since the last sample.
          const t = await timersOf(d);
          const before = lastTimers.get(name);
          lastTimers.set(name, t);
          const delta = (t?.buckets ?? []).map((c, i) => c - (before?.buckets[i] ?? 0));
          const sample: Sample = {
            minute,
            node: name,
            rssMb: s.rssMb,
            cpuPct,
            fds: s.fds,
            vips,
            lateP50Ms: quantileBound(delta, 0.5),
            lateP99Ms: quantileBound(delta, 0.99),
            lateMaxMs: t?.maxMs ?? Number.NaN,
          };
          samples.push(sample);
          console.log(
            `${String(minute).padStart(6)} ${name.padEnd(5)} ${s.rssMb.toFixed(1).padStart(7)} ${cpuPct.toFixed(1).padStart(6)} ${String(s.fds).padStart(4)} ${String(vips).padStart(5)} ${`<=${sample.lateP50Ms}`.padStart(12)} ${`<=${sample.lateP99Ms}`.padStart(12)} ${sample.lateMaxMs.toFixed(1).padStart(12)}`,
          );
        }
      }
    }
    console.log(`[soak] ${failovers} failovers, ${reloads} reloads`);
    for (const name of daemons.keys()) {
      const mine = samples.filter((s) => s.node === name);
      const first = mine[0];
      const end = mine[mine.length - 1];
      if (!first || !end) continue;
      console.log(
        `[soak] ${name}: rss ${first.rssMb.toFixed(1)} -> ${end.rssMb.toFixed(1)} MB, cpu ${first.cpuPct.toFixed(1)} -> ${end.cpuPct.toFixed(1)} %, fds ${first.fds} -> ${end.fds}, timer lateness p99 <= ${first.lateP99Ms} -> <= ${end.lateP99Ms} ms (worst minute <= ${Math.max(...mine.map((m) => m.lateP99Ms))} ms), max ${end.lateMaxMs.toFixed(1)} ms`,
      );
    }
  } finally {
    await stop();
  }
}

await main();
