/**
 * Notify scripts with keepalived's conventions: notify_master / notify_backup / notify_fault /
 * notify_stop run with their configured arguments only; `notify` gets INSTANCE|GROUP, the name,
 * the state and the priority appended. Scripts of one instance run one after another in the
 * order of its transitions (keepalived runs them concurrently and users see them out of order,
 * keepalived issue #996); different instances run in parallel. Each run has a timeout and never
 * blocks the VRRP loop.
 */
import { spawn } from 'node:child_process';
import type { NotifyCommands } from '../config/model.js';
import type { Logger } from '../util/logger.js';
import { resolveInvocation } from '../util/command.js';

/** NotifyState is the state word keepalived passes to `notify` scripts. */
export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

/**
 * NotifyEvent is what keepvip passes to `notify`: keepalived's states plus SPLIT_BRAIN and
 * SPLIT_BRAIN_END, keepvip's own, given to `notify` only (never to notify_master and friends).
 */
export type NotifyEvent = NotifyState | 'SPLIT_BRAIN' | 'SPLIT_BRAIN_END';

/** ScriptCall is one program to run: file and argv. */
export interface ScriptCall {
  file: string;
  args: string[];
}

/** commandsFor returns the argv lists to run for one event, in keepalived's order (specific first, then notify). */
export function commandsFor(
  notify: NotifyCommands,
  kind: 'INSTANCE' | 'GROUP',
  name: string,
  state: NotifyEvent,
  priority: number,
): ScriptCall[] {
  const out: ScriptCall[] = [];
  const specific: Partial<Record<NotifyEvent, string | undefined>> = {
    MASTER: notify.master,
    BACKUP: notify.backup,
    FAULT: notify.fault,
    STOP: notify.stop,
  };
  const own = specific[state];
  if (own) out.push(resolveInvocation(own));
  if (notify.any) {
    const extra = [kind, name, state, String(priority)];
    const inv = resolveInvocation(notify.any);
    // Through a shell the extra words become "$@" of the command string.
    out.push(
      inv.viaShell
        ? { file: '/bin/bash', args: ['-c', `${notify.any} "$@"`, 'notify', ...extra] }
        : { file: inv.file, args: [...inv.args, ...extra] },
    );
  }
  return out;
}

/** ScriptOutcome is how one notify script ended. */
export interface ScriptOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stderr: string;
  error?: string;
}

/** KILL_GRACE_MS is how long a timed-out script's process group gets between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 1000;

/**
 * runScript runs one call in its own process group and resolves when the program itself exits
 * (not when every descendant has closed stderr: a script that starts a daemon in the
 * background must not hold the queue). On timeout the whole group gets SIGTERM, then SIGKILL.
 */
export function runScript(call: ScriptCall, timeoutMs: number): Promise<ScriptOutcome> {
  return new Promise((resolve) => {
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const child = spawn(call.file, call.args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // The group is already gone.
      }
    };
    let hardKill: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      hardKill = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    }, timeoutMs);
    child.stderr?.on('data', (d: Buffer) => {
      // Keep only the tail: the log shows the last words of a failing script, memory stays bounded.
      stderr = (stderr + d.toString()).slice(-400);
    });
    const finish = (o: Omit<ScriptOutcome, 'stderr' | 'timedOut'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // After a timeout the SIGKILL still goes to any descendant that ignored SIGTERM.
      if (!timedOut && hardKill) clearTimeout(hardKill);
      child.stderr?.destroy();
      resolve({ ...o, timedOut, stderr });
    };
    child.on('error', (err) => finish({ exitCode: null, signal: null, error: err.message }));
    child.on('exit', (code, signal) => finish({ exitCode: code, signal }));
  });
}

/** NotifyQueue serialises notify scripts per instance or group. */
export class NotifyQueue {
  private readonly chains = new Map<string, Promise<void>>();
  /** ran counts finished script runs (for tests and status). */
  ran = 0;

  constructor(
    private readonly log: Logger,
    private readonly timeoutMs: number,
  ) {}

  /** enqueue runs the commands after the ones already queued for the same key. */
  enqueue(key: string, commands: ScriptCall[]): Promise<void> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.then(async () => {
      for (const c of commands) {
        const r = await runScript(c, this.timeoutMs);
        this.ran++;
        const what = `notify script ${[c.file, ...c.args].join(' ').slice(0, 200)}`;
        if (r.error) this.log.warn(`${what} could not start: ${r.error}`);
        else if (r.timedOut) this.log.warn(`${what} timed out after ${this.timeoutMs} ms; killed`);
        else if (r.exitCode !== 0) {
          this.log.warn(`${what} exited with ${r.exitCode ?? r.signal}: ${r.stderr.trim().slice(-200)}`);
        }
      }
    });
    this.chains.set(key, next);
    // Forget a finished chain so a long-running daemon does not keep one promise per key forever.
    void next.then(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
    return next;
  }

  /** drain waits for every queued script. */
  async drain(): Promise<void> {
    while (this.chains.size > 0) await Promise.all(this.chains.values());
  }
}
