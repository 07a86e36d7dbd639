/**
 * bench/lvs.ts: the reconciler (lvs/) against a real IPVS kernel in a user-mode-linux guest.
 * A configuration of S virtual servers x D real servers is programmed from empty by the
 * reconciler (desired table, diff against the kernel, pipelined operations) and by
 * `ipvsadm -R` of the same table, as a ratio (goal <= 1.0); then one real server's verdict
 * changes (weight): the netlink operations it costs (goal: O(1)); then a reload with nothing
 * changed: the operations and time of a full re-read and diff (what every delay_loop costs).
 * `npm run bench -- lvs [--services 500] [--dests 20] [--rounds 3]`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootGuest, IPVS_MODULES, umlSkipReason } from '../test/helpers/uml.js';
import { argValue, median } from './lib/args.js';

const services = Number(argValue('--services') ?? 500);
const dests = Number(argValue('--dests') ?? 20);
const rounds = Number(argValue('--rounds') ?? 3);

/** configText is the keepalived.conf of the table: S DR services, D real servers each (no checkers: always alive). */
function configText(): string {
  const out: string[] = [];
  for (let s = 0; s < services; s++) {
    out.push(`virtual_server 10.100.${s >> 8}.${s & 255} 80 {\n protocol TCP\n lb_algo wrr\n lb_kind DR`);
    for (let r = 0; r < dests; r++)
      out.push(` real_server 10.200.${r >> 8}.${(r & 255) + 1} 80 {\n  weight ${r + 1}\n }`);
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

const GUEST_SCRIPT = `
const B = process.env.KV_BUILD;
const { IpvsClient } = await import(B + '/kernel/ipvs/client.js');
const { LvsReconciler } = await import(B + '/lvs/reconciler.js');
const { loadConfigText } = await import(B + '/config/load.js');
const { systemClock } = await import(B + '/util/clock.js');
const { silentLogger } = await import(B + '/util/logger.js');
const fs = await import('node:fs');
const config = loadConfigText(fs.readFileSync('keepalived.conf', 'utf8'), 'keepalived.conf', { hostname: 'bench' }).config;
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const subs = new Set();
const verdicts = new Map();
const source = { get: (k) => verdicts.get(k), subscribe: (f) => { subs.add(f); return () => subs.delete(f); } };
const out = {};
const port = new IpvsClient({ window: 256 });
const r = new LvsReconciler({ port, clock: systemClock, log: silentLogger, verdicts: source });
let t0 = process.hrtime.bigint();
await r.start(config);
out.programMs = ms(t0);
out.programOps = port.operations;
if (process.env.MODE === 'full') {
  // One real server's weight changes (a checker verdict).
  const vs = config.virtualServers[config.virtualServers.length >> 1];
  const rs = vs.realServers[Math.min(6, vs.realServers.length - 1)];
  const key = '[' + vs.address + ']:tcp:' + vs.port + ' -> [' + rs.address + ']:tcp:' + rs.port;
  out.changes = [];
  for (let i = 0; i < 10; i++) {
    const before = port.operations;
    t0 = process.hrtime.bigint();
    verdicts.set(key, { alive: true, weight: 100 + i, reason: 'bench', changedAtMs: 0 });
    for (const f of subs) f(key, verdicts.get(key));
    await r.reconcile(false, 'bench');
    out.changes.push({ ms: ms(t0), operations: port.operations - before });
  }
  // A reload with the same configuration: full read of the kernel table and diff, no change.
  const before = port.operations;
  t0 = process.hrtime.bigint();
  await r.reload(config);
  out.reload = { ms: ms(t0), operations: port.operations - before, planned: r.status().last.planned };
}
await r.stop(true);
port.close();
console.log(JSON.stringify(out));
`;

async function main(): Promise<void> {
  const reason = umlSkipReason();
  if (reason) {
    console.warn(`bench/lvs: SKIPPED: ${reason}`);
    return;
  }
  const guest = await bootGuest({ name: 'bench-lvs', modules: IPVS_MODULES, timeoutMs: 1_800_000 });
  try {
    const build = await guest.compile([
      'src/kernel/ipvs/client.ts',
      'src/lvs/reconciler.ts',
      'src/config/load.ts',
      'src/util/logger.ts',
    ]);
    const restore: string[] = [];
    for (let s = 0; s < services; s++) {
      const vip = `10.100.${s >> 8}.${s & 255}:80`;
      restore.push(`-A -t ${vip} -s wrr`);
      for (let r = 0; r < dests; r++)
        restore.push(`-a -t ${vip} -r 10.200.${r >> 8}.${(r & 255) + 1}:80 -g -w ${r + 1}`);
    }
    writeFileSync(join(guest.resultsDir, 'restore.txt'), `${restore.join('\n')}\n`);
    writeFileSync(join(guest.resultsDir, 'keepalived.conf'), configText());
    writeFileSync(join(guest.resultsDir, 'bench.mjs'), GUEST_SCRIPT);
    const node = async (mode: string) => {
      const r = await guest.run('node bench.mjs', {
        env: { KV_BUILD: build, MODE: mode },
        timeoutMs: 900_000,
      });
      if (r.exitCode !== 0) throw new Error(`guest bench (${mode}) exited ${r.exitCode}: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
    };
    const sorted = (text: string) => text.split('\n').filter(Boolean).sort().join('\n');
    const ipvsadmMs: number[] = [];
    const reconcilerMs: number[] = [];
    let last: {
      programOps: number;
      changes?: { ms: number; operations: number }[];
      reload?: { ms: number; operations: number; planned: number };
    } = { programOps: 0 };
    for (let round = 0; round < rounds; round++) {
      const a = await guest.check(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion
        'ipvsadm -C; t0=$EPOCHREALTIME; ipvsadm -R < restore.txt; t1=$EPOCHREALTIME; echo "${t0/./} ${t1/./}"; ipvsadm -Sn > ipvsadm.saved; ipvsadm -C',
        { timeoutMs: 900_000 },
      );
      const [t0, t1] = a.stdout.trim().split(' ').map(Number);
      ipvsadmMs.push(((t1 ?? 0) - (t0 ?? 0)) / 1000);
      last = await node(round === rounds - 1 ? 'full' : 'program');
      reconcilerMs.push((last as unknown as { programMs: number }).programMs);
      if (round < rounds - 1) {
        await guest.check('ipvsadm -Sn > reconciler.saved; ipvsadm -C');
        if (sorted(guest.readResult('reconciler.saved')) !== sorted(guest.readResult('ipvsadm.saved')))
          throw new Error('the reconciler and ipvsadm -R left different tables');
      }
      console.log(
        `round ${round + 1}: ipvsadm -R ${ipvsadmMs.at(-1)?.toFixed(0)} ms, reconciler ${reconcilerMs.at(-1)?.toFixed(0)} ms`,
      );
    }
    const ratio = median(reconcilerMs) / median(ipvsadmMs);
    console.log(
      `\nLVS reconciler from empty: ${services} virtual servers x ${dests} real servers, ${rounds} rounds`,
    );
    console.log(`  ipvsadm -R        median ${median(ipvsadmMs).toFixed(0)} ms`);
    console.log(
      `  reconciler start  median ${median(reconcilerMs).toFixed(0)} ms (${last.programOps} netlink requests, family lookup and table read included)`,
    );
    console.log(
      `  ratio reconciler / ipvsadm -R = ${ratio.toFixed(2)} (goal <= 1.0) ${ratio <= 1 ? 'MET' : 'NOT MET'}`,
    );
    const ch = last.changes ?? [];
    console.log(
      `One real server's weight change (verdict) in that table: operations ${[...new Set(ch.map((c) => c.operations))].join(', ')} (goal: O(1)); median ${median(ch.map((c) => c.ms)).toFixed(2)} ms`,
    );
    if (last.reload)
      console.log(
        `Reload with nothing changed (full read + diff): ${last.reload.operations} netlink requests, ${last.reload.planned} planned changes, ${last.reload.ms.toFixed(0)} ms`,
      );
  } finally {
    await guest.destroy();
  }
}

await main();
