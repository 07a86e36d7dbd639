/**
 * bench/tracking.ts: client-observed outage when the master's nginx dies and when an operator
 * creates the down file, keepvip and keepalived 2.2.7 side by side on the same two-node
 * configuration (test/integration/tracking/configs.ts): chk_down on /etc/keepalived/down
 * (interval 1) and chk_nginx `killall -0 nginx` (interval 1, fall 2), weights -20, priorities 100
 * (n1) and 90 (n2), plus chk_nginx_pid: a script file doing `kill -0 $(cat /run/nginx.pid)`
 * (interval 1, fall 2). Three setups:
 *   keepvip       also a vrrp_track_process on nginx (pidfd exit watch);
 *   keepvip-seed  the checks unchanged, as seed 001 writes them (`killall -0 nginx && exit 0 ||
 *                 exit 1` through bash, the pid-file script), no vrrp_track_process: only the
 *                 idiom watches (track/idiom-watch.ts) make it fast;
 *   keepalived    keepalived 2.2.7 with the same checks (plain commands, as 2.x executes them).
 * Both nodes run nginx in their own PID namespace; a client probes the VIP every 10 ms on fresh
 * connections. Events:
 *   nginx-kill: every nginx process on the master is SIGKILLed (kill -9);
 *   touch-down: `touch /etc/keepalived/down` on the master (a planned move).
 * for VRRPv2 advert_int 1 and VRRPv3 advert_int 0.1. Goals (keepvip): nginx-kill outage within
 * the backup's Skew_Time + 50 ms; touch-down with zero failed requests.
 *
 * Run: node --import tsx bench/tracking.ts [--repeats N] [--daemon keepvip|keepvip-seed|keepalived]
 *      [--version v2|v3] [--trace]. Needs root; every namespace and process is removed on exit.
 */
import { rm, writeFile } from 'node:fs/promises';
import { buildDist, pairConfig } from '../test/integration/tracking/configs.js';
import { startVrrpDaemon, type VrrpDaemon, type VrrpPreset } from '../test/helpers/keepalived.js';
import { integrationSkipReason } from '../test/helpers/netns.js';
import { type NginxInstance, startNginx } from '../test/helpers/nginx.js';
import { startClientProber } from '../test/helpers/prober.js';
import { createTopology, type Topology } from '../test/helpers/topology.js';
import { skewTimeMs } from '../src/vrrp/timers.js';
import { argValue, median } from './lib/args.js';
import { nowMs } from './lib/clock.js';
import { analyzeProbes } from './lib/outage.js';

const PREFIX = 'kvbtr';
const BACKUP_PRIORITY = 90;
const GOAL_SLACK_MS = 50;

interface Variant {
  label: string;
  version: 2 | 3;
  advertIntSec: number;
}
type Event = 'nginx-kill' | 'touch-down';
/** Setup is a daemon with one way of writing the checks (see the file comment). */
type Setup = 'keepvip' | 'keepvip-seed' | 'keepalived';
const presetOf = (s: Setup): VrrpPreset => (s === 'keepalived' ? 'keepalived' : 'keepvip');

/** PID_CHECK is the seed-style check script file: is the pid in nginx's pid file alive? */
const PID_CHECK_PATH = '/etc/keepalived/check_nginx_pid.sh';
const PID_CHECK = `#!/bin/bash
# nginx check in the style of the seed write-ups: the pid in nginx's pid file must be alive.
kill -0 $(cat /run/nginx.pid) 2>/dev/null || exit 1
exit 0
`;
const PID_CHECK_BLOCK = `vrrp_script chk_nginx_pid {
  script "${PID_CHECK_PATH}"
  interval 1
  weight -20
  fall 2
  rise 1
}`;

interface RunResult {
  daemon: Setup;
  variant: string;
  event: Event;
  outageMs: number;
  failed: number;
  switchMs: number;
}

const REPEATS = Number(argValue('--repeats') ?? process.env.KEEPVIP_BENCH_REPEATS ?? 3);
const VARIANTS: Variant[] = [
  { label: 'v2 advert_int 1', version: 2 as const, advertIntSec: 1 },
  { label: 'v3 advert_int 0.1', version: 3 as const, advertIntSec: 0.1 },
].filter((v) => !argValue('--version') || `v${v.version}` === argValue('--version'));
const DAEMONS: Setup[] = argValue('--daemon')
  ? [argValue('--daemon') as Setup]
  : ['keepvip', 'keepvip-seed', 'keepalived'];
const EVENTS: Event[] = ['nginx-kill', 'touch-down'];
/** TRACE (--trace) prints both daemons' log lines around each event, with times from the event. */
const TRACE = process.argv.includes('--trace');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pair is one running pair of daemons with nginx on both nodes. */
interface Pair {
  daemons: Map<string, VrrpDaemon>;
  nginxes: Map<string, NginxInstance>;
}

async function startPair(topo: Topology, vip: string, daemon: Setup, v: Variant, pair: Pair): Promise<void> {
  for (const [name, priority] of [
    ['n1', 100],
    ['n2', BACKUP_PRIORITY],
  ] as const) {
    const config = pairConfig({
      routerId: name,
      priority,
      vip,
      vrid: 74,
      version: v.version,
      advertIntSec: v.advertIntSec,
      trackProcess: daemon === 'keepvip',
      plainScripts: daemon !== 'keepvip-seed',
      extraScripts: [{ block: PID_CHECK_BLOCK, name: 'chk_nginx_pid' }],
    });
    const node = topo.node(name);
    await node.isolate();
    await writeFile(await node.hostPath(PID_CHECK_PATH), PID_CHECK, { mode: 0o755 });
    pair.daemons.set(name, await startVrrpDaemon(node, { preset: presetOf(daemon), config, isolated: true }));
  }
  await pair.daemons.get('n1')!.waitForLog(/\(VI_1\) Entering MASTER STATE/, 20_000);
  await topo.waitForVipOn('n1', vip, 10_000);
}

/** settleOnN1 waits until n1 holds the VIP again and the backup has heard it for a while. */
async function settleOnN1(topo: Topology, vip: string, v: Variant): Promise<void> {
  await topo.waitForVipOn('n1', vip, 20_000);
  await sleep(Math.max(2500, 5 * v.advertIntSec * 1000));
}

async function runEvent(
  topo: Topology,
  vip: string,
  pair: Pair,
  daemon: Setup,
  v: Variant,
  event: Event,
): Promise<RunResult> {
  const n1 = topo.node('n1');
  const prober = await startClientProber(topo, vip);
  try {
    await prober.waitFor((s) => s.ok && s.node === 'n1', 5000);
    await sleep(200);
    const t0 = nowMs();
    const down = await n1.hostPath('/etc/keepalived/down');
    if (event === 'nginx-kill') await pair.nginxes.get('n1')!.kill();
    else await writeFile(down, '');
    const first = await prober.waitFor((s) => s.ok && s.node === 'n2' && s.t > t0, 20_000);
    await prober.waitFor((s) => s.t > first.t + 500, 5000);
    const r = analyzeProbes(await prober.stop());
    const result = {
      daemon,
      variant: v.label,
      event,
      outageMs: r.outageMs,
      failed: r.failed,
      switchMs: first.t - t0,
    };
    console.log(
      `  ${event.padEnd(10)} ${v.label.padEnd(17)} ${daemon.padEnd(10)} outage ${r.outageMs.toFixed(1)} ms, failed ${r.failed}/${r.samples}, n2 answers +${result.switchMs.toFixed(0)} ms`,
    );
    if (TRACE) {
      for (const [name, d] of pair.daemons) {
        for (const l of d.lines.filter((l) => l.t >= t0 - 5 && l.t <= first.t + 50)) {
          console.log(`    ${name} +${(l.t - t0).toFixed(1).padStart(6)} ms  ${l.text}`);
        }
      }
    }
    // Recover: nginx back / down file removed; n1 preempts back.
    if (event === 'nginx-kill') pair.nginxes.set('n1', await startNginx(n1, { isolated: true }));
    else await rm(down, { force: true });
    await settleOnN1(topo, vip, v);
    return result;
  } finally {
    await prober.stop().catch(() => undefined);
  }
}

function report(results: RunResult[]): boolean {
  const rows = [
    '| event | version/advert | daemon | runs | outage median ms | max ms | failed requests (max) | Skew_Time n2 | goal (keepvip) | met |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  let allMet = true;
  for (const event of EVENTS) {
    for (const v of VARIANTS) {
      const skew = skewTimeMs(v.version, BACKUP_PRIORITY, v.advertIntSec * 1000);
      for (const d of DAEMONS) {
        const cell = results.filter((r) => r.event === event && r.variant === v.label && r.daemon === d);
        if (cell.length === 0) continue;
        const outages = cell.map((r) => r.outageMs);
        const max = Math.max(...outages);
        const failedMax = Math.max(...cell.map((r) => r.failed));
        let goal = 'reference';
        let met = '';
        if (d !== 'keepalived') {
          const ok = event === 'nginx-kill' ? max <= skew + GOAL_SLACK_MS : failedMax === 0;
          goal = event === 'nginx-kill' ? `max <= ${(skew + GOAL_SLACK_MS).toFixed(0)}` : '0 failed';
          met = ok ? 'yes' : 'NO';
          allMet &&= ok;
        }
        rows.push(
          `| ${event} | ${v.label} | ${d} | ${cell.length} | ${median(outages).toFixed(1)} | ${max.toFixed(1)} | ${failedMax} | ${skew.toFixed(1)} | ${goal} | ${met} |`,
        );
      }
    }
  }
  console.log(`\n${rows.join('\n')}`);
  console.log(
    '\nOutage: longest client-observed window without an answer through the VIP (probe every 10 ms, new connection).',
  );
  return allMet;
}

async function main(): Promise<void> {
  const skip = integrationSkipReason();
  if (skip) {
    console.error(`bench/tracking: cannot run: ${skip}`);
    process.exitCode = 3;
    return;
  }
  if (!Number.isInteger(REPEATS) || REPEATS < 1) throw new Error('--repeats must be a positive integer');
  console.log(`bench/tracking: ${REPEATS} repeat(s) per cell, daemons ${DAEMONS.join(' + ')}`);
  buildDist();
  const topo = await createTopology({ prefix: PREFIX, nodes: ['n1', 'n2'], client: true });
  const results: RunResult[] = [];
  try {
    const vip = topo.addr4(100);
    const nginxes = new Map<string, NginxInstance>();
    for (const name of ['n1', 'n2']) nginxes.set(name, await startNginx(topo.node(name), { isolated: true }));
    for (const v of VARIANTS) {
      for (const d of DAEMONS) {
        const pair: Pair = { daemons: new Map(), nginxes };
        try {
          await startPair(topo, vip, d, v, pair);
          await settleOnN1(topo, vip, v);
          for (let i = 0; i < REPEATS; i++) {
            for (const event of EVENTS) results.push(await runEvent(topo, vip, pair, d, v, event));
          }
        } finally {
          for (const daemon of pair.daemons.values()) await daemon.stop(10_000).catch(() => undefined);
        }
      }
    }
  } finally {
    await topo.destroy();
  }
  const met = report(results);
  console.log(`\nkeepvip goals ${met ? 'met' : 'NOT met'}`);
  if (!met) process.exitCode = 1;
}

await main();
