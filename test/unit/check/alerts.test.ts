import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckEvent } from '../../../src/check/scheduler.js';
import { rsFifoLine, rsMailSubject, serviceLine } from '../../../src/check/wording.js';
import { loadConfigText } from '../../../src/config/load.js';
import type { OutgoingMail } from '../../../src/notify/mail.js';
import { CheckerAlerts } from '../../../src/notify/checker-alerts.js';
import { silentLogger } from '../../../src/util/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'kv-check-alerts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = loadConfigText(
  `global_defs {
  router_id lb1
  notification_email {
    ops@example.test
  }
  notification_email_from kv@example.test
  smtp_server 127.0.0.1
  smtp_alert
}
virtual_server 10.0.0.100 80 {
  protocol TCP
  real_server 10.0.0.1 8080 {
    notify_down "/bin/sh -c 'echo down >> ${dir}/notified'"
    notify_up "/bin/sh -c 'echo up >> ${dir}/notified'"
    TCP_CHECK {
    }
  }
}
`,
  'a.conf',
).config!;
const vs = config.virtualServers[0]!;
const rs = vs.realServers[0]!;

describe("checker events in keepalived's words", () => {
  it('formats the service, FIFO and mail lines as ipwrapper.c and core/smtp.c do', () => {
    expect(serviceLine(vs, rs, false)).toBe(
      'Removing service [10.0.0.1]:tcp:8080 from VS [10.0.0.100]:tcp:80',
    );
    expect(serviceLine(vs, rs, true)).toBe('Adding service [10.0.0.1]:tcp:8080 to VS [10.0.0.100]:tcp:80');
    expect(serviceLine(vs, { ...rs, inhibitOnFailure: true }, false)).toBe(
      'Disabling service [10.0.0.1]:tcp:8080 of VS [10.0.0.100]:tcp:80',
    );
    expect(rsFifoLine(vs, rs, false)).toBe('RS [10.0.0.1]:tcp:8080 [10.0.0.100]:tcp:80 DOWN\n');
    expect(rsMailSubject('lb1', vs, rs, true)).toBe(
      '[lb1] Realserver [10.0.0.1]:tcp:8080 of virtual server [10.0.0.100]:tcp:80 - UP',
    );
  });

  it('runs notify_down / notify_up in order and mails each checker flip with its body', async () => {
    const mails: OutgoingMail[] = [];
    const alerts = new CheckerAlerts(config, silentLogger, {
      mailTransport: { send: async (m) => void mails.push(m) },
    });
    const checker = rs.checkers[0]!;
    const events: CheckEvent[] = [
      {
        type: 'checker',
        vs,
        rs,
        checker,
        up: false,
        mailBody: '=> TCP CHECK failed on service <=',
        rsChanged: true,
        checkerChanged: true,
      },
      { type: 'real-server', key: 'k', vs, rs, alive: false, initial: false },
      {
        type: 'checker',
        vs,
        rs,
        checker,
        up: true,
        mailBody: '=> TCP CHECK succeed on service <=',
        rsChanged: true,
        checkerChanged: true,
      },
      { type: 'real-server', key: 'k', vs, rs, alive: true, initial: false },
      // A first run that confirms the start state neither mails nor notifies.
      { type: 'checker', vs, rs, checker, up: true, mailBody: 'x', rsChanged: false, checkerChanged: false },
      { type: 'real-server', key: 'k', vs, rs, alive: true, initial: true },
    ];
    for (const e of events) alerts.handle(e);
    await alerts.drain();
    alerts.close();
    expect(readFileSync(join(dir, 'notified'), 'utf8')).toBe('down\nup\n');
    expect(mails.map((m) => m.subject)).toEqual([
      '[lb1] Realserver [10.0.0.1]:tcp:8080 of virtual server [10.0.0.100]:tcp:80 - DOWN',
      '[lb1] Realserver [10.0.0.1]:tcp:8080 of virtual server [10.0.0.100]:tcp:80 - UP',
    ]);
    expect(mails[0]!.text.split('\n')[0]).toBe('=> TCP CHECK failed on service <=');
    expect(mails[0]).toMatchObject({ from: 'kv@example.test', to: ['ops@example.test'] });
  });

  it('smtp_alert per real server, else per virtual server, else global decides the checker mails', async () => {
    const cfg = (globalOn: boolean, vsLine: string, rsLines: [string, string]) =>
      loadConfigText(
        `global_defs {
  router_id lb1
  notification_email {
    ops@example.test
  }
  notification_email_from kv@example.test
  smtp_server 127.0.0.1
  ${globalOn ? 'smtp_alert' : ''}
}
virtual_server 10.0.0.100 80 {
  protocol TCP
  ${vsLine}
  real_server 10.0.0.1 8080 {
    ${rsLines[0]}
    TCP_CHECK {
    }
  }
  real_server 10.0.0.2 8080 {
    ${rsLines[1]}
    TCP_CHECK {
    }
  }
}
`,
        'm.conf',
      ).config!;
    const mailedServers = async (c: ReturnType<typeof cfg>) => {
      const mails: OutgoingMail[] = [];
      const a = new CheckerAlerts(c, silentLogger, {
        mailTransport: { send: async (m) => void mails.push(m) },
      });
      const v = c.virtualServers[0]!;
      for (const r of v.realServers)
        a.handle({
          type: 'checker',
          vs: v,
          rs: r,
          checker: r.checkers[0]!,
          up: false,
          mailBody: 'b',
          rsChanged: true,
          checkerChanged: true,
        });
      await a.drain();
      a.close();
      return mails.map((m) => m.subject.split(' ')[2]);
    };
    // Global on, one real server off.
    expect(await mailedServers(cfg(true, '', ['smtp_alert off', '']))).toEqual(['[10.0.0.2]:tcp:8080']);
    // Global off, the virtual server on, one real server off.
    expect(await mailedServers(cfg(false, 'smtp_alert', ['', 'smtp_alert no']))).toEqual([
      '[10.0.0.1]:tcp:8080',
    ]);
    // Global off, only one real server on.
    expect(await mailedServers(cfg(false, '', ['', 'smtp_alert on']))).toEqual(['[10.0.0.2]:tcp:8080']);
  });
});
