/**
 * ScriptTracker runs one vrrp_script every `interval`, with its timeout, and reports when its
 * fall/rise verdict changes. Runs never overlap: a run still going when the next is due makes
 * that tick be skipped, not stacked. Scripts run through execa and never block the VRRP loop.
 */
import { execa } from 'execa';
import type { VrrpScript } from '../config/model.js';
import type { Logger } from '../log/logger.js';
import type { Clock, TimerHandle } from '../runner/clock.js';
import { resolveInvocation } from './command.js';
import { applyResult, initialCounter, isGood, type ScriptCounter } from './script-result.js';

/** ScriptRun is the outcome of one run, kept for `keepvip status`. */
export interface ScriptRun {
  at: string;
  durationMs: number;
  exitCode?: number;
  timedOut: boolean;
  output: string;
}

/** SCRIPT_KILL_GRACE_MS: after the timeout a script gets SIGTERM, then SIGKILL after this long. */
export const SCRIPT_KILL_GRACE_MS = 1000;

/** ScriptTracker follows one vrrp_script. */
export class ScriptTracker {
  lastRun?: ScriptRun;
  skippedRuns = 0;
  private counter: ScriptCounter;
  private timer?: TimerHandle;
  private running = false;
  private stopped = false;
  private readonly listeners: ((good: boolean) => void)[] = [];

  constructor(
    readonly def: VrrpScript,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.counter = initialCounter(def.rise, def.fall, def.initFail);
  }

  /** good is the current verdict. */
  get good(): boolean {
    return isGood(this.counter);
  }

  /** onChange subscribes to verdict changes. */
  onChange(fn: (good: boolean) => void): void {
    this.listeners.push(fn);
  }

  /** start runs the script now and then every interval. */
  start(): void {
    this.stopped = false;
    this.tick(this.clock.nowMs());
  }

  /** stop cancels future runs (a run in progress finishes and is ignored). */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** runNow runs the script at once (a watcher saw a change), unless a run is in progress. */
  runNow(): void {
    if (!this.running && !this.stopped) void this.runOnce();
  }

  private tick(dueMs: number): void {
    if (this.stopped) return;
    if (this.running) this.skippedRuns++;
    else void this.runOnce();
    const next = dueMs + this.def.intervalMs;
    this.timer = this.clock.at(next, () => this.tick(next));
  }

  private async runOnce(): Promise<void> {
    this.running = true;
    const inv = resolveInvocation(this.def.script);
    const started = this.clock.nowMs();
    const result = await execa(inv.file, inv.args, {
      reject: false,
      timeout: this.def.timeoutMs,
      killSignal: 'SIGTERM',
      forceKillAfterDelay: SCRIPT_KILL_GRACE_MS,
      stdin: 'ignore',
      all: true,
      maxBuffer: 64 * 1024,
    });
    this.running = false;
    if (this.stopped) return;
    const output = (result.all ?? '').toString().slice(-512);
    this.lastRun = {
      at: new Date().toISOString(),
      durationMs: Math.round(this.clock.nowMs() - started),
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      output,
    };
    const success = !result.timedOut && result.exitCode === 0;
    if (result.timedOut)
      this.log.warn(`Script \`${this.def.name}\` now timed out after ${this.def.timeoutMs} ms`);
    const before = isGood(this.counter);
    this.counter = applyResult(this.counter, success);
    const after = isGood(this.counter);
    if (before !== after) {
      this.log.info(
        `Script \`${this.def.name}\` now returning ${success ? 0 : (result.exitCode ?? 'timeout')}`,
      );
      this.log.info(`VRRP_Script(${this.def.name}) ${after ? 'succeeded' : 'failed'}`);
      for (const fn of this.listeners) fn(after);
    }
  }
}
