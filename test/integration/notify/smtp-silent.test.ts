/**
 * An SMTP server that accepts TCP and never answers must not stall anything: a real TCP
 * listener on loopback that accepts every connection and never writes a byte (no 220
 * greeting), keepvip's real nodemailer transport with smtp_connect_timeout 1, and the
 * Notifier fed transitions meanwhile. Transitions return at once, notify scripts keep
 * running in order, each mail attempt ends at its bound, the mail is given up after its
 * attempts, and stopping (drain) is bounded.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { Notifier } from '../../../src/notify/notifier.js';
import { silentLogger } from '../../../src/util/logger.js';
import { notifierConfig } from './notifier-config.js';

const dir = mkdtempSync(join(tmpdir(), 'kv-smtp-silent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SMTP server that never answers', () => {
  it('an SMTP server that accepts TCP and never answers stalls nothing', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => {
      sockets.push(s); // accepted, and never a byte back
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const events = join(dir, 'events.log');
    const notify = join(dir, 'notify.sh');
    writeFileSync(notify, `#!/bin/bash\necho "$*" >> ${events}\n`, { mode: 0o755 });
    const config = notifierConfig(
      dir,
      `  router_id silent
  notification_email {
    ops@example.com
  }
  notification_email_from keepvip@silent
  smtp_server 127.0.0.1 ${port}
  smtp_connect_timeout 1
  smtp_alert`,
      `  notify ${notify}`,
    );
    expect(config.globalDefs.smtpConnectTimeoutMs).toBe(1000);
    const logs: string[] = [];
    const log = { ...silentLogger, warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
    const n = new Notifier(config, log, { prober: null, mailQueue: { maxAttempts: 2, baseDelayMs: 200 } });
    const inst = config.vrrpInstances[0]!;
    try {
      const t0 = performance.now();
      for (let i = 0; i < 10; i++) n.instanceTransition(inst, i % 2 === 0 ? 'MASTER' : 'BACKUP', 100);
      const transitionsMs = performance.now() - t0;
      // The notify scripts run and finish while every mail is stuck on the silent server.
      for (
        let i = 0;
        i < 500 && (readFileSync(events, { flag: 'a+' }).toString().match(/\n/g) ?? []).length < 10;
        i++
      ) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const lines = readFileSync(events, 'utf8').trim().split('\n');
      expect(lines).toEqual(
        Array.from({ length: 10 }, (_, i) => `INSTANCE VI_1 ${i % 2 === 0 ? 'MASTER' : 'BACKUP'} 100`),
      );
      expect(sockets.length).toBeGreaterThanOrEqual(1); // the mail queue did connect
      // The first mail: two attempts, each ended by the greeting timeout, then given up.
      for (let i = 0; i < 500 && (n.mailStats?.givenUp ?? 0) < 1; i++)
        await new Promise((r) => setTimeout(r, 20));
      const firstGivenUpMs = performance.now() - t0;
      expect(n.mailStats).toMatchObject({ sent: 0, givenUp: 1, failedAttempts: 2 });
      expect(logs.find((l) => /not sent after 2 attempt/.test(l))).toMatch(
        /[Gg]reeting|timeout|E_SMTP_TIMEOUT/i,
      );
      const d0 = performance.now();
      await n.drain(); // bounded: the 9 queued mails are dropped, the one in flight abandoned
      const drainMs = performance.now() - d0;
      console.log(
        `[smtp-silent] 10 transitions in ${transitionsMs.toFixed(1)} ms; 10 notify scripts done; ` +
          `first mail given up after ${Math.round(firstGivenUpMs)} ms (2 attempts, smtp_connect_timeout 1 s); ` +
          `drain ${Math.round(drainMs)} ms; ${sockets.length} connection(s) accepted`,
      );
      expect(logs.some((l) => /stopping with \d+ SMTP alert\(s\) not delivered/.test(l))).toBe(true);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});
