/**
 * ProcessTracker follows one vrrp_track_process: how many matching processes run, against the
 * quorum. It learns of an exit the moment it happens through a pidfd per counted process
 * (pidfd_open(2), in the native addon), so `kill -9` of nginx moves the VIP within milliseconds
 * rather than at the next `killall -0` run. keepalived uses the proc connector for this; the
 * kernel offers that socket only in the initial network namespace, so keepvip, which runs in
 * namespaces in every test and in many containers, uses pidfds, which work in any namespace.
 *
 * New processes are found by a /proc scan at start, a rescan every PROCESS_RESCAN_MS (the
 * safety net and how a restarted nginx is noticed), and, with `pid_file`, a rescan as soon as a
 * watch on the pid file's directory sees it written. The /proc seen is that of the daemon's PID
 * namespace, so on a host with several isolated nodes each counts its own nginx.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrackProcessDef } from '../config/model.js';
import type { ExitWatcher } from '../kernel/pidfd.js';
import type { Logger } from '../util/logger.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { type FileWatch, watchPaths } from './down-file.js';
import {
  matchesProcess,
  needsArgv,
  type ProcInfo,
  parseCmdline,
  parseProcStat,
  quorumMet,
} from './process-match.js';

/** PROCESS_RESCAN_MS: how often /proc is scanned again for new processes. */
export const PROCESS_RESCAN_MS = 1000;

/** ExitWatcher is kernel/pidfd.ts's exit watch, re-exported for the trackers' callers. */
export type { ExitWatcher };

/** ProcessTrackerDeps are the seams tests replace: where /proc is and how exits are watched. */
export interface ProcessTrackerDeps {
  watchExit: ExitWatcher;
  procRoot?: string;
}

/** ProcessTracker follows one vrrp_track_process. */
export class ProcessTracker {
  private readonly pids = new Map<number, { close(): void }>();
  private verdict = false;
  private pendingTimer?: TimerHandle;
  private rescanTimer?: TimerHandle;
  private pidFileWatch?: FileWatch;
  private stopped = false;
  private readonly listeners: ((good: boolean) => void)[] = [];
  private readonly procRoot: string;

  constructor(
    readonly def: TrackProcessDef,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly deps: ProcessTrackerDeps,
  ) {
    this.procRoot = deps.procRoot ?? '/proc';
  }

  /** good is the current verdict (quorum met, after terminate_delay / fork_delay). */
  get good(): boolean {
    return this.verdict;
  }

  /** count is the number of matching processes now. */
  get count(): number {
    return this.pids.size;
  }

  /** onChange subscribes to verdict changes. */
  onChange(fn: (good: boolean) => void): void {
    this.listeners.push(fn);
  }

  /** start scans /proc, sets the initial verdict without delay, and starts watching. */
  start(): void {
    this.stopped = false;
    this.scan();
    const before = this.verdict;
    this.verdict = quorumMet(this.def, this.pids.size);
    this.log.info(
      `Track process ${this.def.name}: ${this.pids.size} process(es) running, quorum ${this.verdict ? 'met' : 'not met'}`,
    );
    if (this.def.pidFile !== undefined) {
      this.pidFileWatch = watchPaths(
        [this.def.pidFile],
        () => this.rescan(),
        (dir, err) => this.log.warn(`track_process ${this.def.name}: cannot watch ${dir}: ${err.message}`),
      );
    }
    const every = (at: number) => {
      this.rescanTimer = this.clock.at(at, () => {
        this.rescan();
        every(at + PROCESS_RESCAN_MS);
      });
    };
    every(this.clock.nowMs() + PROCESS_RESCAN_MS);
    // The first verdict needs no delay; tell whoever computed priorities before we knew.
    if (this.verdict !== before) for (const fn of this.listeners) fn(this.verdict);
  }

  /** stop ends every watch and timer. */
  stop(): void {
    this.stopped = true;
    this.rescanTimer?.cancel();
    this.pendingTimer?.cancel();
    this.pidFileWatch?.close();
    for (const w of this.pids.values()) w.close();
    this.pids.clear();
  }

  /** rescan looks for matching processes not yet counted. */
  rescan(): void {
    if (this.stopped) return;
    this.scan();
    this.evaluate();
  }

  private scan(): void {
    for (const pid of this.candidates()) {
      if (this.pids.has(pid)) continue;
      const watch = this.deps.watchExit(pid, () => this.onExit(pid));
      if (watch) this.pids.set(pid, watch);
    }
  }

  private onExit(pid: number): void {
    const w = this.pids.get(pid);
    if (!w) return;
    w.close();
    this.pids.delete(pid);
    this.log.debug(`Track process ${this.def.name}: pid ${pid} exited, ${this.pids.size} left`);
    this.evaluate();
  }

  /** evaluate applies the quorum; a change waits terminate_delay / fork_delay if set. */
  private evaluate(): void {
    if (this.stopped) return;
    const now = quorumMet(this.def, this.pids.size);
    if (now === this.verdict) {
      this.pendingTimer?.cancel();
      this.pendingTimer = undefined;
      return;
    }
    const delay = now ? this.def.forkDelayMs : this.def.terminateDelayMs;
    if (delay === 0) {
      this.set(now);
      return;
    }
    if (this.pendingTimer) return;
    this.pendingTimer = this.clock.at(this.clock.nowMs() + delay, () => {
      this.pendingTimer = undefined;
      if (quorumMet(this.def, this.pids.size) !== this.verdict) this.set(!this.verdict);
    });
  }

  private set(good: boolean): void {
    this.verdict = good;
    this.log.info(
      `Track process ${this.def.name}: quorum ${good ? 'gained' : 'lost'} (${this.pids.size} running, quorum ${this.def.quorum})`,
    );
    for (const fn of this.listeners) fn(good);
  }

  /** candidates lists the pids that match now: by pid file and/or by name. */
  private candidates(): number[] {
    const out: number[] = [];
    if (this.def.pidFile !== undefined) {
      const pid = this.readPidFile();
      if (pid !== undefined) {
        const info = this.procInfo(pid);
        // With both pid_file and process, the pid must also be that process (a stale pid file
        // may name a recycled pid).
        if (info && info.state !== 'Z' && (this.def.process === '' || matchesProcess(this.def, info)))
          out.push(pid);
      }
    }
    if (this.def.process !== '' && this.def.pidFile === undefined) {
      let entries: string[];
      try {
        entries = readdirSync(this.procRoot);
      } catch {
        return out;
      }
      for (const e of entries) {
        if (!/^\d+$/.test(e)) continue;
        const info = this.procInfo(Number(e));
        if (info && matchesProcess(this.def, info)) out.push(info.pid);
      }
    }
    return out;
  }

  private readPidFile(): number | undefined {
    try {
      const n = Number.parseInt(readFileSync(this.def.pidFile!, 'utf8').trim(), 10);
      return Number.isInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  }

  private procInfo(pid: number): ProcInfo | undefined {
    try {
      const stat = parseProcStat(readFileSync(join(this.procRoot, String(pid), 'stat'), 'utf8'));
      if (!stat) return undefined;
      const info: ProcInfo = { ...stat };
      if (needsArgv(this.def)) {
        info.argv = parseCmdline(readFileSync(join(this.procRoot, String(pid), 'cmdline'), 'utf8'));
      }
      return info;
    } catch {
      return undefined; // exited while we looked
    }
  }
}
