/**
 * The Prometheus text endpoint, off by default (`--metrics 127.0.0.1:9650` or
 * `--metrics unix:/run/keepvip.metrics`). It only binds to loopback or a unix socket: VRRP
 * state is no business of the network at large.
 */
import type { InstanceCounters } from '../util/counters.js';
import { createServer, type Server } from 'node:http';
import { isIP } from 'node:net';
import { KeepvipError } from '../util/errors.js';

/** STATE_VALUE encodes instance states as numbers for `keepvip_instance_state`. */
export const STATE_VALUE: Record<string, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOPPED: 4 };

/** MetricsInstance is what the exposition needs of one instance. */
export interface MetricsInstance {
  name: string;
  state: string;
  basePriority: number;
  effectivePriority: number;
  counters: InstanceCounters;
  tracks: { name: string; good: boolean }[];
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** renderMetrics renders Prometheus text exposition format 0.0.4. */
export function renderMetrics(
  instances: MetricsInstance[],
  unattributedDrops: Record<string, number>,
): string {
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, rows: [Record<string, string>, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of rows) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${esc(v)}"`)
        .join(',');
      out.push(`${name}${l ? `{${l}}` : ''} ${value}`);
    }
  };
  const per = (f: (i: MetricsInstance) => number): [Record<string, string>, number][] =>
    instances.map((i) => [{ instance: i.name }, f(i)]);
  metric(
    'keepvip_instance_state',
    'gauge',
    'VRRP state: 0 init, 1 backup, 2 master, 3 fault, 4 stopped.',
    per((i) => STATE_VALUE[i.state] ?? -1),
  );
  metric(
    'keepvip_instance_priority',
    'gauge',
    'Effective priority after tracking.',
    per((i) => i.effectivePriority),
  );
  metric(
    'keepvip_instance_base_priority',
    'gauge',
    'Configured priority.',
    per((i) => i.basePriority),
  );
  metric(
    'keepvip_adverts_sent_total',
    'counter',
    'Advertisements sent.',
    per((i) => i.counters.advertsSent),
  );
  metric(
    'keepvip_adverts_received_total',
    'counter',
    'Valid advertisements received.',
    per((i) => i.counters.advertsReceived),
  );
  metric(
    'keepvip_priority_zero_sent_total',
    'counter',
    'Priority-0 advertisements sent.',
    per((i) => i.counters.priorityZeroSent),
  );
  metric(
    'keepvip_priority_zero_received_total',
    'counter',
    'Priority-0 advertisements received.',
    per((i) => i.counters.priorityZeroReceived),
  );
  metric(
    'keepvip_became_master_total',
    'counter',
    'Transitions to MASTER.',
    per((i) => i.counters.becameMaster),
  );
  const drops: [Record<string, string>, number][] = [];
  for (const i of instances)
    for (const [reason, n] of Object.entries(i.counters.drops)) drops.push([{ instance: i.name, reason }, n]);
  for (const [reason, n] of Object.entries(unattributedDrops)) drops.push([{ instance: '', reason }, n]);
  metric('keepvip_adverts_dropped_total', 'counter', 'Advertisements dropped, by reason.', drops);
  const tracks: [Record<string, string>, number][] = [];
  for (const i of instances)
    for (const t of i.tracks) tracks.push([{ instance: i.name, track: t.name }, t.good ? 1 : 0]);
  metric('keepvip_track_up', 'gauge', 'Tracked object verdict: 1 good, 0 failed.', tracks);
  return `${out.join('\n')}\n`;
}

/** parseListen accepts `HOST:PORT` on a loopback address or `unix:PATH`. */
export function parseListen(spec: string): { path: string } | { host: string; port: number } {
  if (spec.startsWith('unix:')) return { path: spec.slice(5) };
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(spec);
  const host = m?.[1];
  const port = Number(m?.[2]);
  if (!host || !isIP(host) || !(port > 0 && port < 65536)) {
    throw new KeepvipError('E_METRICS_LISTEN', `--metrics wants HOST:PORT or unix:PATH, got '${spec}'`);
  }
  if (!(host === '::1' || host.startsWith('127.'))) {
    throw new KeepvipError(
      'E_METRICS_LISTEN',
      `--metrics binds to loopback or a unix socket only, not ${host}`,
    );
  }
  return { host, port };
}

/** startMetricsServer serves GET /metrics. */
export async function startMetricsServer(spec: string, render: () => string): Promise<Server> {
  const where = parseListen(spec);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(render());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('path' in where) server.listen(where.path, resolve);
    else server.listen(where.port, where.host, resolve);
  });
  return server;
}
