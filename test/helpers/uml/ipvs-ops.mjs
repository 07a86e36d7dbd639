// Guest-side driver for the IPVS client: `KV_BUILD=DIR node ipvs-ops.mjs OPS.json` runs a list of
// IpvsClient calls ({ "op": "addService", "args": [...] }) and prints one JSON document with
// each call's outcome ({ ok, value } or { ok: false, errno, message }) and the client's
// operation and sendmsg counts. By default every call is issued at once (pipelined on one
// socket, executed by the kernel in order); `"sequential": true` awaits each in turn.
// Bigints print as strings, Maps as [key, hex] pairs. DIR is a `guest.compile()` build.
import { readFileSync } from 'node:fs';

const { IpvsClient } = await import(`${process.env.KV_BUILD}/kernel/ipvs/client.js`);
const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
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
process.stdout.write(
  `${JSON.stringify(out, (_k, v) => {
    if (typeof v === 'bigint') return String(v);
    if (v instanceof Map) return [...v].map(([k, b]) => [k, Buffer.from(b).toString('hex')]);
    if (v && v.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data).toString('hex');
    return v;
  })}\n`,
);
