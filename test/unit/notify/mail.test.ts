import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { alertMail, MailQueue, type OutgoingMail, smtpAlertEnabled } from '../../../src/notify/mail.js';

const ctx = { routerId: 'node1', hostname: 'lb1.example', date: new Date('2024-05-01T10:00:00.000Z') };

describe('alertMail: keepalived subjects and bodies, plus host and time', () => {
  const cases = [
    {
      name: 'instance MASTER',
      args: ['INSTANCE', 'VI_1', 'MASTER'] as const,
      subject: '[node1] VRRP Instance VI_1 - Entering MASTER state',
      first: '=> VRRP Instance is now owning VRRP VIPs <=',
    },
    {
      name: 'instance BACKUP',
      args: ['INSTANCE', 'VI_1', 'BACKUP'] as const,
      subject: '[node1] VRRP Instance VI_1 - Entering BACKUP state',
      first: '=> VRRP Instance is nolonger owning VRRP VIPs <=',
    },
    {
      name: 'instance FAULT',
      args: ['INSTANCE', 'VI_1', 'FAULT'] as const,
      subject: '[node1] VRRP Instance VI_1 - Entering FAULT state',
      first: '=> VRRP Instance is nolonger owning VRRP VIPs <=',
    },
    {
      name: 'group MASTER',
      args: ['GROUP', 'VG_1', 'MASTER'] as const,
      subject: '[node1] VRRP Group VG_1 - Entering MASTER state',
      first: '=> All VRRP group instances are now in MASTER state <=',
    },
    {
      name: 'split brain start',
      args: ['INSTANCE', 'VI_1', 'SPLIT_BRAIN'] as const,
      subject: '[node1] VRRP Instance VI_1 - split brain detected',
      first: '=> Another router is also MASTER for this VRRP Instance <=',
    },
    {
      name: 'split brain end',
      args: ['INSTANCE', 'VI_1', 'SPLIT_BRAIN_END'] as const,
      subject: '[node1] VRRP Instance VI_1 - split brain ended',
      first: '=> This router is the only MASTER for this VRRP Instance again <=',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const [kind, name, event] = c.args;
      const m = alertMail(kind, name, event, ctx);
      expect(m?.subject).toBe(c.subject);
      expect(m?.text.split('\n')).toEqual([
        c.first,
        '',
        'Host: lb1.example',
        'Time: 2024-05-01T10:00:00.000Z',
        '',
      ]);
    });
  }
  it('STOP sends no mail (keepalived mails MASTER, BACKUP and FAULT only)', () => {
    expect(alertMail('INSTANCE', 'VI_1', 'STOP', ctx)).toBeUndefined();
  });
});

describe('smtpAlertEnabled mirrors keepalived 2.2.7: own setting, else global, else off', () => {
  const table: [boolean | undefined, boolean | undefined, boolean][] = [
    [undefined, undefined, false],
    [undefined, true, true],
    [undefined, false, false],
    [true, false, true],
    [false, true, false],
  ];
  for (const [own, global, want] of table) {
    it(`own=${own} global=${global} -> ${want}`, () => {
      expect(smtpAlertEnabled(own, { smtpAlert: global })).toBe(want);
    });
  }
});

function mail(n: number): OutgoingMail {
  return { from: 'a@x', to: ['b@x', 'c@x'], subject: `m${n}`, text: 'x' };
}

describe('MailQueue', () => {
  it('sends in order, one at a time, and enqueue returns at once', async () => {
    const sent: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const q = new MailQueue(
      {
        async send(m) {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          // A few turns of the event loop, a random number of them: concurrent sends would interleave.
          for (let i = Math.floor(Math.random() * 5); i >= 0; i--) await new Promise((r) => setImmediate(r));
          sent.push(m.subject);
          inFlight--;
        },
      },
      silentLogger,
    );
    for (let i = 0; i < 10; i++) q.enqueue(mail(i));
    expect(sent).toEqual([]);
    await q.drain();
    expect(sent).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    expect(maxInFlight).toBe(1);
  });

  it('retries a failing server with doubling back-off, logs each failure, gives up after maxAttempts', async () => {
    const delays: number[] = [];
    const logs: string[] = [];
    const log = { ...silentLogger, warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
    let attempts = 0;
    const q = new MailQueue(
      {
        async send() {
          attempts++;
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code: 'ECONNREFUSED' });
        },
      },
      log,
      { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 3000, sleep: async (ms) => void delays.push(ms) },
    );
    q.enqueue(mail(1));
    await q.drain();
    expect(attempts).toBe(4);
    expect(delays).toEqual([1000, 2000, 3000]);
    expect(q.stats).toMatchObject({ sent: 0, failedAttempts: 4, givenUp: 1 });
    expect(logs.filter((l) => /ECONNREFUSED/.test(l))).toHaveLength(4);
    expect(logs.at(-1)).toMatch(/"m1" not sent after 4 attempt/);
  });

  it('bounds an attempt that never ends on the injected clock, then retries and gives up', async () => {
    const clock = new ManualClock();
    const logs: string[] = [];
    const log = { ...silentLogger, warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
    let attempts = 0;
    const q = new MailQueue(
      {
        send: () => {
          attempts++;
          return new Promise<void>(() => {}); // a server that accepted the connection and never answers
        },
      },
      log,
      { clock, maxAttempts: 2, attemptTimeoutMs: 2000, baseDelayMs: 1000 },
    );
    q.enqueue(mail(1));
    const settle = () => new Promise((r) => setImmediate(r));
    await settle();
    clock.advance(2000); // attempt 1 times out
    await settle();
    clock.advance(1000); // back-off
    await settle();
    clock.advance(2000); // attempt 2 times out
    await settle();
    expect(attempts).toBe(2);
    expect(q.stats).toMatchObject({ sent: 0, failedAttempts: 2, givenUp: 1 });
    expect(logs.at(-1)).toMatch(/not sent after 2 attempt\(s\): E_SMTP_TIMEOUT: no answer within 2000 ms/);
  });

  it('delivers once the server is back, keeping order', async () => {
    let up = false;
    const sent: string[] = [];
    const q = new MailQueue(
      {
        async send(m) {
          if (!up) throw new Error('down');
          sent.push(m.subject);
        },
      },
      silentLogger,
      {
        maxAttempts: 3,
        sleep: async () => {
          up = true;
        },
      },
    );
    q.enqueue(mail(1));
    q.enqueue(mail(2));
    await q.drain();
    expect(sent).toEqual(['m1', 'm2']);
  });

  it('bounds memory: a full queue drops its oldest waiting mail and says so', async () => {
    const logs: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sent: string[] = [];
    const q = new MailQueue(
      {
        async send(m) {
          await gate;
          sent.push(m.subject);
        },
      },
      { ...silentLogger, warn: (m: string) => logs.push(m) },
      { maxQueued: 3 },
    );
    for (let i = 0; i < 8; i++) q.enqueue(mail(i));
    // m0 is in flight; m1..m4 were pushed out by m5..m7.
    release();
    await q.drain();
    expect(sent).toEqual(['m0', 'm5', 'm6', 'm7']);
    expect(q.stats.dropped).toBe(4);
    expect(logs.filter((l) => /queue full/.test(l))).toHaveLength(4);
  });
});
