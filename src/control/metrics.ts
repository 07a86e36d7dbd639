/**
 * The Prometheus text endpoint, off by default (`--metrics 127.0.0.1:9650` or
 * `--metrics unix:/run/keepvip.metrics`). It only binds to loopback or a unix socket (mode
 * 0600): VRRP state is no business of the network at large. One scrape serves keepvip's own
 * `keepvip_*` families, keepalived-exporter's `keepalived_*` (metrics-keepalived.ts) and
 * node_exporter's `node_ipvs_*` (metrics-ipvs.ts); README "Metrics" has the mapping.
 */
import type { Server } from 'node:http';
import { isIP } from 'node:net';
import { realServerKey, virtualServerKey } from '../check/verdict.js';
import { KeepvipError } from '../util/errors.js';
import { LATENESS_BUCKETS_MS } from '../util/timer-heap.js';
import { Exposition, type Sample } from './exposition.js';
import { ipvsFamilies } from './metrics-ipvs.js';
import { keepalivedFamilies } from './metrics-keepalived.js';
import type { DaemonSnapshot, InstanceView } from './snapshot.js';
import { listenUnix } from './unix-listen.js';

/** STATE_VALUE encodes instance states as numbers for `keepvip_instance_state`. */
export const STATE_VALUE: Record<string, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOPPED: 4 };

/** keepvipFamilies writes keepvip's own families. */
function keepvipFamilies(out: Exposition, snap: DaemonSnapshot): void {
  const per = (f: (i: InstanceView) => number): Sample[] =>
    snap.instances.map((i) => [{ instance: i.name }, f(i)]);
  out.family(
    'keepvip_instance_state',
    'gauge',
    'VRRP state: 0 init, 1 backup, 2 master, 3 fault, 4 stopped.',
    per((i) => STATE_VALUE[i.state] ?? -1),
  );
  out.family(
    'keepvip_instance_vrid',
    'gauge',
    'The instance virtual_router_id, to group instances of one VRID across nodes.',
    snap.instances.map((i) => [
      { instance: i.name, interface: i.interface, version: String(i.version) },
      i.vrid,
    ]),
  );
  out.family(
    'keepvip_instance_priority',
    'gauge',
    'Effective priority after tracking.',
    per((i) => i.effectivePriority),
  );
  out.family(
    'keepvip_instance_base_priority',
    'gauge',
    'Configured priority.',
    per((i) => i.basePriority),
  );
  out.family(
    'keepvip_adverts_sent_total',
    'counter',
    'Advertisements sent.',
    per((i) => i.counters.advertsSent),
  );
  out.family(
    'keepvip_adverts_received_total',
    'counter',
    'Valid advertisements received.',
    per((i) => i.counters.advertsReceived),
  );
  out.family(
    'keepvip_priority_zero_sent_total',
    'counter',
    'Priority-0 advertisements sent.',
    per((i) => i.counters.priorityZeroSent),
  );
  out.family(
    'keepvip_priority_zero_received_total',
    'counter',
    'Priority-0 advertisements received.',
    per((i) => i.counters.priorityZeroReceived),
  );
  out.family(
    'keepvip_became_master_total',
    'counter',
    'Transitions to MASTER.',
    per((i) => i.counters.becameMaster),
  );
  out.family(
    'keepvip_split_brain_episodes_total',
    'counter',
    'Split-brain episodes detected while MASTER.',
    per((i) => i.counters.splitBrainEpisodes ?? 0),
  );
  const drops: Sample[] = [];
  for (const i of snap.instances)
    for (const [reason, n] of Object.entries(i.counters.drops)) drops.push([{ instance: i.name, reason }, n]);
  for (const [reason, n] of Object.entries(snap.drops)) drops.push([{ instance: '', reason }, n]);
  out.family('keepvip_adverts_dropped_total', 'counter', 'Advertisements dropped, by reason.', drops);
  const tracks: Sample[] = [];
  for (const i of snap.instances)
    for (const t of i.tracks) tracks.push([{ instance: i.name, track: t.name }, t.good ? 1 : 0]);
  out.family('keepvip_track_up', 'gauge', 'Tracked object verdict: 1 good, 0 failed.', tracks);
  const rs: Sample[] = [];
  const labelsOf = serverLabels(snap);
  if (snap.checks) {
    for (const r of snap.checks.realServers) rs.push([labelsOf(r), r.alive ? 1 : 0]);
  } else {
    for (const s of snap.lvs.services) {
      const vs = s.fwmark !== undefined ? `FWM ${s.fwmark}` : `[${s.address}]:${s.protocol}:${s.port}`;
      for (const d of s.destinations)
        if (d.alive !== undefined)
          rs.push([
            {
              virtual_server: vs,
              real_server: `[${d.address}]:${s.protocol ?? 'tcp'}:${d.port}`,
              ...(s.name !== undefined ? { virtual_server_name: s.name } : {}),
              ...(d.name !== undefined ? { real_server_name: d.name } : {}),
            },
            d.alive ? 1 : 0,
          ]);
    }
  }
  out.family(
    'keepvip_real_server_alive',
    'gauge',
    'Real server verdict of its checkers: 1 alive, 0 down.',
    rs,
  );
  if (snap.checks) checkerFamilies(out, snap.checks, labelsOf);
}

/** ServerLabels are a real server's labels: its keys, and the snmp_names configured for it and its virtual server. */
type ServerLabels = Record<string, string>;

/**
 * serverLabels labels a real server of the checkers' snapshot: `virtual_server` and `real_server`
 * (keepalived's log names), plus `virtual_server_name` / `real_server_name` where the
 * configuration gives snmp_name (keepvip has no SNMP agent; the name labels the series instead).
 */
function serverLabels(
  snap: DaemonSnapshot,
): (r: { key: string; virtualServer: string; realServer: string }) => ServerLabels {
  const vsNames = new Map<string, string>();
  const rsNames = new Map<string, string>();
  for (const vs of snap.config.virtualServers) {
    if (vs.snmpName !== undefined) vsNames.set(virtualServerKey(vs), vs.snmpName);
    for (const r of vs.realServers)
      if (r.snmpName !== undefined) rsNames.set(realServerKey(vs, r), r.snmpName);
  }
  return (r) => {
    const vsName = vsNames.get(r.virtualServer);
    const rsName = rsNames.get(r.key);
    return {
      virtual_server: r.virtualServer,
      real_server: r.realServer,
      ...(vsName !== undefined ? { virtual_server_name: vsName } : {}),
      ...(rsName !== undefined ? { real_server_name: rsName } : {}),
    };
  };
}

/** checkerFamilies writes one sample per checker of each real server (src/check/snapshot.ts). */
function checkerFamilies(
  out: Exposition,
  checks: NonNullable<DaemonSnapshot['checks']>,
  labelsOf: ReturnType<typeof serverLabels>,
): void {
  const up: Sample[] = [];
  const runs: Sample[] = [];
  const failures: Sample[] = [];
  const sum: Sample[] = [];
  const held: Sample[] = [];
  for (const r of checks.realServers) {
    const server = labelsOf(r);
    held.push([server, r.heldDown ? 1 : 0]);
    for (const c of r.checkers) {
      const labels = { ...server, checker: c.kind, target: c.target };
      up.push([labels, c.up ? 1 : 0]);
      runs.push([labels, c.runs]);
      failures.push([labels, c.failures]);
      sum.push([labels, c.durationMsTotal / 1000]);
    }
  }
  out.family(
    'keepvip_real_server_held_down',
    'gauge',
    'Real server held down by its flap_guard (keepvip): 1 held, 0 not.',
    held,
  );
  out.family('keepvip_checker_up', 'gauge', 'Checker state: 1 up, 0 down.', up);
  out.family('keepvip_checker_runs_total', 'counter', 'Finished checker probes.', runs);
  out.family('keepvip_checker_failures_total', 'counter', 'Failed checker probes.', failures);
  out.family('keepvip_checker_duration_seconds_total', 'counter', 'Time spent in finished probes.', sum);
  out.family('keepvip_checkers_in_flight', 'gauge', 'Checker probes running now.', [
    [{}, checks.totals.inFlight],
  ]);
}

/** renderMetrics renders Prometheus text exposition format 0.0.4 for one snapshot. */
export function renderMetrics(snap: DaemonSnapshot): string {
  const out = new Exposition();
  keepvipFamilies(out, snap);
  if (snap.timers) {
    out.histogram(
      'keepvip_timer_lateness_seconds',
      "How late the daemon's timers (adverts, Master_Down, GARP, scripts) fired after their deadline.",
      LATENESS_BUCKETS_MS.map((ms) => ms / 1000),
      snap.timers.buckets,
      snap.timers.sumMs / 1000,
    );
    out.family('keepvip_timer_lateness_max_seconds', 'gauge', 'The latest a timer has fired since start.', [
      [{}, snap.timers.maxMs / 1000],
    ]);
  }
  keepalivedFamilies(out, snap);
  ipvsFamilies(out, snap.lvs);
  return out.text();
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

/** startMetricsServer serves GET /metrics; a unix socket is created mode 0600 (no window, see unix-listen.ts). */
export async function startMetricsServer(
  spec: string,
  render: () => string | Promise<string>,
): Promise<Server> {
  const where = parseListen(spec);
  // node:http is loaded only for a daemon started with --metrics (about 0.5 MB resident otherwise).
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) {
      res.writeHead(404).end();
      return;
    }
    new Promise<string>((resolve) => resolve(render())).then(
      (body) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body),
      (err: Error) =>
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`render failed: ${err.message}\n`),
    );
  });
  if ('path' in where) {
    await listenUnix(server, where.path, 0o600);
    return server;
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(where.port, where.host, resolve);
  });
  return server;
}
