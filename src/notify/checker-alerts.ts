/**
 * CheckerAlerts carries the checkers' events out of the daemon as keepalived 2.2.7 does
 * (ipwrapper.c do_rs_notifies, notify_fifo_rs; check_*.c smtp_alert; core/smtp.c subjects):
 *
 * - a real server going up or down runs its `notify_up` / `notify_down` (serialised per real
 *   server, through the notify queue and the spawn helper, as script_user) and writes
 *   `RS [IP]:tcp:PORT [VIP]:tcp:PORT UP|DOWN` to the notify FIFO; a first run that finds a
 *   server down notifies too (update_svr_checker_state on !has_run);
 * - a checker that flips mails `[ROUTER_ID] Realserver [IP]:tcp:PORT of virtual server
 *   [VIP]:tcp:PORT - UP|DOWN` with the checker's body (`=> TCP CHECK failed on service <=`) when
 *   smtp_alert is on: the real server's own, else its virtual server's, else the global one.
 */
import { hostname } from 'node:os';
import type { CheckEvent } from '../check/scheduler.js';
import { rsFifoLine, rsMailSubject } from '../check/wording.js';
import type { KeepvipConfig } from '../config/model.js';
import { type Clock, systemClock } from '../util/clock.js';
import { resolveInvocation } from '../util/command.js';
import type { Logger } from '../util/logger.js';
import { scriptPolicy } from '../util/script-security.js';
import { NotifyFifo } from './fifo.js';
import { MailQueue, type MailTransport, nodemailerTransport, smtpAttemptTimeoutMs } from './mail.js';
import { NotifyQueue } from './notify-scripts.js';

/** CheckerAlertsOptions: the clock, and the mail transport (null disables mail; tests inject one). */
export interface CheckerAlertsOptions {
  clock?: Clock;
  mailTransport?: MailTransport | null;
}

/** CheckerAlerts turns CheckEvents into notify scripts, FIFO lines and mail. */
export class CheckerAlerts {
  private readonly scripts: NotifyQueue;
  private fifo: NotifyFifo | undefined;
  private mail: MailQueue | undefined;
  private readonly clock: Clock;

  constructor(
    private config: KeepvipConfig,
    private readonly log: Logger,
    private readonly options: CheckerAlertsOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.scripts = new NotifyQueue(log, config.globalDefs.notifyScriptTimeoutMs, this.clock);
    this.open(config);
  }

  /** handle takes one event from CheckScheduler.onEvent; it returns at once (the work is queued). */
  handle(e: CheckEvent): void {
    if (e.type === 'real-server') {
      if (e.initial && e.alive) return;
      const script = e.alive ? e.rs.notifyUp : e.rs.notifyDown;
      if (script !== undefined) {
        const policy = scriptPolicy(
          script,
          this.config.globalDefs.scriptUser,
          this.config.globalDefs.enableScriptSecurity,
        );
        if (policy.refused !== undefined)
          this.log.warn(
            `SECURITY VIOLATION - notify_${e.alive ? 'up' : 'down'} ${script} is not run: ${policy.refused}`,
          );
        else void this.scripts.enqueue(e.key, [resolveInvocation(script)], policy.identity);
      }
      this.fifo?.write(rsFifoLine(e.vs, e.rs, e.alive));
      return;
    }
    const g = this.config.globalDefs;
    // keepalived: a real server's smtp_alert, else its virtual server's, else the global one.
    const mailOn = e.rs.smtpAlert ?? e.vs.smtpAlert ?? g.smtpAlert === true;
    if (!e.checkerChanged || this.mail === undefined || !mailOn) return;
    this.mail.enqueue({
      from: g.notificationEmailFrom,
      to: g.notificationEmail,
      subject: rsMailSubject(g.routerId, e.vs, e.rs, e.up),
      text: `${e.mailBody}\n\nHost: ${hostname()}\nTime: ${new Date().toISOString()}\n`,
    });
  }

  /** reconfigure takes a reloaded configuration (FIFO and mail rebuilt). */
  reconfigure(next: KeepvipConfig): void {
    this.close();
    this.config = next;
    this.open(next);
  }

  /** drain waits for queued scripts and mail. */
  async drain(): Promise<void> {
    await this.scripts.drain();
    await this.mail?.drain();
  }

  /** close closes the FIFO. */
  close(): void {
    this.fifo?.close();
    this.fifo = undefined;
  }

  private open(config: KeepvipConfig): void {
    const g = config.globalDefs;
    // The VRRP notifier starts notify_fifo_script; this writer only adds the RS lines.
    if (g.notifyFifo !== undefined)
      this.fifo = NotifyFifo.open(g.notifyFifo.path, undefined, this.log, { clock: this.clock });
    const transport =
      this.options.mailTransport === null
        ? undefined
        : (this.options.mailTransport ?? nodemailerTransport(g));
    this.mail =
      transport !== undefined && g.notificationEmail.length > 0
        ? new MailQueue(transport, this.log, { clock: this.clock, attemptTimeoutMs: smtpAttemptTimeoutMs(g) })
        : undefined;
  }
}
