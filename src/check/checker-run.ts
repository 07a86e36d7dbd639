/**
 * The scheduler's live records: one CheckerRun per configured checker (its probe, counters and
 * timer) and one ServerRun per real server (its checkers and verdict), with the rules that
 * derive them from the configuration: which settings make a checker "the same" across a reload,
 * and which keepalived counting rules apply to each kind.
 */
import type { RealServer, VirtualServer } from '../config/model.js';
import type { TimerHandle } from '../util/clock.js';
import { type CheckerState, type CheckerTiming, initialCheckerState } from './checker-state.js';
import type { FlapHistory } from './flap-guard.js';
import { type Probe, probeTarget, type RunChecker } from './probe.js';
import { drPathPort } from './probes/dr-path.js';
import type { RealServerKey, RealServerVerdict } from './verdict.js';

/** CheckerRun is one checker of one real server while the scheduler runs it. */
export interface CheckerRun {
  id: string;
  checker: RunChecker;
  timing: CheckerTiming;
  probe: Probe;
  state: CheckerState;
  timer?: TimerHandle;
  running: boolean;
  stopped: boolean;
  /** weightDelta is what this checker adds to the configured weight (misc_dynamic, FILE_CHECK). */
  weightDelta: number;
  last?: { ok: boolean; reason: string; latencyMs: number; atMs: number };
  runs: number;
  failures: number;
  durationMsTotal: number;
  target: string;
}

/** ServerRun is one real server of one virtual server: its checkers, verdict and flapping history. */
export interface ServerRun {
  key: RealServerKey;
  vs: VirtualServer;
  rs: RealServer;
  checkers: CheckerRun[];
  verdict: RealServerVerdict;
  flap: FlapHistory;
  holdTimer?: TimerHandle;
}

/** checkerIdentity is what makes a checker "the same" across a reload: kind, target and every setting but its position. */
export function checkerIdentity(key: RealServerKey, index: number, c: RunChecker): string {
  const { pos: _pos, ...rest } = c;
  return `${key}#${index}:${JSON.stringify(rest)}`;
}

/** timingOf reads the counting parameters of a checker (which keepalived epilog its kind follows). */
export function timingOf(c: RunChecker, vs: VirtualServer): CheckerTiming {
  return {
    retry: c.retry,
    delayLoopMs: c.delayLoopMs ?? vs.delayLoopMs,
    delayBeforeRetryMs: c.delayBeforeRetryMs,
    retryWhileDown:
      c.kind === 'TCP_CHECK' ||
      c.kind === 'UDP_CHECK' ||
      c.kind === 'PING_CHECK' ||
      c.kind === 'DR_PATH_CHECK',
    fastRecovery: (c.kind === 'HTTP_GET' || c.kind === 'SSL_GET') && c.fastRecovery,
    confirmRecovery: c.kind === 'HTTP_GET' || c.kind === 'SSL_GET',
    ...(c.rise === undefined ? {} : { rise: c.rise }),
  };
}

/** targetText is where a checker probes, as `keepvip status` shows it (`IP:PORT` or the script). */
export function targetText(c: RunChecker, vs: VirtualServer, rs: RealServer): string {
  if (c.kind === 'MISC_CHECK') return c.miscPath;
  if (c.kind === 'DR_PATH_CHECK') return `${vs.address}:${drPathPort({ vs, rs })} via ${rs.address}`;
  if (c.kind === 'FILE_CHECK') return `track_file ${c.trackFile}`;
  const t = probeTarget(c, vs, rs);
  return t.address.includes(':') ? `[${t.address}]:${t.port}` : `${t.address}:${t.port}`;
}

/** newCheckerRun is a checker before its first run (alpha from the checker, else the real or virtual server). */
export function newCheckerRun(
  id: string,
  checker: RunChecker,
  vs: VirtualServer,
  rs: RealServer,
  probe: Probe,
): CheckerRun {
  const timing = timingOf(checker, vs);
  return {
    id,
    checker,
    timing,
    probe,
    state: initialCheckerState(timing, checker.alpha ?? rs.alpha ?? vs.alpha),
    running: false,
    stopped: false,
    weightDelta: 0,
    runs: 0,
    failures: 0,
    durationMsTotal: 0,
    target: targetText(checker, vs, rs),
  };
}

/** newServerRun is a real server at start: alive unless a checker starts down (alpha). */
export function newServerRun(
  key: RealServerKey,
  vs: VirtualServer,
  rs: RealServer,
  checkers: CheckerRun[],
  nowMs: number,
): ServerRun {
  const alive = checkers.every((c) => c.state.isUp);
  return {
    key,
    vs,
    rs,
    checkers,
    verdict: {
      alive,
      reason: alive ? 'starting' : 'alpha: down until the first success',
      changedAtMs: nowMs,
    },
    flap: { changesAtMs: [] },
  };
}
