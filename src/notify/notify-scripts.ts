/**
 * Notify scripts with keepalived's conventions: notify_master / notify_backup / notify_fault /
 * notify_stop run with their configured arguments only; `notify` gets INSTANCE|GROUP, the name,
 * the state and the priority appended. Scripts of one instance run one after another in the
 * order of its transitions (keepalived runs them concurrently and users see them out of order,
 * keepalived issue #996); different instances run in parallel. Each run goes through the one
 * spawn helper (util/spawn.ts): own process group killed at the timeout, script_user applied,
 * done when the script exits (a daemon it started in the background does not hold the queue).
 * Nothing here blocks the VRRP loop.
 */
import type { NotifyCommands } from '../config/model.js';
import type { Clock } from '../util/clock.js';
import { resolveInvocation } from '../util/command.js';
import type { Logger } from '../util/logger.js';
import { type ProcessCall, type ProcessIdentity, runProcess } from '../util/spawn.js';

/** NotifyState is the state word keepalived passes to `notify` scripts. */
export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

/**
 * NotifyEvent is what keepvip passes to `notify`: keepalived's states plus SPLIT_BRAIN and
 * SPLIT_BRAIN_END, keepvip's own, given to `notify` only (never to notify_master and friends).
 */
export type NotifyEvent = NotifyState | 'SPLIT_BRAIN' | 'SPLIT_BRAIN_END';

/** ScriptCall is one program to run: file and argv. */
export type ScriptCall = ProcessCall;

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

/** NotifyRunOptions: the clock for timeouts and who a script runs as (script_user). */
export interface NotifyRunOptions {
  clock: Clock;
  identity?: ProcessIdentity;
}

/** NOTIFY_OUTPUT_BYTES: the tail of a notify script's stderr kept for the log. */
const NOTIFY_OUTPUT_BYTES = 400;

/** NotifyQueue serialises notify scripts per instance or group. */
export class NotifyQueue {
  private readonly chains = new Map<string, Promise<void>>();
  /** ran counts finished script runs (for tests and status). */
  ran = 0;

  constructor(
    private readonly log: Logger,
    private readonly timeoutMs: number,
    private readonly clock: Clock,
  ) {}

  /**
   * pace hands out one event-loop turn per script start. Starting a process blocks the loop
   * while the kernel copies this one (about 12 ms at 100 MB); fifty instances failing over
   * together started fifty notify scripts in one turn and held every VRRP timer for 600 ms.
   * One start per turn lets due timers run between them.
   */
  private pace: Promise<void> = Promise.resolve();

  private nextTurn(): Promise<void> {
    const turn = this.pace.then(() => new Promise<void>((r) => setImmediate(r)));
    this.pace = turn;
    return turn;
  }

  /** enqueue runs the commands (as `identity`, default root) after the ones already queued for the same key. */
  enqueue(key: string, commands: ScriptCall[], identity?: ProcessIdentity): Promise<void> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.then(async () => {
      for (const c of commands) {
        await this.nextTurn();
        const r = await runProcess(c, {
          clock: this.clock,
          timeoutMs: this.timeoutMs,
          identity,
          output: 'stderr',
          maxOutputBytes: NOTIFY_OUTPUT_BYTES,
        });
        this.ran++;
        const what = `notify script ${[c.file, ...c.args].join(' ').slice(0, 200)}`;
        if (r.error) this.log.warn(`${what} could not start: ${r.error}`);
        else if (r.timedOut) this.log.warn(`${what} timed out after ${this.timeoutMs} ms; killed`);
        else if (r.exitCode !== 0) {
          this.log.warn(`${what} exited with ${r.exitCode ?? r.signal}: ${r.output.trim().slice(-200)}`);
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
