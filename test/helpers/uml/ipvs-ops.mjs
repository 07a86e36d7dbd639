// Guest-side driver for the IPVS client: `KV_BUILD=DIR node ipvs-ops.mjs OPS.json` runs a list of
// IpvsClient calls ({ "op": "addService", "args": [...] }) and prints one JSON document with
// each call's outcome ({ ok, value } or { ok: false, errno, message }) and the client's
// operation and sendmsg counts. By default every call is issued at once (pipelined on one
// socket, executed by the kernel in order); `"sequential": true` awaits each in turn.
// Bigints print as strings, Maps as [key, hex] pairs. DIR is a `guest.compile()` build.
//
// `KV_BUILD=DIR node ipvs-ops.mjs --serve QUEUE` answers many such lists without a node start
// each (seconds in a slow guest): it runs every QUEUE/N.json as above, one at a time, each with
// a fresh IpvsClient (so the counts are that list's own), writes QUEUE/N.out (renamed into
// place when complete), and exits once QUEUE/stop or the guest's halt file exists.
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const { IpvsClient } = await import(`${process.env.KV_BUILD}/kernel/ipvs/client.js`);

async function runSpec(spec) {
  const client = new IpvsClient(spec.options ?? {});
  const settle = (p) =>
    p.then(
      (value) => ({ ok: true, value }),
      (e) => ({ ok: false, errno: e.errno, code: e.code, message: e.message }),
    );
  const call = (op) => {
    const fn = client[op.op];
    if (typeof fn !== 'function') return Promise.resolve({ ok: false, message: `no method ${op.op}` });
    return settle(Promise.resolve().then(() => fn.apply(client, op.args ?? [])));
  };
  const started = process.hrtime.bigint();
  let results;
  if (spec.sequential) {
    results = [];
    for (const op of spec.ops) results.push(await call(op));
  } else {
    results = await Promise.all(spec.ops.map(call));
  }
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const out = {
    results,
    operations: client.operations,
    sends: client.sends,
    received: client.received,
    elapsedMs,
  };
  client.close();
  return `${JSON.stringify(out, (_k, v) => {
    if (typeof v === 'bigint') return String(v);
    if (v instanceof Map) return [...v].map(([k, b]) => [k, Buffer.from(b).toString('hex')]);
    if (v && v.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data).toString('hex');
    return v;
  })}\n`;
}

if (process.argv[2] === '--serve') {
  const queue = process.argv[3];
  const halt = process.env.KV_JOB ? join(process.env.KV_JOB, 'steps', 'halt') : undefined;
  writeFileSync(join(queue, 'ready'), `${process.pid}\n`);
  for (;;) {
    if (existsSync(join(queue, 'stop')) || (halt && existsSync(halt))) break;
    const next = readdirSync(queue)
      .filter((f) => /^\d+\.json$/.test(f) && !existsSync(join(queue, f.replace('.json', '.out'))))
      .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10))[0];
    if (next === undefined) {
      await new Promise((res) => setTimeout(res, 20));
      continue;
    }
    const base = join(queue, next.replace('.json', ''));
    let text;
    try {
      text = await runSpec(JSON.parse(readFileSync(`${base}.json`, 'utf8')));
    } catch (e) {
      text = `${JSON.stringify({ error: String(e?.stack ?? e) })}\n`;
    }
    writeFileSync(`${base}.out.tmp`, text);
    renameSync(`${base}.out.tmp`, `${base}.out`);
  }
} else {
  process.stdout.write(await runSpec(JSON.parse(readFileSync(process.argv[2], 'utf8'))));
}
