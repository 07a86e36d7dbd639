/**
 * SMTP alerts. Subjects and first body line are keepalived's (vrrp.c vrrp_smtp_notifier,
 * vrrp_sync.c): `[<router_id>] VRRP Instance VI_1 - Entering MASTER state` with
 * `=> VRRP Instance is now owning VRRP VIPs <=`; keepvip adds the host name and time to the
 * body. Mails go through nodemailer in plain SMTP like keepalived's hand-written client (no
 * STARTTLS), one connection per mail, to every notification_email address at once.
 *
 * MailQueue sends them one at a time in order; a server that is down or slow gets a bounded
 * number of attempts with exponential back-off, each failure is logged, and the queue has a
 * fixed size (the oldest waiting mail is dropped, and logged, when it is full), so a dead mail
 * server never delays a transition nor grows memory. A server that accepts the connection and
 * never says a word is bounded twice: nodemailer's connection, greeting and socket timeouts
 * (smtp_connect_timeout), and an overall bound per attempt on the injected clock, so no attempt
 * waits for ever whatever the library does. Back-off and the stop-time drain use the clock too.
 */
import type { Transporter } from 'nodemailer';
import type { GlobalDefs } from '../config/model.js';
import { type Clock, systemClock } from '../util/clock.js';
import { KeepvipError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { NotifyEvent } from './notify-scripts.js';

/** AlertMail is one message to send: subject and plain-text body. */
export interface AlertMail {
  subject: string;
  text: string;
}

/** AlertContext says where and when an alert happened (host name and time go in the body). */
export interface AlertContext {
  routerId: string;
  hostname: string;
  date: Date;
}

// keepalived's texts per state, for instances and sync groups.
const INSTANCE_BODY: Partial<Record<NotifyEvent, string>> = {
  MASTER: '=> VRRP Instance is now owning VRRP VIPs <=',
  BACKUP: '=> VRRP Instance is nolonger owning VRRP VIPs <=',
  FAULT: '=> VRRP Instance is nolonger owning VRRP VIPs <=',
};

/** alertMail builds the mail for an event of an instance or group, or undefined when keepalived sends none (STOP). */
export function alertMail(
  kind: 'INSTANCE' | 'GROUP',
  name: string,
  event: NotifyEvent,
  ctx: AlertContext,
  detail?: string,
): AlertMail | undefined {
  const what = kind === 'INSTANCE' ? 'VRRP Instance' : 'VRRP Group';
  let headline: string;
  let first: string;
  if (event === 'SPLIT_BRAIN' || event === 'SPLIT_BRAIN_END') {
    headline = event === 'SPLIT_BRAIN' ? 'split brain detected' : 'split brain ended';
    first =
      event === 'SPLIT_BRAIN'
        ? '=> Another router is also MASTER for this VRRP Instance <='
        : '=> This router is the only MASTER for this VRRP Instance again <=';
  } else if (event === 'STOP') {
    return undefined;
  } else {
    headline = `Entering ${event} state`;
    first =
      kind === 'INSTANCE'
        ? (INSTANCE_BODY[event] ?? '')
        : `=> All VRRP group instances are now in ${event} state <=`;
  }
  const lines = [first, '', `Host: ${ctx.hostname}`, `Time: ${ctx.date.toISOString()}`];
  if (detail) lines.push(`Detail: ${detail}`);
  return { subject: `[${ctx.routerId}] ${what} ${name} - ${headline}`, text: `${lines.join('\n')}\n` };
}

/**
 * smtpAlertEnabled mirrors keepalived 2.2.7 (vrrp.c, after parsing): an instance's or group's
 * own `smtp_alert` wins, else the global `smtp_alert`, else no mail.
 */
export function smtpAlertEnabled(own: boolean | undefined, globals: Pick<GlobalDefs, 'smtpAlert'>): boolean {
  return own ?? globals.smtpAlert ?? false;
}

/** OutgoingMail is a mail with its envelope. */
export interface OutgoingMail extends AlertMail {
  from: string;
  to: string[];
}

/** MailTransport delivers one mail or rejects. */
export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
}

/** nodemailerTransport is the real transport: plain SMTP to smtp_server with keepalived's settings. */
export function nodemailerTransport(g: GlobalDefs): MailTransport | undefined {
  const server = g.smtpServer;
  if (!server) return undefined;
  // nodemailer is loaded on the first mail: a daemon that never mails does not carry its ~10 MB.
  let transport: Promise<Transporter> | undefined;
  const load = () =>
    import('nodemailer').then((m) =>
      m.default.createTransport({
        host: server.host,
        port: server.port,
        secure: false,
        ignoreTLS: true,
        name: g.smtpHeloName,
        connectionTimeout: g.smtpConnectTimeoutMs,
        greetingTimeout: g.smtpConnectTimeoutMs,
        socketTimeout: g.smtpConnectTimeoutMs,
      }),
    );
  return {
    async send(m) {
      transport ??= load();
      const t = await transport;
      await t.sendMail({
        from: m.from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        headers: { 'X-Mailer': 'Keepvip' },
      });
    },
  };
}

/**
 * MailQueueOptions bound the queue; defaults: 64 waiting mails, 4 attempts, back-off 1 s
 * doubling to 8 s, 60 s per attempt at most, the system clock.
 */
export interface MailQueueOptions {
  maxQueued?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** attemptTimeoutMs bounds one delivery attempt, whatever the transport does. */
  attemptTimeoutMs?: number;
  clock?: Clock;
  /** sleep waits between attempts (default: a timer on `clock`); tests may inject a fake. */
  sleep?: (ms: number) => Promise<void>;
}

/** smtpAttemptTimeoutMs is the overall bound of one attempt: connect and greeting each get smtp_connect_timeout. */
export function smtpAttemptTimeoutMs(g: Pick<GlobalDefs, 'smtpConnectTimeoutMs'>): number {
  return 2 * g.smtpConnectTimeoutMs;
}

/** clockDelay resolves after `ms` on `clock`, or at once when `cancel` is called first. */
function clockDelay(clock: Clock, ms: number): { done: Promise<void>; cancel: () => void } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const timer = clock.at(clock.nowMs() + ms, () => resolve());
  return {
    done,
    cancel: () => {
      timer.cancel();
      resolve();
    },
  };
}

/** MailStats count what happened to mails. */
export interface MailStats {
  sent: number;
  failedAttempts: number;
  givenUp: number;
  dropped: number;
}

/** MailQueue sends mails one at a time, in order, with bounded retries and a bounded queue. */
export class MailQueue {
  readonly stats: MailStats = { sent: 0, failedAttempts: 0, givenUp: 0, dropped: 0 };
  private readonly waiting: OutgoingMail[] = [];
  private running: Promise<void> | undefined;
  private stopping = false;
  private readonly o: Required<Omit<MailQueueOptions, 'clock'>>;
  private readonly clock: Clock;

  constructor(
    private readonly transport: MailTransport,
    private readonly log: Logger,
    options: MailQueueOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.o = {
      maxQueued: options.maxQueued ?? 64,
      maxAttempts: options.maxAttempts ?? 4,
      baseDelayMs: options.baseDelayMs ?? 1000,
      maxDelayMs: options.maxDelayMs ?? 8000,
      attemptTimeoutMs: options.attemptTimeoutMs ?? 60_000,
      sleep: options.sleep ?? ((ms) => clockDelay(this.clock, ms).done),
    };
  }

  /** pending is the number of mails not yet sent or given up (including one in flight). */
  get pending(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  /** enqueue adds a mail and returns at once. */
  enqueue(mail: OutgoingMail): void {
    if (this.stopping) return;
    if (this.waiting.length >= this.o.maxQueued) {
      const old = this.waiting.shift()!;
      this.stats.dropped++;
      this.log.warn(`SMTP alert queue full (${this.o.maxQueued}); dropped "${old.subject}"`);
    }
    this.waiting.push(mail);
    this.kick();
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.run().finally(() => {
      this.running = undefined;
      // A mail queued between the loop's last look and this callback still goes out.
      if (this.waiting.length > 0 && !this.stopping) this.kick();
    });
  }

  /** drain waits up to `boundMs` for queued mails, then gives up on the rest and logs how many. */
  async drain(boundMs = 5000): Promise<void> {
    if (this.running) {
      const bound = clockDelay(this.clock, boundMs);
      await Promise.race([this.running, bound.done]);
      bound.cancel();
    }
    this.stopping = true;
    const lost = this.waiting.length + (this.running ? 1 : 0);
    this.waiting.length = 0;
    if (lost > 0) this.log.warn(`stopping with ${lost} SMTP alert(s) not delivered`);
  }

  private async run(): Promise<void> {
    for (;;) {
      const mail = this.waiting.shift();
      if (!mail) return;
      await this.deliver(mail);
    }
  }

  /** attempt is one delivery, rejected with E_SMTP_TIMEOUT when it outlives attemptTimeoutMs. */
  private async attempt(mail: OutgoingMail): Promise<void> {
    const bound = clockDelay(this.clock, this.o.attemptTimeoutMs);
    const timedOut = bound.done.then(() => {
      throw new KeepvipError('E_SMTP_TIMEOUT', `no answer within ${this.o.attemptTimeoutMs} ms`);
    });
    try {
      await Promise.race([this.transport.send(mail), timedOut]);
    } finally {
      timedOut.catch(() => {});
      bound.cancel();
    }
  }

  private async deliver(mail: OutgoingMail): Promise<void> {
    for (let attempt = 1; attempt <= this.o.maxAttempts; attempt++) {
      try {
        await this.attempt(mail);
        this.stats.sent++;
        this.log.info(`SMTP alert successfully sent: "${mail.subject}" to ${mail.to.join(', ')}`);
        return;
      } catch (err) {
        this.stats.failedAttempts++;
        const code = (err as NodeJS.ErrnoException).code;
        const why = code ? `${code}: ${(err as Error).message}` : (err as Error).message;
        if (attempt === this.o.maxAttempts || this.stopping) {
          this.stats.givenUp++;
          this.log.error(`SMTP alert "${mail.subject}" not sent after ${attempt} attempt(s): ${why}`);
          return;
        }
        const delayMs = Math.min(this.o.baseDelayMs * 2 ** (attempt - 1), this.o.maxDelayMs);
        this.log.warn(
          `SMTP alert "${mail.subject}" failed (attempt ${attempt}/${this.o.maxAttempts}): ${why}; retrying in ${delayMs} ms`,
        );
        await this.o.sleep(delayMs);
      }
    }
  }
}
