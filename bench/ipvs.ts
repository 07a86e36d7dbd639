/**
 * bench/ipvs.ts: programming IPVS from empty, keepvip's generic netlink client against
 * `ipvsadm -R` of the same table, in the same user-mode-linux guest (real IPVS kernel; this
 * host's kernel has none), as a ratio (goal <= 1.0); then the netlink operations and time of
 * one real server's weight change in that full table (goal: O(1) operations, i.e. 1), and how
 * long reading the whole table back takes. Both ways must leave the same `ipvsadm -Sn`.
 * The client is timed inside its process (socket, family lookup, every request answered);
 * ipvsadm from exec to exit, as `ipvsadm -R` is used. Rounds alternate the two.
 * `npm run bench -- ipvs [--services 500] [--dests 20] [--rounds 3] [--window 256]`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootGuest, IPVS_MODULES, umlSkipReason } from '../test/helpers/uml.js';
import { argValue, median } from './lib/args.js';

const services = Number(argValue('--services') ?? 500);
const dests = Number(argValue('--dests') ?? 20);
const rounds = Number(argValue('--rounds') ?? 3);
const windowSize = Number(argValue('--window') ?? 256);
const changes = 20;

// Runs in the guest: one round of the client, or the weight changes and the read-back.
const GUEST_SCRIPT = `
const { IpvsClient } = await import(process.env.KV_BUILD + '/kernel/ipvs/client.js');
const S = Number(process.env.SERVICES), D = Number(process.env.DESTS), W = Number(process.env.WINDOW);
const svcId = (s) => ({ family: 'inet', protocol: 'tcp', address: '10.100.' + (s >> 8) + '.' + (s & 255), port: 80 });
const dest = (r, weight) => ({ address: '10.200.' + (r >> 8) + '.' + ((r & 255) + 1), family: 'inet', port: 80, forward: 'dr', weight, upperThreshold: 0, lowerThreshold: 0 });
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const out = {};
if (process.env.MODE === 'program') {
  const t0 = process.hrtime.bigint();
  const c = new IpvsClient({ window: W });
  const all = [];
  for (let s = 0; s < S; s++) {
    all.push(c.addService({ id: svcId(s), schedName: 'wrr', flags: 0, timeout: 0, netmask: 32 }));
    for (let r = 0; r < D; r++) all.push(c.addDestination(svcId(s), dest(r, r + 1)));
  }
  await Promise.all(all);
  out.ms = ms(t0);
  out.operations = c.operations;
  out.sends = c.sends;
  c.close();
} else {
  const c = new IpvsClient({ window: W });
  await c.available();
  const target = svcId(S >> 1);
  out.changes = [];
  for (let i = 0; i < ${changes}; i++) {
    const before = c.operations;
    const t0 = process.hrtime.bigint();
    await c.editDestination(target, dest(6, 100 + i));
    out.changes.push({ ms: ms(t0), operations: c.operations - before });
  }
  const t0 = process.hrtime.bigint();
  const before = c.operations;
  const table = await c.getTable();
  out.readBack = { ms: ms(t0), operations: c.operations - before, services: table.services.length, dests: table.services.reduce((n, e) => n + e.destinations.length, 0) };
  c.close();
}
console.log(JSON.stringify(out));
`;

async function main(): Promise<void> {
  const reason = umlSkipReason();
  if (reason) {
    console.warn(`bench/ipvs: SKIPPED: ${reason}`);
    return;
  }
  const guest = await bootGuest({ name: 'bench-ipvs', modules: IPVS_MODULES, timeoutMs: 1_800_000 });
  try {
    const build = await guest.compile(['src/kernel/ipvs/client.ts']);
    const restore: string[] = [];
    for (let s = 0; s < services; s++) {
      const vip = `10.100.${s >> 8}.${s & 255}:80`;
      restore.push(`-A -t ${vip} -s wrr`);
      for (let r = 0; r < dests; r++)
        restore.push(`-a -t ${vip} -r 10.200.${r >> 8}.${(r & 255) + 1}:80 -g -w ${r + 1}`);
    }
    writeFileSync(join(guest.resultsDir, 'restore.txt'), `${restore.join('\n')}\n`);
    writeFileSync(join(guest.resultsDir, 'bench.mjs'), GUEST_SCRIPT);
    const env = {
      KV_BUILD: build,
      SERVICES: String(services),
      DESTS: String(dests),
      WINDOW: String(windowSize),
    };
    const node = async (mode: string) => {
      const r = await guest.run('node bench.mjs', { env: { ...env, MODE: mode }, timeoutMs: 900_000 });
      if (r.exitCode !== 0) throw new Error(`guest bench (${mode}) exited ${r.exitCode}: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
    };
    const sorted = (text: string) => text.split('\n').filter(Boolean).sort().join('\n');

    const ipvsadmMs: number[] = [];
    const clientMs: number[] = [];
    let clientOps = 0;
    let clientSends = 0;
    for (let round = 0; round < rounds; round++) {
      // ipvsadm -R, from exec to exit ($EPOCHREALTIME: no fork to read the clock).
      const a = await guest.check(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion
        'ipvsadm -C; t0=$EPOCHREALTIME; ipvsadm -R < restore.txt; t1=$EPOCHREALTIME; echo "${t0/./} ${t1/./}"; ipvsadm -Sn > ipvsadm.saved',
        { timeoutMs: 900_000 },
      );
      const [t0, t1] = a.stdout.trim().split(' ').map(Number);
      ipvsadmMs.push(((t1 ?? 0) - (t0 ?? 0)) / 1000);
      await guest.check('ipvsadm -C');
      const c = await node('program');
      clientMs.push(c.ms);
      clientOps = c.operations;
      clientSends = c.sends;
      await guest.check('ipvsadm -Sn > client.saved');
      if (sorted(guest.readResult('client.saved')) !== sorted(guest.readResult('ipvsadm.saved'))) {
        throw new Error('the client and ipvsadm -R left different tables');
      }
      console.log(
        `round ${round + 1}: ipvsadm -R ${ipvsadmMs.at(-1)?.toFixed(0)} ms, client ${c.ms.toFixed(0)} ms (${c.operations} requests in ${c.sends} sendmsg)`,
      );
    }
    const w = await node('change');
    const changeMs = w.changes.map((x: { ms: number }) => x.ms);
    const changeOps = [...new Set(w.changes.map((x: { operations: number }) => x.operations))];
    const one = await guest.check(
      `t0=$EPOCHREALTIME; ipvsadm -e -t 10.100.${(services >> 1) >> 8}.${(services >> 1) & 255}:80 -r 10.200.0.7:80 -g -w 99; t1=$EPOCHREALTIME; echo "\${t0/./} \${t1/./}"`,
    );
    const [e0, e1] = one.stdout.trim().split(' ').map(Number);
    const entries = services * (dests + 1);
    const ratio = median(clientMs) / median(ipvsadmMs);
    console.log(
      `\nIPVS from empty: ${services} services x ${dests} real servers (${entries} entries), ${rounds} rounds, window ${windowSize}`,
    );
    console.log(
      `  ipvsadm -R      median ${median(ipvsadmMs).toFixed(0)} ms  [${ipvsadmMs.map((x) => x.toFixed(0)).join(', ')}]`,
    );
    console.log(
      `  keepvip client  median ${median(clientMs).toFixed(0)} ms  [${clientMs.map((x) => x.toFixed(0)).join(', ')}]  ${clientOps} netlink requests in ${clientSends} sendmsg calls`,
    );
    const perRound = clientMs.map((c, i) => (c / (ipvsadmMs[i] ?? c)).toFixed(2));
    console.log(
      `  ratio client / ipvsadm -R = ${ratio.toFixed(2)} (medians; per round ${perRound.join(', ')}) (goal <= 1.0) ${ratio <= 1 ? 'MET' : 'NOT MET'}`,
    );
    console.log(`One real server's weight change in that table (${changes} changes):`);
    console.log(`  netlink operations per change: ${changeOps.join(', ')} (goal: O(1))`);
    console.log(
      `  time per change median ${median(changeMs).toFixed(2)} ms (max ${Math.max(...changeMs).toFixed(2)} ms); ipvsadm -e process ${(((e1 ?? 0) - (e0 ?? 0)) / 1000).toFixed(1)} ms`,
    );
    console.log(
      `Reading the whole table back: ${w.readBack.ms.toFixed(0)} ms, ${w.readBack.operations} netlink requests (${w.readBack.services} services, ${w.readBack.dests} real servers)`,
    );
  } finally {
    await guest.destroy();
  }
}

await main();
