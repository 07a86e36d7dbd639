/**
 * What `keepvip status` and the Prometheus endpoint read of the checkers: each real server's
 * verdict and, per checker, its state, last result, reason and latency, with run counters.
 */
import type { CheckerRun, ServerRun } from './checker-run.js';
import { isHeldDown } from './flap-guard.js';

/** CheckerSnapshot is one checker of one real server. */
export interface CheckerSnapshot {
  kind: string;
  /** target is where the probe goes: `IP:PORT` (connect_ip/connect_port applied) or the script. */
  target: string;
  up: boolean;
  hasRun: boolean;
  /** retrying is the retry_it count of a failure being retried. */
  retrying: number;
  running: boolean;
  last?: { ok: boolean; reason: string; latencyMs: number; atMs: number };
  /** runs / failures count finished probes; durationMsTotal sums their latency (Prometheus summary). */
  runs: number;
  failures: number;
  durationMsTotal: number;
}

/** RealServerSnapshot is one real server of one virtual server. */
export interface RealServerSnapshot {
  key: string;
  virtualServer: string;
  realServer: string;
  alive: boolean;
  /** weight is the effective weight (misc_dynamic / FILE_CHECK applied). */
  weight: number;
  configuredWeight: number;
  reason: string;
  changedAtMs: number;
  /** heldDown: the flapping guard holds the server down (flap_guard). */
  heldDown: boolean;
  verdictChanges: number;
  checkers: CheckerSnapshot[];
}

/** CheckSnapshot is the whole checker side. */
export interface CheckSnapshot {
  realServers: RealServerSnapshot[];
  totals: { checkers: number; runs: number; failures: number; inFlight: number };
}

/** checkerSnapshot describes one checker run. */
export function checkerSnapshot(c: CheckerRun): CheckerSnapshot {
  return {
    kind: c.checker.kind,
    target: c.target,
    up: c.state.isUp,
    hasRun: c.state.hasRun,
    retrying: c.state.isUp ? c.state.retryIt : 0,
    running: c.running,
    ...(c.last ? { last: { ...c.last } } : {}),
    runs: c.runs,
    failures: c.failures,
    durationMsTotal: c.durationMsTotal,
  };
}

/** realServerSnapshot describes one real server and its checkers at nowMs. */
export function realServerSnapshot(s: ServerRun, nowMs: number): RealServerSnapshot {
  const [virtualServer, realServer] = s.key.split(' -> ');
  return {
    key: s.key,
    virtualServer: virtualServer!,
    realServer: realServer!,
    alive: s.verdict.alive,
    weight: s.verdict.weight ?? s.rs.weight,
    configuredWeight: s.rs.weight,
    reason: s.verdict.reason,
    changedAtMs: s.verdict.changedAtMs,
    heldDown: isHeldDown(s.flap, nowMs),
    verdictChanges: s.flap.changesAtMs.length,
    checkers: s.checkers.map(checkerSnapshot),
  };
}
