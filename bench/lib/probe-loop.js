#!/usr/bin/env node
// probe-loop: run inside the client namespace by bench/lib/prober.ts. Every --interval-ms it
// starts one HTTP GET of --url on a fresh connection (no keep-alive, so every probe exercises
// ARP/neighbour resolution and a new TCP handshake to whoever holds the VIP) and prints one
// JSON line per probe: {"t":start,"ok":true,"node":"n1","latencyMs":1.2} or
// {"t":start,"ok":false,"error":"timeout"}. Times are epoch ms from the monotonic clock
// (performance.timeOrigin + performance.now()), the same axis as bench/lib/clock.ts nowMs().
// SIGTERM/SIGINT stop it: it waits for probes in flight, prints {"done":true,...} and exits 0.
// Plain JavaScript on purpose: it starts in ~50 ms with no TypeScript loader.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    'interval-ms': { type: 'string', default: '10' },
    'timeout-ms': { type: 'string', default: '100' },
  },
});
if (!values.url) {
  process.stderr.write('usage: probe-loop.js --url URL [--interval-ms 10] [--timeout-ms 100]\n');
  process.exit(2);
}
const url = new URL(values.url);
// URL keeps IPv6 literals bracketed; http.get wants the bare address.
const host = url.hostname.replace(/^\[|\]$/g, '');
const intervalMs = Number(values['interval-ms']);
const timeoutMs = Number(values['timeout-ms']);
const now = () => performance.timeOrigin + performance.now();

let stopping = false;
let inFlight = 0;
let sent = 0;
const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

function probe() {
  const t = now();
  let settled = false;
  inFlight++;
  sent++;
  const finish = (sample) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    inFlight--;
    out({ t, latencyMs: Math.round((now() - t) * 1000) / 1000, ...sample });
    if (stopping && inFlight === 0) finishRun();
  };
  const req = http.get(
    {
      host,
      port: url.port || 80,
      path: url.pathname + url.search,
      agent: false,
      headers: { Connection: 'close' },
    },
    (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => {
        const ok = res.statusCode === 200;
        finish(ok ? { ok, node: body.trim() } : { ok, error: `http ${res.statusCode}` });
      });
      res.on('error', (err) => finish({ ok: false, error: err.code ?? err.message }));
    },
  );
  const timer = setTimeout(() => {
    finish({ ok: false, error: 'timeout' });
    req.destroy();
  }, timeoutMs);
  req.on('error', (err) => finish({ ok: false, error: err.code ?? err.message }));
}

// Schedule against absolute times so a slow tick does not shift every later probe.
const start = now();
let next = start;
function tick() {
  if (stopping) return;
  probe();
  next += intervalMs;
  setTimeout(tick, Math.max(0, next - now()));
}

function finishRun() {
  out({ done: true, sent, t: now() });
  process.exit(0);
}

function stop() {
  if (stopping) return;
  stopping = true;
  if (inFlight === 0) finishRun();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
out({ ready: true, t: start, intervalMs, timeoutMs, url: url.href });
tick();
