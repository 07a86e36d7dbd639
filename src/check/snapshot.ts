/**
 * What `keepvip status` and the Prometheus endpoint read of the checkers: each real server's
 * verdict and, per checker, its state, last result, reason and latency, with run counters.
 */

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
  /** heldDown: the flapping guard holds the server down until `heldDownUntilMs`. */
  heldDown: boolean;
  verdictChanges: number;
  checkers: CheckerSnapshot[];
}

/** CheckSnapshot is the whole checker side. */
export interface CheckSnapshot {
  realServers: RealServerSnapshot[];
  totals: { checkers: number; runs: number; failures: number; inFlight: number };
}
