/**
 * CheckScheduler runs every real-server checker of a configuration on keepalived's timing and
 * publishes one verdict per real server (VerdictSource). Each checker has one timer on the
 * injected Clock (the system clock keeps every deadline in one heap, util/timer-heap.ts); the
 * next run is armed only when the probe settled, so runs never stack, and
 * probes are asynchronous I/O bounded by their own timeouts, so thousands of them never block
 * the event loop the VRRP runner shares. Counting is checker-state.ts, the live records
 * checker-run.ts, the flapping guard flap-guard.ts, FILE_CHECK's files track-files.ts, the
 * status view snapshot.ts; words are wording.ts.
 *
 * A real server is alive when all its checkers are up (ipwrapper.c update_svr_checker_state);
 * its weight is the configured one moved by misc_dynamic and FILE_CHECK. Reload keeps the
 * state and timer of every checker whose settings did not change, so unchanged servers keep
 * their verdicts.
 */
import type { FSWatcher } from 'node:fs';
import type { Checker, KeepvipConfig, RealServer, VirtualServer } from '../config/model.js';
import { DrPathProber } from '../kernel/dr-probe.js';
import { IcmpPinger } from '../kernel/icmp.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import {
  type CheckerRun,
  checkerIdentity,
  newCheckerRun,
  newServerRun,
  type ServerRun,
} from './checker-run.js';
import { countResult, fastRecoveryDelay, firstDelayMs } from './checker-state.js';
import type { CheckEvent } from './events.js';
import { endHold, type FlapGuard, flapLine, isHeldDown, noteVerdictChange } from './flap-guard.js';
import {
  joinedCheckers,
  type Probe,
  type ProbeEnv,
  type ProbeResult,
  probeTarget,
  type RunChecker,
} from './probe.js';
import { makeProbe } from './probes/index.js';
import { type CheckSnapshot, realServerSnapshot } from './snapshot.js';
import { readTrackFile, watchTrackFiles } from './track-files.js';
import {
  type RealServerKey,
  type RealServerVerdict,
  realServerKey,
  type VerdictSource,
  virtualServerKey,
} from './verdict.js';
import { checkerLine, serviceLine, weightLine } from './wording.js';

export type { CheckEvent } from './events.js';

/** CheckSchedulerOptions are the scheduler's collaborators; probes default to the real ones. */
export interface CheckSchedulerOptions {
  config: KeepvipConfig;
  clock: Clock;
  log: Logger;
  /** random spreads first runs over warmup (Math.random by default). */
  random?: () => number;
  /** probeFor replaces the real probes (unit tests). */
  probeFor?: (checker: Checker, vs: VirtualServer, rs: RealServer) => Probe;
  /** drPathProbeFor replaces the DR_PATH_CHECK probes (unit tests). */
  drPathProbeFor?: (vs: VirtualServer, rs: RealServer) => Probe;
  /** flapGuard is the default flapping guard of servers without `flap_guard` (keepvip; off by default). */
  flapGuard?: FlapGuard;
  /** watchFiles re-runs FILE_CHECKs when their file changes (default true). */
  watchFiles?: boolean;
  /** ping replaces the raw-socket ICMP pinger (the checker thread, where that addon cannot load). */
  ping?: (address: string, timeoutMs: number) => Promise<void>;
  /**
   * turnTime reads the clock once per event-loop turn for the runs' start and settle times, as
   * keepalived's scheduler reads time_now once per loop (checker thread; not for a manual clock,
   * which tests advance within one turn).
   */
  turnTime?: boolean;
}

/**
 * turnTimeOf caches clock readings until the loop's check phase (setImmediate): the runs started
 * and settled in one turn share one reading. In a guest without a vDSO (user-mode-linux) every
 * reading is a system call; with 12,000 runs a second the checker thread's cpu profile had
 * performance.now at 19-23 %. A reading is at most that turn's own work old.
 */
function turnTimeOf(clock: Clock): () => number {
  let cached: number | undefined;
  const reset = () => {
    cached = undefined;
  };
  return () => {
    if (cached === undefined) {
      cached = clock.nowMs();
      setImmediate(reset);
    }
    return cached;
  };
}

/** CheckScheduler is the checker side of the daemon. */
export class CheckScheduler implements VerdictSource {
  private servers = new Map<RealServerKey, ServerRun>();
  private readonly listeners = new Set<(key: RealServerKey, v: RealServerVerdict) => void>();
  private readonly eventListeners = new Set<(e: CheckEvent) => void>();
  private config: KeepvipConfig;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly random: () => number;
  /** now is the clock for runs' start and settle times (turnTimeOf in the checker thread). */
  private readonly now: () => number;
  private readonly env: ProbeEnv;
  private pinger: IcmpPinger | undefined;
  private drProber: DrPathProber | undefined;
  private watchers: FSWatcher[] = [];
  private running = false;
  private inFlight = 0;
  /** suspended are the virtual servers (keys) whose checkers pause: ha_suspend, the VIP is not here (lvs/ha-suspend.ts). */
  private suspended = new Set<string>();

  constructor(private readonly o: CheckSchedulerOptions) {
    this.config = o.config;
    this.clock = o.clock;
    this.log = o.log;
    this.random = o.random ?? Math.random;
    this.now = o.turnTime ? turnTimeOf(o.clock) : () => o.clock.nowMs();
    this.env = {
      clock: this.clock,
      ping: (address, timeoutMs) => {
        if (o.ping !== undefined) return o.ping(address, timeoutMs);
        this.pinger ??= new IcmpPinger(o.clock);
        return this.pinger.ping(address, timeoutMs);
      },
      readTrackFile: (name) => readTrackFile(this.config, name),
      drPath: (r) => {
        this.drProber ??= new DrPathProber(o.clock);
        return this.drProber.probe(r);
      },
    };
  }

  /** get returns a real server's verdict (set from start: alive unless a checker has alpha). */
  get(key: RealServerKey): RealServerVerdict | undefined {
    return this.servers.get(key)?.verdict;
  }

  /** subscribe calls back on every verdict change. */
  subscribe(onChange: (key: RealServerKey, verdict: RealServerVerdict) => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }

  /** onEvent calls back on every checker and real-server event (for notify scripts, FIFO lines, mail). */
  onEvent(fn: (e: CheckEvent) => void): () => void {
    this.eventListeners.add(fn);
    return () => this.eventListeners.delete(fn);
  }

  /** start builds every server's checkers and arms their first runs (spread over warmup). */
  start(): void {
    this.running = true;
    this.servers = this.build(this.config, new Map());
    for (const s of this.servers.values()) for (const c of s.checkers) this.armFirst(s, c);
    this.watchTrackFiles();
  }

  /** reload switches to a new configuration: unchanged checkers keep state and timers; removed ones stop. */
  reload(next: KeepvipConfig): void {
    const old = new Map<string, CheckerRun>();
    for (const s of this.servers.values()) for (const c of s.checkers) old.set(c.id, c);
    const prevServers = this.servers;
    this.config = next;
    this.servers = this.build(next, old);
    const kept = new Set<CheckerRun>();
    for (const s of this.servers.values()) {
      for (const c of s.checkers) {
        if (old.get(c.id) === c) kept.add(c);
        else if (this.running) this.armFirst(s, c);
      }
      const prev = prevServers.get(s.key);
      if (prev) {
        s.flap = prev.flap;
        prev.holdTimer?.cancel();
        if (isHeldDown(s.flap, this.clock.nowMs())) this.armHoldEnd(s);
      }
      this.recompute(s, prev?.verdict, false);
    }
    for (const c of old.values()) if (!kept.has(c)) this.stopChecker(c);
    for (const w of this.watchers.splice(0)) w.close();
    if (this.running) this.watchTrackFiles();
  }

  /** stop cancels every timer; results of probes in flight are dropped. */
  stop(): void {
    this.running = false;
    for (const s of this.servers.values()) {
      s.holdTimer?.cancel();
      for (const c of s.checkers) this.stopChecker(c);
    }
    for (const w of this.watchers.splice(0)) w.close();
    this.pinger?.close();
    this.drProber?.close();
    this.drProber = undefined;
  }

  /** snapshot describes every real server and checker (keepvip status, metrics). */
  snapshot(): CheckSnapshot {
    const now = this.clock.nowMs();
    const realServers = [...this.servers.values()].map((s) => realServerSnapshot(s, now));
    let checkers = 0;
    let runs = 0;
    let failures = 0;
    for (const r of realServers)
      for (const c of r.checkers) {
        checkers++;
        runs += c.runs;
        failures += c.failures;
      }
    return { realServers, totals: { checkers, runs, failures, inFlight: this.inFlight } };
  }

  /** runNow runs a real server's checkers at once (FILE_CHECK on a file change; tests). */
  runNow(key: RealServerKey, kind?: RunChecker['kind']): void {
    const s = this.servers.get(key);
    for (const c of s?.checkers ?? []) if (kind === undefined || c.checker.kind === kind) this.fire(s!, c);
  }

  private build(config: KeepvipConfig, old: Map<string, CheckerRun>): Map<RealServerKey, ServerRun> {
    const out = new Map<RealServerKey, ServerRun>();
    const now = this.clock.nowMs();
    for (const vs of config.virtualServers) {
      for (const rs of vs.realServers) {
        const key = realServerKey(vs, rs);
        if (out.has(key)) continue;
        const checkers = joinedCheckers(vs, rs).map((checker, i) => {
          const id = checkerIdentity(key, i, checker);
          const existing = old.get(id);
          if (existing && !existing.stopped) return existing;
          const fake =
            checker.kind === 'DR_PATH_CHECK'
              ? this.o.drPathProbeFor?.(vs, rs)
              : this.o.probeFor?.(checker, vs, rs);
          const probe = fake ?? makeProbe(checker, probeTarget(checker, vs, rs), this.env, config);
          return newCheckerRun(id, checker, vs, rs, probe);
        });
        out.set(key, newServerRun(key, vs, rs, checkers, now));
      }
    }
    return out;
  }

  /**
   * suspend pauses the checkers of these virtual servers and resumes every other one (ha_suspend,
   * keepalived update_checker_activity): a paused checker has no timer and its verdict stays as
   * it was; a resumed one is armed as at start.
   */
  suspend(vsKeys: Iterable<string>): void {
    const before = this.suspended;
    this.suspended = new Set(vsKeys);
    for (const s of this.servers.values()) {
      const k = virtualServerKey(s.vs);
      if (before.has(k) === this.suspended.has(k)) continue;
      for (const c of s.checkers) {
        c.timer?.cancel();
        c.timer = undefined;
        if (!this.suspended.has(k) && !c.running) this.armFirst(s, c);
      }
    }
  }

  private isSuspended(s: ServerRun): boolean {
    return this.suspended.size > 0 && this.suspended.has(virtualServerKey(s.vs));
  }

  private armFirst(s: ServerRun, c: CheckerRun): void {
    const warmup = c.checker.warmupMs ?? c.timing.delayLoopMs;
    this.arm(s, c, fastRecoveryDelay(c.state, c.timing, firstDelayMs(warmup, this.random)));
  }

  private arm(s: ServerRun, c: CheckerRun, delayMs: number, nowMs = this.now()): void {
    if (c.stopped || !this.running || this.isSuspended(s)) return;
    c.timer?.cancel();
    c.timer = this.clock.at(nowMs + delayMs, () => {
      c.timer = undefined;
      this.fire(s, c);
    });
  }

  private fire(s: ServerRun, c: CheckerRun): void {
    if (c.running || c.stopped || !this.running || this.isSuspended(s)) return;
    c.timer?.cancel();
    c.timer = undefined;
    c.running = true;
    this.inFlight++;
    // One clock reading when the run starts and one when it settles (shared by the runs of one
    // turn in the checker thread: turnTimeOf).
    const started = this.now();
    const settle = (r: ProbeResult) => {
      this.inFlight--;
      c.running = false;
      if (c.stopped) return;
      const now = this.now();
      this.count(this.servers.get(s.key) ?? s, c, r, now - started, now);
    };
    let p: Promise<ProbeResult>;
    try {
      p = c.probe(started);
    } catch (err) {
      p = Promise.resolve({ ok: false, reason: `probe error: ${(err as Error).message}` });
    }
    p.then(settle, (err: Error) => {
      // A probe must not reject; one that does is a bug, logged as such, and counts as a failure.
      this.log.error(`BUG: ${c.checker.kind} probe of ${s.key} rejected: ${err.message}`);
      settle({ ok: false, reason: `probe error: ${err.message}` });
    });
  }

  private count(s: ServerRun, c: CheckerRun, r: ProbeResult, latencyMs: number, nowMs: number): void {
    c.runs++;
    if (!r.ok) c.failures++;
    c.durationMsTotal += latencyMs;
    c.last = { ok: r.ok, reason: r.reason, latencyMs, atMs: nowMs };
    const step = countResult(c.state, r.ok, c.timing);
    const wasFirst = !c.state.hasRun;
    const wasUp = c.state.isUp;
    c.state = step.state;
    if (r.ok) c.weightDelta = this.weightDeltaOf(c, s.rs, r);
    else if (step.transition === 'down') c.weightDelta = 0;
    if (!r.ok && step.retrying && c.checker.logAllFailures)
      this.log.info(
        `${c.checker.kind} on service ${s.key}: ${r.reason}; retry ${c.state.retryIt}/${c.timing.retry}`,
      );
    if (step.transition !== undefined) {
      const line = checkerLine(c.checker, s.vs, s.rs, step.transition === 'up', {
        retried: c.timing.retry > 0 && !wasFirst,
        reason: r.reason,
        script: c.checker.kind === 'MISC_CHECK' ? c.checker.miscPath.split(' ')[0] : undefined,
      });
      const withReason = step.transition === 'down' && c.checker.kind !== 'MISC_CHECK';
      this.log.info(withReason ? `${line.log} (${r.reason})` : line.log);
      const changed = this.recompute(s, s.verdict, wasFirst, r.reason, nowMs);
      this.emit({
        type: 'checker',
        vs: s.vs,
        rs: s.rs,
        checker: c.checker,
        up: step.transition === 'up',
        mailBody: line.mailBody,
        rsChanged: changed,
        checkerChanged: wasUp !== c.state.isUp,
      });
    } else {
      this.recompute(s, s.verdict, false, r.reason, nowMs);
    }
    // MISC_CHECK times its next run from the start of the last one (check_misc.c: last_ran + delay).
    const elapsed = c.checker.kind === 'MISC_CHECK' ? latencyMs : 0;
    this.arm(s, c, fastRecoveryDelay(c.state, c.timing, Math.max(0, step.nextDelayMs - elapsed)), nowMs);
  }

  private weightDeltaOf(c: CheckerRun, rs: RealServer, r: ProbeResult): number {
    if (c.checker.kind === 'MISC_CHECK' && c.checker.miscDynamic)
      return r.weight === undefined ? 0 : r.weight - rs.weight;
    if (c.checker.kind === 'FILE_CHECK') return r.weight ?? 0;
    return 0;
  }

  /** recompute derives the verdict from the checkers; publishes and logs a change. Returns whether `alive` changed. */
  private recompute(
    s: ServerRun,
    prev: RealServerVerdict | undefined,
    firstRun: boolean,
    reason?: string,
    now = this.clock.nowMs(),
  ): boolean {
    let alive = s.checkers.every((c) => c.state.isUp);
    const weight = s.rs.weight + s.checkers.reduce((sum, c) => sum + c.weightDelta, 0);
    const held = isHeldDown(s.flap, now);
    if (held) alive = false;
    const before = prev ?? s.verdict;
    const weightOut = weight === s.rs.weight ? undefined : Math.max(0, weight);
    const aliveChanged = before.alive !== alive;
    const weightChanged = (before.weight ?? s.rs.weight) !== (weightOut ?? s.rs.weight);
    if (!aliveChanged && !weightChanged) {
      if (s.verdict !== before) s.verdict = before;
      if (firstRun && !alive)
        this.emit({ type: 'real-server', key: s.key, vs: s.vs, rs: s.rs, alive, initial: true });
      return false;
    }
    if (weightChanged)
      this.log.info(weightLine(s.vs, s.rs, before.weight ?? s.rs.weight, weightOut ?? s.rs.weight, alive));
    const why = held ? 'held down by the flapping guard' : (reason ?? before.reason);
    s.verdict = {
      alive,
      reason: why,
      changedAtMs: now,
      ...(weightOut === undefined ? {} : { weight: weightOut }),
    };
    if (aliveChanged) {
      this.log.info(serviceLine(s.vs, s.rs, alive));
      this.noteChange(s, now);
      this.emit({ type: 'real-server', key: s.key, vs: s.vs, rs: s.rs, alive, initial: false });
    }
    for (const l of this.listeners) l(s.key, s.verdict);
    return aliveChanged;
  }

  /** noteChange feeds the flapping guard; a tripped guard logs, arms the hold's end and takes the server down. */
  private noteChange(s: ServerRun, now: number): void {
    const g = s.rs.flapGuard ?? s.vs.flapGuard ?? this.o.flapGuard;
    if (g === undefined) return;
    const step = noteVerdictChange(s.flap, now, g);
    s.flap = step.history;
    if (!step.tripped) return;
    this.log.warn(flapLine(s.key, s.flap, g));
    this.armHoldEnd(s);
    this.recompute(s, s.verdict, false);
  }

  private armHoldEnd(s: ServerRun): void {
    s.holdTimer?.cancel();
    if (s.flap.heldDownUntilMs === undefined || !this.running) return;
    s.holdTimer = this.clock.at(s.flap.heldDownUntilMs, () => {
      s.holdTimer = undefined;
      s.flap = endHold();
      this.recompute(s, s.verdict, false, 'flapping hold ended');
    });
  }

  private emit(e: CheckEvent): void {
    for (const l of this.eventListeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error(`BUG: checker event listener threw: ${(err as Error).message}`);
      }
    }
  }

  private stopChecker(c: CheckerRun): void {
    c.stopped = true;
    c.timer?.cancel();
    c.timer = undefined;
  }

  /** watchTrackFiles re-runs FILE_CHECKs the moment their file changes. */
  private watchTrackFiles(): void {
    if (this.o.watchFiles === false) return;
    const names = new Set<string>();
    for (const s of this.servers.values())
      for (const c of s.checkers) if (c.checker.kind === 'FILE_CHECK') names.add(c.checker.trackFile);
    this.watchers = watchTrackFiles(
      this.config,
      names,
      () => {
        for (const s of this.servers.values()) this.runNow(s.key, 'FILE_CHECK');
      },
      this.log,
    );
  }
}
