/**
 * Notify scripts with keepalived's conventions: notify_master / notify_backup / notify_fault /
 * notify_stop run with their configured arguments only; `notify` gets INSTANCE|GROUP, the name,
 * the state and the priority appended. Scripts of one instance run one after another in the
 * order of its transitions (keepalived runs them concurrently and users see them out of order);
 * different instances run in parallel. Each run has a timeout and never blocks the VRRP loop.
 */
import { execa } from 'execa';
import type { NotifyCommands } from '../config/model.js';
import type { Logger } from '../log/logger.js';
import { resolveInvocation } from '../track/command.js';

/** NotifyState is the state word keepalived passes to `notify` scripts. */
export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

/** commandsFor returns the argv lists to run for one transition, in keepalived's order (specific first, then notify). */
export function commandsFor(
  notify: NotifyCommands,
  kind: 'INSTANCE' | 'GROUP',
  name: string,
  state: NotifyState,
  priority: number,
): { file: string; args: string[] }[] {
  const out: { file: string; args: string[] }[] = [];
  const specific = { MASTER: notify.master, BACKUP: notify.backup, FAULT: notify.fault, STOP: notify.stop }[
    state
  ];
  if (specific) out.push(resolveInvocation(specific));
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

/** NotifyQueue serialises notify scripts per instance or group. */
export class NotifyQueue {
  private readonly chains = new Map<string, Promise<void>>();
  constructor(
    private readonly log: Logger,
    private readonly timeoutMs: number,
  ) {}

  /** enqueue runs the commands after the ones already queued for the same key. */
  enqueue(key: string, commands: { file: string; args: string[] }[]): Promise<void> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.then(async () => {
      for (const c of commands) {
        const r = await execa(c.file, c.args, {
          reject: false,
          timeout: this.timeoutMs,
          forceKillAfterDelay: 1000,
          stdin: 'ignore',
          stdout: 'ignore',
          stderr: 'pipe',
        });
        if (r.timedOut) this.log.warn(`notify script ${c.file} timed out after ${this.timeoutMs} ms; killed`);
        else if (r.exitCode !== 0) {
          this.log.warn(
            `notify script ${c.file} exited with ${r.exitCode ?? r.signal}: ${String(r.stderr).slice(-200)}`,
          );
        }
      }
    });
    this.chains.set(key, next);
    return next;
  }

  /** drain waits for every queued script. */
  async drain(): Promise<void> {
    await Promise.all(this.chains.values());
  }
}
