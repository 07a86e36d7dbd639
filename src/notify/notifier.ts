/**
 * Notifier is the one place transitions and alerts leave the daemon: notify scripts (serialised
 * per instance), and — as they are added — the notify FIFO, SMTP alerts and split-brain alerts.
 * The runner calls it; it never blocks the runner (every method returns at once).
 */
import type { KeepvipConfig, VrrpInstance } from '../config/model.js';
import type { Logger } from '../log/logger.js';
import { commandsFor, NotifyQueue, type NotifyState } from './notify-scripts.js';

/** Notifier fans transitions out to scripts, FIFO and mail. */
export class Notifier {
  private readonly scripts: NotifyQueue;

  constructor(
    private readonly config: KeepvipConfig,
    private readonly log: Logger,
  ) {
    this.scripts = new NotifyQueue(log, config.globalDefs.notifyScriptTimeoutMs);
  }

  /** instanceTransition reports that an instance entered a state, with its effective priority. */
  instanceTransition(inst: VrrpInstance, state: NotifyState, priority: number): void {
    const commands = commandsFor(inst.notify, 'INSTANCE', inst.name, state, priority);
    if (commands.length > 0) void this.scripts.enqueue(`instance/${inst.name}`, commands);
  }

  /** advertWhileMaster reports an advertisement an instance heard while it was MASTER (split-brain evidence). */
  advertWhileMaster(_inst: VrrpInstance, _priority: number, _srcAddress: string): void {}

  /** drain waits for queued scripts and mails (bounded by their own timeouts). */
  async drain(): Promise<void> {
    await this.scripts.drain();
  }
}
