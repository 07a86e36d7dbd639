/**
 * ScriptTracker runs one vrrp_script every `interval`, with its timeout, and reports when its
 * fall/rise verdict changes. Runs never overlap: a run still going when the next is due makes
 * that tick be skipped, not stacked (keepalived does the same). Scripts run through the one spawn
 * helper (util/spawn.ts) in their own process group and never block the VRRP loop; a run ends
 * when the script exits, even when a background child keeps its output pipe open.
 *
 * Timeout (keepalived vrrp_script `timeout`, default the interval): the whole process group gets
 * SIGTERM, then SIGKILL after SCRIPT_KILL_GRACE_MS, and the run counts as a failure. Killing the
 * group matters for shell strings: `sleep 10; exit 0` run by bash leaves `sleep` behind otherwise.
 *
 * Watch-triggered runs (`runNow`, from a file watch on the down file): keepalived needs `fall`
 * consecutive failures an interval apart, so with `fall 2` a `touch down` acts only after up to
 * two intervals. keepvip keeps the counter but confirms at once: after a watch-triggered run
 * whose result disagrees with the verdict, the script runs again immediately, until the verdict
 * flips or it agrees again (at most fall + rise runs). The verdict still needs `fall` real
 * failing runs in a row; they just happen milliseconds apart.
 *
 * Phase: after the first run (at start), each script keeps its own phase within the interval,
 * derived from its name (phaseFraction). Starting a process blocks the event loop while the
 * kernel copies a large process (about 12 ms at 100 MB), so fifty `interval 1` scripts that all
 * ran in the same turn stalled every VRRP timer for half a second each second; spread over the
 * interval, each run costs one spawn's stall.
 */
import type { VrrpScript } from '../config/model.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { resolveCheckInvocation } from '../util/command.js';
import type { Logger } from '../util/logger.js';
import type { ScriptIdentity } from '../util/script-security.js';
import { KILL_GRACE_MS, type ProcessHandle, startProcess } from '../util/spawn.js';
import { evaluateFileTest, type FileTestScript, fileStat, parseFileTestScript } from './file-test.js';
import { applyResult, initialCounter, isGood, type ScriptCounter } from './script-result.js';

/** phaseFraction is a script's phase in [0, 1) of its interval, the same for the same name (FNV-1a, then mixed). */
export function phaseFraction(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  }
  // MurmurHash3's finaliser: names that differ only in their last character (chk_1, chk_2...)
  // land far apart, not in neighbouring fractions.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/** ScriptRun is the outcome of one run, kept for `keepvip status`. */
export interface ScriptRun {
  at: string;
  durationMs: number;
  exitCode?: number;
  timedOut: boolean;
  /** trigger says why it ran: the interval timer or a watch. */
  trigger: 'interval' | 'watch';
  output: string;
}

/** SCRIPT_KILL_GRACE_MS: after the timeout a script gets SIGTERM, then SIGKILL after this long. */
export const SCRIPT_KILL_GRACE_MS = KILL_GRACE_MS;

/** SCRIPT_OUTPUT_BYTES: the tail of a run's output kept for `keepvip status`. */
const SCRIPT_OUTPUT_BYTES = 512;

/** ScriptTrackerOptions: who the script runs as, and whether script security refused it. */
export interface ScriptTrackerOptions {
  identity?: ScriptIdentity;
  /** refused is why enable_script_security will not run the script; it then counts as failing. */
  refused?: string;
}

/** ScriptTracker follows one vrrp_script. */
export class ScriptTracker {
  lastRun?: ScriptRun;
  skippedRuns = 0;
  runs = 0;
  private counter: ScriptCounter;
  private timer?: TimerHandle;
  private running = false;
  private stopped = false;
  private pendingWatch = false;
  private current: Promise<void> | undefined;
  private process: ProcessHandle | undefined;
  private readonly listeners: ((good: boolean) => void)[] = [];

  constructor(
    readonly def: VrrpScript,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: ScriptTrackerOptions = {},
  ) {
    this.counter = initialCounter(def.rise, def.fall, def.initFail);
    if (opts.refused !== undefined) this.counter = { ...this.counter, value: 0 };
    // A bare file test is answered with a stat (track/file-test.ts), when the script would run
    // as root: another script_user might not be allowed to see the path.
    const uid = opts.identity?.uid ?? 0;
    this.fileTest = uid === 0 ? parseFileTestScript(def.script) : undefined;
  }

  /** fileTest is set when the script is a bare file test, run in-process. */
  readonly fileTest: FileTestScript | undefined;

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
    if (this.opts.refused !== undefined) {
      this.log.error(
        `SECURITY VIOLATION - vrrp_script ${this.def.name} is not run: ${this.opts.refused} (enable_script_security); it counts as failing`,
      );
      return;
    }
    this.stopped = false;
    // The first run is now; the next ones keep this script's own phase within the interval.
    const now = this.clock.nowMs();
    this.tick(now + this.def.intervalMs * (1 + phaseFraction(this.def.name)));
  }

  /** stop cancels future runs and terminates a run in progress (its result is ignored). */
  stop(): void {
    this.stopped = true;
    // A run in progress is ended with its process group (as execa's cleanup did at exit):
    // nothing a stopped tracker started outlives it.
    this.process?.stop();
    this.timer?.cancel();
  }

  /** runNow runs the script at once because a watch saw a change (after the current run, if one is going). */
  runNow(): void {
    if (this.stopped || this.opts.refused !== undefined) return;
    if (this.running) this.pendingWatch = true;
    else this.launch('watch');
  }

  /** whenIdle resolves when no run is in progress (the current one, and its confirmations, finished). */
  async whenIdle(): Promise<void> {
    while (this.current) await this.current;
  }

  private launch(trigger: 'interval' | 'watch'): void {
    const loop = this.runLoop(trigger).finally(() => {
      if (this.current === loop) this.current = undefined;
    });
    this.current = loop;
  }

  /** tick starts the interval run due now (or counts it skipped) and arms the next one, at `next`. */
  private tick(next: number): void {
    if (this.stopped) return;
    if (this.running) this.skippedRuns++;
    else this.launch('interval');
    this.timer = this.clock.at(next, () => this.tick(next + this.def.intervalMs));
  }

  /** runLoop runs once, then again at once while a watch asked for it or a watch-run needs confirming. */
  private async runLoop(trigger: 'interval' | 'watch'): Promise<void> {
    let confirmations = 0;
    let why = trigger;
    for (;;) {
      const success = await this.runOnce(why);
      if (this.stopped || success === undefined) return;
      const disagrees = success !== this.good;
      if (this.pendingWatch) {
        this.pendingWatch = false;
        why = 'watch';
        confirmations = 0;
      } else if (why === 'watch' && disagrees && confirmations < this.def.fall + this.def.rise) {
        confirmations++;
      } else return;
    }
  }

  private async runOnce(trigger: 'interval' | 'watch'): Promise<boolean | undefined> {
    this.running = true;
    this.runs++;
    const started = this.clock.nowMs();
    let result: {
      exitCode: number | null;
      signal?: string | null;
      timedOut: boolean;
      output: string;
      error?: string;
    };
    if (this.fileTest) {
      await Promise.resolve(); // a run still ends after the caller's turn, as a process's does
      result = {
        exitCode: evaluateFileTest(this.fileTest, fileStat(this.fileTest.path)),
        timedOut: false,
        output: '',
      };
    } else {
      const invocation = resolveCheckInvocation(this.def.script);
      const proc = startProcess(invocation, {
        clock: this.clock,
        timeoutMs: this.def.timeoutMs,
        killGraceMs: SCRIPT_KILL_GRACE_MS,
        identity: this.opts.identity,
        maxOutputBytes: SCRIPT_OUTPUT_BYTES,
      });
      this.process = proc;
      result = await proc.exited;
      this.process = undefined;
      // `CMD && exit 0 || exit 1` run as CMD: the status the shell would have returned.
      if (invocation.statusOnly && result.exitCode !== 0 && !result.timedOut)
        result = { ...result, exitCode: 1, signal: undefined };
    }
    const timedOut = result.timedOut;
    this.running = false;
    if (this.stopped) return undefined;
    const output = result.error ?? result.output;
    this.lastRun = {
      at: new Date().toISOString(),
      durationMs: Math.round(this.clock.nowMs() - started),
      exitCode: result.exitCode ?? undefined,
      timedOut,
      trigger,
      output,
    };
    const success = !timedOut && result.exitCode === 0;
    if (timedOut) this.log.warn(`Script \`${this.def.name}\` now timed out after ${this.def.timeoutMs} ms`);
    const before = isGood(this.counter);
    this.counter = applyResult(this.counter, success);
    const after = isGood(this.counter);
    if (before !== after) {
      this.log.info(
        `Script \`${this.def.name}\` now returning ${timedOut ? 'timeout' : (result.exitCode ?? result.signal ?? 'error')}`,
      );
      this.log.info(`VRRP_Script(${this.def.name}) ${after ? 'succeeded' : 'failed'}`);
      for (const fn of this.listeners) fn(after);
    }
    return success;
  }
}
