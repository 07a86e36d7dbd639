/**
 * The probe contract: one run of one checker against one real server, resolving to a result
 * (never rejecting), bounded by the checker's own timeout. The scheduler times it and counts
 * the result (checker-state.ts); probes know nothing of retries or verdicts.
 */
import type { Checker, DrPathCheck, RealServer, VirtualServer } from '../config/model.js';
import type { DrPathReport, DrPathRequest } from '../kernel/dr-probe.js';
import type { ProbeEndpoint } from '../kernel/probe-socket.js';
import type { Clock } from '../util/clock.js';

/** ProbeResult is one probe's outcome; `reason` is in keepalived's words where it has some. */
export interface ProbeResult {
  ok: boolean;
  reason: string;
  /** weight is MISC_CHECK misc_dynamic's exit status - 2 (or FILE_CHECK's weight delta). */
  weight?: number;
}

/** Probe runs once, started at nowMs (the clock as the scheduler read it); it must settle within the checker's timeout. */
export type Probe = (nowMs: number) => Promise<ProbeResult>;

/** ProbeFactory builds the probe of one checker kind. */
export type ProbeFactory<C extends Checker = Checker> = (
  checker: C,
  target: ProbeTarget,
  env: ProbeEnv,
) => Probe;

/** ProbeTarget is the resolved destination of a checker (connect_ip / connect_port / bind options applied). */
export interface ProbeTarget extends ProbeEndpoint {
  vs: VirtualServer;
  rs: RealServer;
}

/** ProbeEnv is what probes share: the clock for their timeouts and the shared ICMP pinger. */
export interface ProbeEnv {
  clock: Clock;
  ping(address: string, timeoutMs: number): Promise<void>;
  /** readTrackFile returns a track_file's current value (FILE_CHECK). */
  readTrackFile(name: string): number | undefined;
  /** drPath runs one DR_PATH_CHECK probe on the thread's packet sockets (kernel/dr-probe.ts). */
  drPath?(r: DrPathRequest): Promise<DrPathReport>;
}

/** RunChecker is a checker the scheduler runs: a configured one, or the data-path checker a `dr_path_check on` virtual server joins to each DR real server. */
export type RunChecker = Checker | DrPathCheck;

/** joinedCheckers are a real server's checkers as the scheduler runs them: its own, then the virtual server's DR_PATH_CHECK (DR real servers only). */
export function joinedCheckers(vs: VirtualServer, rs: RealServer): readonly RunChecker[] {
  if (vs.drPathCheck === undefined || rs.forward !== 'DR' || rs.family !== 'inet') return rs.checkers;
  return [...rs.checkers, vs.drPathCheck];
}

/** probeTarget resolves a checker's destination: connect_ip/connect_port, else the real server. */
export function probeTarget(checker: RunChecker, vs: VirtualServer, rs: RealServer): ProbeTarget {
  const t: ProbeTarget = {
    vs,
    rs,
    address: checker.connectIp ?? rs.address,
    port: checker.connectPort ?? rs.port,
  };
  if (checker.bindTo !== undefined) t.bindTo = checker.bindTo;
  if (checker.bindPort !== undefined) t.bindPort = checker.bindPort;
  if (checker.bindIf !== undefined) t.bindIf = checker.bindIf;
  return t;
}

/** errnoReason words a probe error: `connection refused (ECONNREFUSED)`. */
export function errnoReason(what: string, err: unknown): string {
  const errno = (err as { errno?: unknown; code?: unknown })?.errno ?? (err as { code?: unknown })?.code;
  const text: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ETIMEDOUT: 'timeout',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
  };
  const e = typeof errno === 'string' ? errno : 'EIO';
  return `${what}: ${text[e] ?? (err as Error)?.message ?? e} (${e})`;
}
