/**
 * CheckerThread runs the checkers in a worker thread (worker-main.ts) and is, on the main
 * thread, the same VerdictSource the in-process CheckScheduler is: verdicts and events arrive
 * as messages and are replayed to subscribers in order; `refresh()` asks the thread for a
 * snapshot and `snapshot()` returns the latest one. Measured reason (bench/checkers.ts): 12,000
 * checks a second cost about one core in connect()/close() alone, which on the main thread
 * delayed the VRRP advert timer by seconds.
 */
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { KeepvipConfig } from '../config/model.js';
import { IcmpPinger } from '../kernel/icmp.js';
import { setThreadPriority } from '../kernel/sched.js';
import { systemClock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { joinedCheckers } from './probe.js';
import type { CheckEvent } from './scheduler.js';
import type { CheckSnapshot } from './snapshot.js';
import { vrrpThreadPriority } from './thread-priority.js';
import type { RealServerKey, RealServerVerdict, VerdictSource } from './verdict.js';

/** WireEvent is a CheckEvent with indices into the configuration instead of objects. */
type WireEvent =
  | (Omit<Extract<CheckEvent, { type: 'checker' }>, 'vs' | 'rs' | 'checker'> & {
      vs: number;
      rs: number;
      checker: number;
    })
  | (Omit<Extract<CheckEvent, { type: 'real-server' }>, 'vs' | 'rs'> & { vs: number; rs: number });

type FromWorker =
  | { type: 'log'; level: 'error' | 'warn' | 'info' | 'debug'; message: string }
  | { type: 'verdict'; key: RealServerKey; verdict: RealServerVerdict }
  | { type: 'event'; event: WireEvent }
  | { type: 'snapshot'; json: string }
  | { type: 'started' | 'reloaded'; verdicts: [RealServerKey, RealServerVerdict][] }
  | { type: 'ping'; id: number; address: string; timeoutMs: number }
  | { type: 'stopped' }
  | { type: 'batch'; messages: FromWorker[] };

/**
 * CHECKER_SEMI_SPACE_MB is the checker thread's V8 semi-space (its young generation is 3 of them).
 * bin/keepvip's --max-semi-space-size=1 suits the VRRP thread, whose live data is small; the checker
 * thread allocates per probe (socket, promise, timer), and at 1 MiB probes still in flight are
 * promoted and then collected by full collections of a heap holding 12,000 checkers. Measured
 * (2,000 TCP_CHECK + 300 HTTP_GET, the scheduler on the host): CPU per check 139-171 us at 1 MiB,
 * 118-123 at 8, 115-119 at 16; resident memory +14 MB at 8.
 */
export const CHECKER_SEMI_SPACE_MB = 8;

/** commandLineSemiSpaceMb is the process's --max-semi-space-size (0: V8's default). */
function commandLineSemiSpaceMb(): number {
  const flag = process.execArgv.find((a) => a.startsWith('--max-semi-space-size='));
  const n = Number(flag?.split('=')[1]);
  return Number.isFinite(n) ? n : 0;
}

/**
 * SNAPSHOT_WAIT_MS bounds a refresh: a thread too busy to answer (a 1-CPU host starting 12,000
 * checks) leaves status with the snapshot it last sent.
 */
export const SNAPSHOT_WAIT_MS = 6000;

/** needsThread: a configuration has something to check (virtual servers, nginx health checks as such). */
function needsThread(config: KeepvipConfig): boolean {
  return config.virtualServers.length > 0;
}

/** CheckerThread is the checker side in its own thread. */
export class CheckerThread implements VerdictSource {
  private worker: Worker | undefined;
  private readonly verdicts = new Map<RealServerKey, RealServerVerdict>();
  private readonly listeners = new Set<(key: RealServerKey, v: RealServerVerdict) => void>();
  private readonly eventListeners = new Set<(e: CheckEvent) => void>();
  /** lastJson is the thread's latest snapshot, parsed on demand (parsed) so an unread one costs nothing here. */
  private lastJson: string | undefined;
  private parsed: CheckSnapshot | undefined;
  /** refreshing is the snapshot request in flight (callers share it); onSnapshot ends it. */
  private refreshing: Promise<void> | undefined;
  private onSnapshot: (() => void) | undefined;
  private stopped: Promise<void> | undefined;
  private config: KeepvipConfig;
  private pinger: IcmpPinger | undefined;
  /** suspended are the ha_suspend virtual servers (keys) whose checkers pause (lvs/ha-suspend.ts). */
  private suspended: string[] = [];

  constructor(private readonly o: { config: KeepvipConfig; log: Logger }) {
    this.config = o.config;
  }

  get(key: RealServerKey): RealServerVerdict | undefined {
    return this.verdicts.get(key);
  }

  subscribe(onChange: (key: RealServerKey, verdict: RealServerVerdict) => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }

  /** onEvent is CheckScheduler.onEvent across the thread. */
  onEvent(fn: (e: CheckEvent) => void): () => void {
    this.eventListeners.add(fn);
    return () => this.eventListeners.delete(fn);
  }

  /**
   * start launches the thread; it resolves once the first verdicts (start state) are known.
   * A configuration without virtual servers (nothing to check) starts no thread: a worker is
   * its own V8 isolate, about 10 MB of resident memory for nothing; reload starts it later.
   */
  start(): Promise<void> {
    this.started = true;
    // vrrp_priority / vrrp_rt_priority: this is the VRRP (main) thread. Set before the checker
    // thread starts, which then sets its own (checker_priority, 0 by default).
    const vrrp = vrrpThreadPriority(this.config.globalDefs);
    if (vrrp.nice !== undefined || vrrp.realtime !== undefined)
      for (const problem of setThreadPriority(vrrp, 'vrrp')) this.o.log.warn(problem);
    if (!needsThread(this.config)) return Promise.resolve();
    return this.spawn();
  }

  private started = false;

  private spawn(): Promise<void> {
    // The thread's own young generation (V8 reads the flag when the thread's isolate is made, so it
    // is put back once the thread runs; resourceLimits cannot override the command line's flag).
    setFlagsFromString(`--max-semi-space-size=${CHECKER_SEMI_SPACE_MB}`);
    const worker = new Worker(new URL('./worker-main.js', import.meta.url), {
      workerData: { config: this.config, suspended: this.suspended },
    });
    const restore = () => setFlagsFromString(`--max-semi-space-size=${commandLineSemiSpaceMb()}`);
    worker.once('online', restore);
    worker.once('exit', restore);
    this.worker = worker;
    let resolveStarted!: () => void;
    const started = new Promise<void>((r) => (resolveStarted = r));
    let resolveStopped!: () => void;
    this.stopped = new Promise<void>((r) => (resolveStopped = r));
    const handle = (m: FromWorker): void => {
      switch (m.type) {
        case 'batch':
          // One turn of the thread's messages, in order (worker-main.ts).
          for (const x of m.messages) handle(x);
          break;
        case 'log':
          this.o.log[m.level](m.message);
          break;
        case 'verdict':
          this.verdicts.set(m.key, m.verdict);
          for (const l of this.listeners) l(m.key, m.verdict);
          break;
        case 'event': {
          const e = this.resolve(m.event);
          if (e !== undefined) for (const l of this.eventListeners) l(e);
          break;
        }
        case 'snapshot':
          this.lastJson = m.json;
          this.parsed = undefined;
          this.onSnapshot?.();
          break;
        case 'started':
        case 'reloaded':
          this.verdicts.clear();
          for (const [k, v] of m.verdicts) this.verdicts.set(k, v);
          if (m.type === 'started') resolveStarted();
          break;
        case 'ping':
          // PING_CHECK's raw ICMP socket lives on this thread (its addon cannot load in a worker).
          this.pinger ??= new IcmpPinger(systemClock);
          this.pinger.ping(m.address, m.timeoutMs).then(
            () => worker.postMessage({ type: 'pong', id: m.id }),
            (err: Error) => worker.postMessage({ type: 'pong', id: m.id, error: err.message }),
          );
          break;
        case 'stopped':
          resolveStopped();
          break;
      }
    };
    worker.on('message', handle);
    worker.on('error', (err) => this.o.log.error(`BUG: checker thread failed: ${err.message}`));
    worker.on('exit', () => {
      resolveStarted();
      resolveStopped();
    });
    return started;
  }

  /** reload hands a new configuration to the thread (unchanged checkers keep their state there). */
  reload(config: KeepvipConfig): void {
    this.config = config;
    if (this.worker) this.worker.postMessage({ type: 'reload', config });
    else if (this.started && needsThread(config)) void this.spawn();
  }

  /** suspend pauses these virtual servers' checkers and resumes the others (ha_suspend); before start, the first runs wait. */
  suspend(vsKeys: string[]): void {
    this.suspended = [...vsKeys];
    this.worker?.postMessage({ type: 'suspend', virtualServers: this.suspended });
  }

  private resolve(e: WireEvent): CheckEvent | undefined {
    const vs = this.config.virtualServers[e.vs];
    const rs = vs?.realServers[e.rs];
    if (vs === undefined || rs === undefined) return undefined;
    if (e.type === 'real-server') return { ...e, vs, rs };
    const checker = joinedCheckers(vs, rs)[e.checker];
    return checker === undefined ? undefined : { ...e, vs, rs, checker };
  }

  /**
   * refresh asks the thread for a snapshot and resolves once it arrived (or after SNAPSHOT_WAIT_MS).
   * The thread sends none on its own: at 12,000 real servers a snapshot is megabytes of JSON, and
   * one every few seconds was most of this thread's garbage (major collections that held the VRRP
   * timers for a second in bench/checkers.ts) for status requests that seldom come.
   */
  refresh(): Promise<void> {
    const w = this.worker;
    if (w === undefined) return Promise.resolve();
    this.refreshing ??= new Promise<void>((resolve) => {
      const timeout = systemClock.at(systemClock.nowMs() + SNAPSHOT_WAIT_MS, () => done());
      const done = () => {
        timeout.cancel();
        this.refreshing = undefined;
        this.onSnapshot = undefined;
        resolve();
      };
      this.onSnapshot = done;
      w.postMessage({ type: 'snapshot' });
    });
    return this.refreshing;
  }

  /** snapshot is the latest snapshot the thread sent (refresh first for a current one). */
  snapshot(): CheckSnapshot {
    this.parsed ??=
      this.lastJson === undefined
        ? { realServers: [], totals: { checkers: 0, runs: 0, failures: 0, inFlight: 0 } }
        : (JSON.parse(this.lastJson) as CheckSnapshot);
    return this.parsed;
  }

  /** stop ends the checkers and the thread. */
  async stop(): Promise<void> {
    const w = this.worker;
    if (w === undefined) return;
    w.postMessage({ type: 'stop' });
    await this.stopped;
    this.onSnapshot?.();
    await w.terminate();
    this.worker = undefined;
    this.pinger?.close();
  }
}
