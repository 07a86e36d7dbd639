import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { nowMs } from '../../bench/lib/clock.js';
import { HarnessTimeoutError, sleep, waitUntil } from './wait.js';

/** LogLine is one line a managed process printed, stamped when the harness read it (nowMs). */
export interface LogLine {
  t: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** ProcessExit is how a managed process ended. */
export interface ProcessExit {
  exitCode: number | undefined;
  signal: string | undefined;
}

/** SpawnSpec describes a long-running process: the wrapper argv and how to find the real daemon. */
export interface SpawnSpec {
  /** name labels the process in logs and errors. */
  name: string;
  file: string;
  args: string[];
  /**
   * wrapperForks says the spawned file (nsenter) forks the real program as its child instead of
   * exec'ing it, so signals meant for the program must go to that child.
   */
  wrapperForks?: boolean;
  cwd?: string;
  env?: Record<string, string>;
}

/** liveGroups holds the process-group ids of every running managed process, for exit-time cleanup. */
export const liveGroups = new Set<number>();

/**
 * ManagedProcess is a long-running process started by the harness in its own process group
 * (detached), with every output line captured and timestamped, so a test can wait for a log
 * line and `destroy()` can kill the whole group even if the test failed.
 */
export class ManagedProcess {
  /** name labels the process. */
  readonly name: string;
  /** pid is the spawned wrapper's pid and also its process-group id. */
  readonly pid: number;
  /** lines holds every line printed so far, in arrival order. */
  readonly lines: LogLine[] = [];
  /** exited resolves when the wrapper process ends. */
  readonly exited: Promise<ProcessExit>;
  private readonly wrapperForks: boolean;
  private exitInfo: ProcessExit | undefined;
  private readonly waiters = new Set<(line: LogLine) => void>();

  private constructor(spec: SpawnSpec) {
    this.name = spec.name;
    this.wrapperForks = spec.wrapperForks ?? false;
    const child = execa(spec.file, spec.args, {
      detached: true,
      cleanup: false,
      reject: false,
      buffer: false,
      stdin: 'ignore',
      cwd: spec.cwd,
      env: spec.env,
    });
    if (child.pid === undefined) throw new Error(`${spec.name}: spawn of ${spec.file} failed`);
    this.pid = child.pid;
    liveGroups.add(this.pid);
    this.capture(child.stdout, 'stdout');
    this.capture(child.stderr, 'stderr');
    this.exited = child.then((result) => {
      liveGroups.delete(this.pid);
      this.exitInfo = { exitCode: result.exitCode, signal: result.signal };
      return this.exitInfo;
    });
  }

  /** start spawns `spec` and returns its handle immediately. */
  static start(spec: SpawnSpec): ManagedProcess {
    return new ManagedProcess(spec);
  }

  /** running is true until the wrapper process has been reaped. */
  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** text joins all captured lines, for error messages and test evidence. */
  text(): string {
    return this.lines.map((l) => l.text).join('\n');
  }

  /**
   * targetPid is the host pid of the program itself: the wrapper's pid when the wrapper execs
   * it (ip netns exec), or the wrapper's only child when it forks (nsenter --pid must fork to
   * place the child in the target PID namespace).
   */
  async targetPid(timeoutMs = 5000): Promise<number> {
    if (!this.wrapperForks) return this.pid;
    return waitUntil(
      async () => {
        const children = (await readFile(`/proc/${this.pid}/task/${this.pid}/children`, 'utf8')).trim();
        const first = children.split(/\s+/)[0];
        return first ? Number(first) : undefined;
      },
      { timeoutMs, intervalMs: 10, what: `${this.name}: child of wrapper ${this.pid}` },
    );
  }

  /** signal sends `sig` to the program itself (not the wrapper). */
  async signal(sig: NodeJS.Signals): Promise<void> {
    process.kill(await this.targetPid(), sig);
  }

  /** killGroup sends `sig` to the whole process group (wrapper, program, its workers); ESRCH is fine. */
  killGroup(sig: NodeJS.Signals = 'SIGKILL'): void {
    try {
      process.kill(-this.pid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  /** descendants lists the host pids of the wrapper's children, grandchildren... (nginx master and workers). */
  async descendants(): Promise<number[]> {
    const out: number[] = [];
    const queue = [this.pid];
    while (queue.length > 0) {
      const pid = queue.shift()!;
      const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
      for (const c of children.split(/\s+/).filter((x) => x !== '')) {
        out.push(Number(c));
        queue.push(Number(c));
      }
    }
    return out;
  }

  /**
   * crash SIGKILLs the program and everything it started, and waits until all of it has been
   * reaped, not just killed: a zombie still counts for `killall -0`, so a health check run
   * right after must not find one.
   */
  async crash(timeoutMs = 5000): Promise<void> {
    const descendants = await this.descendants();
    const pids = [this.pid, ...descendants];
    if (this.wrapperForks) {
      // Leave nsenter alive to reap the program. Had it died first, the kernel would hand the
      // program to the reaper of nsenter's PID namespace (host init, which takes a second or
      // two), not to the node's init; the program's own children go to the node's init, which
      // reaps at once.
      for (const pid of descendants) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    } else {
      this.killGroup('SIGKILL');
    }
    const timer = setTimeout(() => this.killGroup('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    // Outside an isolation the program's orphans go to host init; there a zombie is as dead
    // as it gets, and killall sees the host's processes anyway.
    const dead = (pid: number) => {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        return true;
      }
      return !this.wrapperForks && /^\d+ \(.*\) Z/.test(stat);
    };
    await waitUntil(async () => pids.every(dead), {
      timeoutMs,
      intervalMs: 10,
      what: `${this.name}: processes ${pids.join(',')} to be reaped`,
    });
  }

  /**
   * stop sends `sig` to the program and waits for it to end; after `timeoutMs` it SIGKILLs
   * the group so a stuck daemon can never hang a test.
   */
  async stop(sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 5000): Promise<ProcessExit> {
    if (!this.running) return this.exited;
    try {
      await this.signal(sig);
    } catch {
      this.killGroup('SIGKILL');
    }
    const timer = sleep(timeoutMs).then(() => 'timeout' as const);
    if ((await Promise.race([this.exited, timer])) === 'timeout') this.killGroup('SIGKILL');
    const exit = await this.exited;
    // The group may still hold children the program left behind (nginx workers); reap them too.
    this.killGroup('SIGKILL');
    return exit;
  }

  /**
   * waitForLine resolves with the first line at index >= `since` matching `pattern`; it fails
   * early if the process exits first, quoting its output.
   */
  waitForLine(pattern: RegExp, timeoutMs: number, since = 0): Promise<LogLine> {
    const found = this.lines.slice(since).find((l) => pattern.test(l.text));
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(onLine);
        fn();
      };
      const onLine = (line: LogLine) => {
        if (pattern.test(line.text)) done(() => resolve(line));
      };
      const timer = setTimeout(
        () => done(() => reject(new HarnessTimeoutError(`${this.name} to log ${pattern}`, timeoutMs))),
        timeoutMs,
      );
      this.waiters.add(onLine);
      void this.exited.then((exit) =>
        done(() =>
          reject(
            new Error(
              `${this.name} exited (code ${exit.exitCode}, signal ${exit.signal}) before logging ${pattern}:\n${this.text()}`,
            ),
          ),
        ),
      );
    });
  }

  private capture(stream: Readable | null, name: LogLine['stream']): void {
    if (!stream) return;
    const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    rl.on('line', (text) => {
      const line: LogLine = { t: nowMs(), stream: name, text };
      this.lines.push(line);
      for (const waiter of this.waiters) waiter(line);
    });
  }
}
