/**
 * bench/checkers.ts: the cost of many real-server checks, keepvip against keepalived 2.2.7's
 * checker process on the same configuration, side by side in one run. keepalived's checker
 * exits without IPVS (this host's kernel has none), so both run inside a user-mode-linux guest
 * with ip_vs (test/helpers/uml.ts), one after the other on the same local servers: N TCP_CHECKs
 * and M HTTP_GETs (default 10,000 and 2,000), delay_loop 1 s, against 100 TCP and 20 HTTP
 * listeners on the guest's loopback (real servers 127.0.A.B, distinct addresses). For each
 * daemon: CPU (user+system of the checker process, /proc/PID/stat) and peak RSS over a window
 * after the warmup, and the checks the local servers actually served in that window (so CPU per
 * check compares the two daemons even when a slow guest lets neither reach 12,000 a second). Meanwhile a
 * keepvip VRRP instance (VRRPv3, advert_int 0.1 s, on a dummy interface) runs in the same
 * process; its advert spacing captured with tcpdump gives the VRRP timer lateness (p50, p99).
 * UML is slower than the host: the figures compare the two daemons, not absolute speeds.
 *
 * keepvip's CPU is also split by thread (/proc/PID/task/TID/stat): the main (VRRP) thread, the
 * busiest other thread (the checker thread) and the rest (V8 GC and libuv helpers).
 *
 * Run: node --import tsx bench/checkers.ts [--tcp N] [--http M] [--window S] [--only keepvip]
 * [--profile DIR]. Needs root. `--only keepvip` skips keepalived (quicker iterations; no ratio);
 * `--profile DIR` runs keepvip with --cpu-prof (one .cpuprofile per thread) and copies the
 * profiles to DIR; `--save DIR` keeps the guest's logs, status and captures there; `--globals
 * 'LINE'` adds a global_defs line to keepvip's configuration (e.g. 'vrrp_rt_priority 50').
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { argValue } from './lib/args.js';
import { bootGuest, IPVS_MODULES, REPO_ROOT, umlSkipReason } from '../test/helpers/uml.js';

const TCP = Number(argValue('--tcp') ?? 10_000);
const HTTP = Number(argValue('--http') ?? 2_000);
const WINDOW_S = Number(argValue('--window') ?? 20);
const WARMUP_S = 8;
const ONLY = argValue('--only');
const PROFILE = argValue('--profile');
const SAVE = argValue('--save');
/** GLOBALS are extra global_defs lines for keepvip's configuration (`--globals 'vrrp_rt_priority 50'`). */
const GLOBALS = argValue('--globals') ?? '';

/** realServers spreads n real servers over 127.0.A.B addresses, `ports` listener ports from `base`. */
function realServers(n: number, firstA: number, base: number, ports: number, body: string): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = firstA + Math.floor(i / 250);
    const b = (i % 250) + 1;
    out.push(`    real_server 127.0.${a}.${b} ${base + (i % ports)} {\n${body}\n    }`);
  }
  return out.join('\n');
}

function config(vipPrefix: string, withVrrp: boolean): string {
  const tcp = '        TCP_CHECK {\n            connect_timeout 2\n        }';
  const http =
    '        HTTP_GET {\n            url {\n                path /\n                status_code 200\n            }\n            connect_timeout 2\n        }';
  const vs = (i: number, body: string) =>
    `virtual_server ${vipPrefix}.${i} 80 {\n    delay_loop 1\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n${body}\n}\n`;
  const blocks: string[] = [];
  const perVs = 1000;
  for (let i = 0; i * perVs < TCP; i++)
    blocks.push(vs(i + 1, realServers(Math.min(perVs, TCP - i * perVs), 1 + i * 4, 20_000, 100, tcp)));
  for (let i = 0; i * perVs < HTTP; i++)
    blocks.push(vs(100 + i, realServers(Math.min(perVs, HTTP - i * perVs), 200 + i * 4, 21_000, 20, http)));
  const vrrp = withVrrp
    ? `vrrp_instance VB {\n    state MASTER\n    interface kvb0\n    virtual_router_id 77\n    priority 200\n    advert_int 0.1\n    version 3\n    virtual_ipaddress {\n        10.66.0.100/24\n    }\n}\n`
    : '';
  const extra = withVrrp && GLOBALS ? `    ${GLOBALS}\n` : '';
  return `global_defs {\n    router_id bench\n    vrrp_version 3\n${extra}}\n${vrrp}${blocks.join('')}`;
}

const SERVERS = `
import { createServer as tcp } from 'node:net';
import { createServer as http } from 'node:http';
import { renameSync, writeFileSync } from 'node:fs';
const kind = process.argv[2];
// Every accepted connection is one check served: counted, so CPU per check compares the daemons
// even when one of them does not keep up with delay_loop.
let n = 0;
const out = 'count-' + kind + '.tmp';
setInterval(() => { writeFileSync(out + '.w', String(n)); renameSync(out + '.w', out); }, 250);
if (kind === 'tcp') for (let p = 20000; p < 20100; p++) tcp((s) => { n++; s.on('error', () => {}); s.end(); }).listen({ port: p, host: '0.0.0.0', backlog: 4096 });
if (kind === 'http') for (let p = 21000; p < 21020; p++) http((_q, r) => { n++; r.end('ok\\n'); }).listen({ port: p, host: '0.0.0.0', backlog: 4096 });
console.log('ready');
`;

/**
 * CONTROL is a guest-wide control for the VRRP lateness: a process that sleeps 100 ms at a time and
 * prints how late each wakeup was (ms). When the whole guest stalls (the host is loaded: the UML
 * guest is one host thread), this is late too, and keepvip is not the cause.
 */
const CONTROL =
  'import time\nwhile True:\n    t = time.monotonic() + 0.1\n    time.sleep(0.1)\n    print(round((time.monotonic() - t) * 1000, 2))';

/**
 * waitUp waits (up to 20 minutes) until the daemon has logged most TCP_CHECKs' first success: on
 * a slow guest the checkers take minutes to start, and a window over the start-up measures that.
 */
const waitUp = (log: string, pid: string) =>
  `for i in $(seq 1 1200); do [ -s ${pid} ] && [ "$(grep -c 'success\\.' ${log})" -ge ${Math.floor(TCP * 0.95)} ] && break; sleep 1; done
echo "${log}: $(grep -c 'success\\.' ${log}) first successes after $(cut -d' ' -f1 /proc/uptime) s of guest uptime"`;

/** MEASURE samples a pid's CPU ticks and RSS: prints "cpu_s rss_kb_max" over WINDOW seconds. */
const measure = (pidExpr: string) => `
PID=${pidExpr}
HZ=$(getconf CLK_TCK)
c0=$(( $(cat count-tcp.tmp) + $(cat count-http.tmp) ))
e0=$(cut -d' ' -f1 /proc/uptime)
t0=$(awk '{print $14+$15}' /proc/$PID/stat)
for t in /proc/$PID/task/*; do echo "$(basename $t) $(awk '{print $14+$15}' $t/stat 2>/dev/null)"; done | sort > threads0
rss=0
for i in $(seq 1 ${WINDOW_S}); do
  r=$(awk '/VmRSS/ {print $2}' /proc/$PID/status); [ "$r" -gt "$rss" ] && rss=$r
  sleep 1
done
t1=$(awk '{print $14+$15}' /proc/$PID/stat)
e1=$(cut -d' ' -f1 /proc/uptime)
for t in /proc/$PID/task/*; do echo "$(basename $t) $(awk '{print $14+$15}' $t/stat 2>/dev/null)"; done | sort > threads1
c1=$(( $(cat count-tcp.tmp) + $(cat count-http.tmp) ))
echo "$(( t1 - t0 )) $HZ $rss $(( c1 - c0 )) $(awk -v a=$e0 -v b=$e1 'BEGIN { print b - a }')"
# Per thread: "main", "top" (busiest other thread), "rest" ticks over the window.
join threads0 threads1 | awk -v main=$PID '{ d = $3 - $2; if ($1 == main) m = d; else { r += d; if (d > top) top = d } } END { print m + 0, top + 0, r - top }'
`;

async function main(): Promise<void> {
  const skip = umlSkipReason();
  if (skip) {
    console.warn(`[bench/checkers] SKIPPED: ${skip}`);
    return;
  }
  // A private build at dist's depth (the addon and templates resolve alike): other work
  // rebuilding dist/ during the ~20-minute run must not swap the daemon under measurement.
  const out = `${REPO_ROOT}/.bench-checkers-dist`;
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json', '--outDir', out], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) console.warn('[bench/checkers] tsc reported errors (output still emitted)');
  writeFileSync(`${out}/keepvip.mjs`, "import('./cli/main.js').then((m) => m.main(process.argv));\n");
  // keepvip runs with the node flags of bin/keepvip's first line, as installed.
  const NODE_FLAGS =
    /^#!.*\bnode\b(.*)$/m.exec(readFileSync(`${REPO_ROOT}/bin/keepvip`, 'utf8'))?.[1]?.trim() ?? '';
  const guest = await bootGuest({
    name: 'bench-checkers',
    modules: [...IPVS_MODULES, 'dummy'],
    mem: '2048M',
    timeoutMs: 45 * 60_000,
    // Modules load slowly in UML on a loaded host: allow the boot more than the default minute.
    bootTimeoutMs: 300_000,
  });
  try {
    const d = guest.resultsDir;
    const KEEPALIVED = `# keepalived 2.2.7: measure its checker child.
keepalived -f ${d}/ka.conf -n -l -C -p ${d}/ka.pid -c ${d}/kac.pid -r ${d}/kav.pid -b ${d}/kab.pid -G > ka.log 2>&1 &
${waitUp('ka.log', 'kac.pid')}
sleep ${WARMUP_S}
( ${measure(`$(cat ${d}/kac.pid)`)} ) > ka.measure
kill $(cat ka.pid); sleep 3
ipvsadm -C || true
`;
    const script = `set -e
CONTROL='${CONTROL}'
ip link set lo up
ulimit -n 65536
cd ${d}
cat > ka.conf <<'EOF1'
${config('10.1.1', false)}EOF1
cat > kv.conf <<'EOF2'
${config('10.2.1', true)}EOF2
cat > servers.mjs <<'EOF3'
${SERVERS}EOF3
node servers.mjs tcp > servers-tcp.log 2>&1 &
node servers.mjs http > servers-http.log 2>&1 &
sleep 2
ip link add kvb0 type dummy; ip link set kvb0 up; ip addr add 10.66.0.1/24 dev kvb0
${ONLY === 'keepvip' ? '' : KEEPALIVED} -f ${d}/ka.conf -n -l -C -p ${d}/ka.pid -c ${d}/kac.pid -r ${d}/kav.pid -b ${d}/kab.pid -G > ka.log 2>&1 &
# keepvip: checkers and one VRRP instance in one process.
node ${NODE_FLAGS} ${PROFILE ? `--cpu-prof --cpu-prof-dir ${d}/prof` : ''} ${out}/keepvip.mjs -f ${d}/kv.conf -n -l -p ${d}/kv.pid --control ${d}/kv.sock > kv.log 2>&1 &
${waitUp('kv.log', 'kv.pid')}
[ -s kv.pid ] || { echo "keepvip did not start"; cat kv.log; exit 1; }
sleep ${WARMUP_S}
tcpdump -i kvb0 -n -tt -l 'ip proto 112' > vrrp.tcpdump 2>/dev/null &
TD=$!
python3 -u -c "$CONTROL" > control.lateness 2>/dev/null &
CT=$!
( ${measure(`$(cat ${d}/kv.pid)`)} ) > kv.measure
kill $TD || true
kill $CT || true
node ${out}/keepvip.mjs status --json --control ${d}/kv.sock > kv.status 2> kv.status.err || true
kill $(cat kv.pid); sleep 3
${PROFILE ? 'for i in $(seq 1 300); do kill -0 $(cat kv.pid) 2>/dev/null || break; sleep 1; done' : ''}
`;
    // On a loaded host the guest runs slowly: keepvip alone needs minutes to start 12,000 checkers.
    const res = await guest.run(script, { timeoutMs: 40 * 60_000 });
    if (res.exitCode !== 0) throw new Error(`guest script failed: ${res.stderr}\n${res.stdout}`);
    for (const l of res.stdout.split('\n')) if (l.includes('first successes')) console.log(`  ${l}`);
    const parse = (name: string) => {
      const [head = '', split = ''] = guest.readResult(name).trim().split('\n');
      // elapsed is the window as it passed: on a loaded guest 20 `sleep 1`s take longer than 20 s.
      const [ticks, hz, rss, served, elapsed = WINDOW_S] = head.trim().split(/\s+/).map(Number);
      const [main = 0, top = 0, rest = 0] = split.trim().split(/\s+/).map(Number);
      const cpuS = ticks! / hz!;
      const pctOf = (t: number) => (100 * t) / hz! / elapsed;
      return {
        elapsed,
        cpuPct: (100 * cpuS) / elapsed,
        threads: `main ${pctOf(main).toFixed(1)} %, busiest other ${pctOf(top).toFixed(1)} %, rest ${pctOf(rest).toFixed(1)} %`,
        rssMb: rss! / 1024,
        checksPerS: served! / elapsed,
        usPerCheck: (1e6 * cpuS) / Math.max(1, served!),
      };
    };
    const ka = ONLY === 'keepvip' ? undefined : parse('ka.measure');
    const kv = parse('kv.measure');
    const times = guest
      .readResult('vrrp.tcpdump')
      .split('\n')
      .map((l) => Number(l.split(' ')[0]))
      .filter((t) => Number.isFinite(t) && t > 0);
    const late = times
      .slice(1)
      .map((t, i) => Math.max(0, (t - times[i]!) * 1000 - 100))
      .sort((a, b) => a - b);
    const pct = (p: number) =>
      late.length ? late[Math.min(late.length - 1, Math.floor((p / 100) * late.length))]! : Number.NaN;
    let runs = '';
    try {
      const st = JSON.parse(guest.readResult('kv.status')) as {
        checkers?: { totals?: { runs: number; checkers: number } };
      };
      if (st.checkers?.totals)
        runs = ` (${st.checkers.totals.checkers} checkers, ${st.checkers.totals.runs} runs so far)`;
    } catch {
      runs = ` (no status: ${guest.readResult('kv.status.err').trim() || 'empty answer'})`;
    }
    const upIn = (log: string) =>
      guest
        .readResult(log)
        .split('\n')
        .filter((l) => /success\.|succeed on service/.test(l)).length;
    console.log(
      `bench/checkers: ${TCP} TCP_CHECK + ${HTTP} HTTP_GET, delay_loop 1 s, window ${WINDOW_S} s after ${WARMUP_S} s warmup (UML guest)${GLOBALS ? `; keepvip's global_defs add '${GLOBALS}'` : ''}`,
    );
    if (ka)
      console.log(
        `  keepalived checker: CPU ${ka.cpuPct.toFixed(1)} % (of ${ka.elapsed.toFixed(1)} s)  RSS ${ka.rssMb.toFixed(1)} MiB  checks served ${ka.checksPerS.toFixed(0)}/s  CPU ${ka.usPerCheck.toFixed(0)} us/check  (servers seen up: ${upIn('ka.log')})`,
      );
    console.log(
      `  keepvip           : CPU ${kv.cpuPct.toFixed(1)} % (of ${kv.elapsed.toFixed(1)} s)  RSS ${kv.rssMb.toFixed(1)} MiB  checks served ${kv.checksPerS.toFixed(0)}/s  CPU ${kv.usPerCheck.toFixed(0)} us/check  (servers seen up: ${upIn('kv.log')})${runs}`,
    );
    console.log(`  keepvip threads   : ${kv.threads}`);
    if (ka)
      console.log(
        `  CPU ratio keepvip/keepalived: ${(kv.cpuPct / ka.cpuPct).toFixed(2)}  per check: ${(kv.usPerCheck / ka.usPerCheck).toFixed(2)}  RSS ratio: ${(kv.rssMb / ka.rssMb).toFixed(2)}  (goal ${TCP + HTTP} checks/s)`,
      );
    console.log(
      `  VRRP advert lateness meanwhile (advert_int 100 ms, ${late.length} intervals): p50 ${pct(50).toFixed(2)} ms  p99 ${pct(99).toFixed(2)} ms  max ${pct(100).toFixed(2)} ms`,
    );
    const control = guest
      .readResult('control.lateness')
      .split('\n')
      .map(Number)
      .filter((x) => Number.isFinite(x))
      .sort((a, b) => a - b);
    const cpct = (p: number) =>
      control.length
        ? control[Math.min(control.length - 1, Math.floor((p / 100) * control.length))]!
        : Number.NaN;
    console.log(
      `  control (python sleep 100 ms in the guest, ${control.length} wakeups): p50 ${cpct(50).toFixed(2)} ms  p99 ${cpct(99).toFixed(2)} ms  max ${cpct(100).toFixed(2)} ms`,
    );
    if (SAVE) {
      mkdirSync(SAVE, { recursive: true });
      for (const f of readdirSync(d))
        if (!f.endsWith('.tmp') && !f.endsWith('.sock') && f !== 'prof')
          cpSync(`${d}/${f}`, `${SAVE}/${f}`, { recursive: true });
      console.log(`  guest files: ${SAVE}`);
    }
    if (PROFILE) {
      mkdirSync(PROFILE, { recursive: true });
      const dir = `${d}/prof`;
      for (const f of readdirSync(dir)) cpSync(`${dir}/${f}`, `${PROFILE}/${f}`);
      console.log(`  profiles: ${PROFILE}`);
    }
    const warn = guest
      .readResult('kv.log')
      .split('\n')
      .filter((l) => /warning|error|VB/i.test(l))
      .slice(0, 10);
    if (warn.length) console.log(`  keepvip log (first warnings / VRRP lines):\n    ${warn.join('\n    ')}`);
  } finally {
    await guest.destroy();
    rmSync(out, { recursive: true, force: true });
  }
}

await main();
