import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { nowMs } from '../../../bench/lib/clock.js';
import { dropVrrp, linkDown, linkUp, restoreVrrp } from '../../helpers/faults.js';
import { DEFAULT_PRIVATE_PATHS } from '../../helpers/isolation.js';
import { SEED_CONFIGS } from '../../helpers/seeds.js';
import { startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import type { ManagedProcess } from '../../helpers/processes.js';
import { createTopology, leftoverNetns, type TopoNode, type Topology } from '../../helpers/topology.js';
import { sleep, waitUntil } from '../../helpers/wait.js';
import { ensureDist } from '../../helpers/dist.js';

// Notifications end to end: two keepvip nodes (priorities 150 / 100), each in its own PID and
// mount namespace with a real SMTP server (the smtp-server package) on 127.0.0.1:25 inside the
// node's network namespace. The seed's 001-notify.sh runs unchanged as notify_master/backup/
// fault and mails through bsd-mailx -> msmtp (configured per node in the node's private /root),
// keepvip's own SMTP alerts go through nodemailer, and a `notify` script records its arguments.
const PREFIX = 'kvntf';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[notify.test] SKIPPED: ${skipReason}`);

// The SMTP sink: one JSON line per received mail on stdout.
const SMTP_SINK = `
import { SMTPServer } from 'smtp-server';
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, cb) {
    let data = '';
    stream.on('data', (c) => (data += c));
    stream.on('end', () => {
      console.log('MAIL ' + JSON.stringify({
        from: session.envelope.mailFrom && session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map((r) => r.address),
        helo: session.hostNameAppearsAs,
        data,
      }));
      cb();
    });
  },
});
server.listen(25, '127.0.0.1', () => console.log('SMTP-READY'));
`;

interface ReceivedMail {
  from: string;
  to: string[];
  helo: string;
  subject: string;
  body: string;
  atMs: number;
}

// Every argv the `notify` script gets, one line each; it sleeps a random moment first so that
// scripts run concurrently would write out of order. A /run/hang flag makes one run hang.
const ARGS_SH = `#!/bin/bash
if [[ -f /run/hang ]]; then rm -f /run/hang; echo "hang-start $*" >> /run/args.log; sleep 60; fi
sleep 0.0$((RANDOM % 5))
echo "$*" >> /run/args.log
`;

function config(node: TopoNode, priority: number, vip: string): string {
  return `! keepvip notify integration test
global_defs {
  router_id ${node.name}
  notification_email {
    ops@example.com
    oncall@example.com
  }
  notification_email_from keepvip@${node.name}.test
  smtp_server 127.0.0.1
  smtp_helo_name ${node.name}.test
  smtp_connect_timeout 5
  smtp_alert
}
vrrp_script chk_down {
  script "[[ -f /etc/keepalived/down ]] && exit 1 || exit 0"
  interval 1
  weight -60
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 77
  priority ${priority}
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass kvntf
  }
  virtual_ipaddress {
    ${vip}/24 dev eth0
  }
  track_script {
    chk_down
  }
  notify_master "/etc/keepalived/notify.sh master"
  notify_backup "/etc/keepalived/notify.sh backup"
  notify_fault "/etc/keepalived/notify.sh fault"
  notify /etc/keepalived/args.sh
}
`;
}

describe.skipIf(skipReason !== undefined)('notifications: scripts, SMTP alerts, split brain', () => {
  let topo: Topology;
  let vip: string;
  const daemons = new Map<string, VrrpDaemon>();
  const sinks = new Map<string, ManagedProcess>();
  const mails = new Map<string, ReceivedMail[]>();

  const node = (name: string) => topo.node(name);
  const daemon = (name: string) => daemons.get(name)!;

  async function startSink(name: string): Promise<void> {
    const proc = node(name).spawn('smtp', process.execPath, ['--input-type=module', '-e', SMTP_SINK]);
    await proc.waitForLine(/^SMTP-READY$/, 15_000);
    sinks.set(name, proc);
  }

  /** mailsAt parses what a node's sinks (all of them, past and present) received so far. */
  function mailsAt(name: string): ReceivedMail[] {
    const out = [...(mails.get(name) ?? [])];
    const proc = sinks.get(name);
    for (const l of proc?.lines ?? []) {
      if (!l.text.startsWith('MAIL ')) continue;
      const m = JSON.parse(l.text.slice(5)) as { from: string; to: string[]; helo: string; data: string };
      const [head = '', ...rest] = m.data.split(/\r?\n\r?\n/);
      const subject = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(head)?.[1]?.replace(/\r?\n[ \t]/g, ' ') ?? '';
      out.push({ ...m, subject, body: rest.join('\n\n').replace(/\r\n/g, '\n'), atMs: l.t });
    }
    return out;
  }

  async function stopSink(name: string): Promise<void> {
    const proc = sinks.get(name)!;
    mails.set(name, mailsAt(name));
    sinks.delete(name);
    await proc.stop('SIGTERM', 5000);
  }

  const keepvipMails = (name: string) => mailsAt(name).filter((m) => m.from === `keepvip@${name}.test`);
  const argsLog = async (name: string) =>
    (await readFile(await node(name).hostPath('/run/args.log'), 'utf8').catch(() => ''))
      .split('\n')
      .filter((l) => l !== '');

  beforeAll(async () => {
    await ensureDist();
    topo = await createTopology({ prefix: PREFIX, nodes: ['n1', 'n2'] });
    vip = topo.addr4(100);
    for (const [name, priority] of [
      ['n1', 150],
      ['n2', 100],
    ] as const) {
      const n = node(name);
      // /root is private too: the node's own ~/.mailrc and ~/.msmtprc send `mail` to its sink.
      await n.isolate([...DEFAULT_PRIVATE_PATHS, '/root']);
      await copyFile(join(SEED_CONFIGS, '001-notify.sh'), await n.hostPath('/etc/keepalived/notify.sh'));
      await execa('chmod', ['755', await n.hostPath('/etc/keepalived/notify.sh')]);
      await writeFile(await n.hostPath('/etc/keepalived/args.sh'), ARGS_SH, { mode: 0o755 });
      await writeFile(await n.hostPath('/root/.mailrc'), 'set sendmail=/usr/bin/msmtp\n');
      await writeFile(
        await n.hostPath('/root/.msmtprc'),
        'account default\nhost 127.0.0.1\nport 25\nauth off\ntls off\nfrom root@localhost\n',
        { mode: 0o600 },
      );
      await startSink(name);
      daemons.set(
        name,
        await startVrrpDaemon(n, { preset: 'keepvip', config: config(n, priority, vip), isolated: true }),
      );
    }
    await topo.waitForVipOn('n1', vip, 20_000);
  });

  afterAll(async () => {
    await topo?.destroy();
    expect(leftoverNetns(PREFIX)).toEqual([]);
  });

  it('a failover mails every recipient with keepalived subject and body, and the seed notify.sh mails unchanged', async () => {
    await waitUntil(() => keepvipMails('n1').some((m) => /Entering MASTER state/.test(m.subject)), {
      timeoutMs: 10_000,
      what: 'n1 MASTER mail',
    });
    const t0 = nowMs();
    await writeFile(await node('n1').hostPath('/etc/keepalived/down'), '');
    await topo.waitForVipOn('n2', vip, 10_000);
    const failoverMs = nowMs() - t0;
    const master = await waitUntil(
      () => keepvipMails('n2').find((m) => m.subject === '[n2] VRRP Instance VI_1 - Entering MASTER state'),
      { timeoutMs: 10_000, what: 'n2 MASTER mail' },
    );
    expect(master.to).toEqual(['ops@example.com', 'oncall@example.com']);
    expect(master.helo).toBe('n2.test');
    const body = master.body.split('\n');
    expect(body[0]).toBe('=> VRRP Instance is now owning VRRP VIPs <=');
    expect(body).toContain(`Host: ${(await execa('hostname')).stdout.trim()}`);
    expect(body.some((l) => /^Time: \d{4}-\d\d-\d\dT/.test(l))).toBe(true);
    const backup = await waitUntil(
      () => keepvipMails('n1').find((m) => m.subject === '[n1] VRRP Instance VI_1 - Entering BACKUP state'),
      { timeoutMs: 10_000, what: 'n1 BACKUP mail' },
    );
    expect(backup.body.split('\n')[0]).toBe('=> VRRP Instance is nolonger owning VRRP VIPs <=');
    // The seed script: `echo body | mail -s "$(hostname) to be master, vip floating" root@localhost`.
    const seed = await waitUntil(
      () => mailsAt('n2').find((m) => /to be master, vip floating/.test(m.subject)),
      { timeoutMs: 10_000, what: "seed notify.sh's mail on n2" },
    );
    expect(seed.to).toEqual(['root@localhost']);
    expect(seed.body).toMatch(/vrrp transition, .* changed to be master/);
    console.log(
      `[notify] failover in ${failoverMs.toFixed(0)} ms; n2 got "${master.subject}" ` +
        `${(master.atMs - t0).toFixed(0)} ms after the fault, seed mail "${seed.subject}"`,
    );
  });

  it('with the SMTP server down the transition is on time and the failure logged; later mails arrive in order', async () => {
    await stopSink('n1');
    const since = daemon('n1').lines.length;
    const t0 = nowMs();
    await rm(await node('n1').hostPath('/etc/keepalived/down'));
    await topo.waitForVipOn('n1', vip, 10_000);
    const takeoverMs = nowMs() - t0;
    // chk_down runs every second; the takeover itself is the fast hand-off.
    expect(takeoverMs).toBeLessThan(5000);
    const failed = await daemon('n1').waitForLog(
      /SMTP alert .*Entering MASTER state.* failed \(attempt 1\/4\)/,
      10_000,
      since,
    );
    await daemon('n1').waitForLog(/not sent after 4 attempt/, 20_000, since);
    console.log(
      `[notify] SMTP down: n1 MASTER after ${takeoverMs.toFixed(0)} ms; logged: ${failed.text.slice(0, 160)}`,
    );
    await startSink('n1');
    const before = keepvipMails('n1').length;
    await writeFile(await node('n1').hostPath('/etc/keepalived/down'), '');
    await topo.waitForVipOn('n2', vip, 10_000);
    await rm(await node('n1').hostPath('/etc/keepalived/down'));
    await topo.waitForVipOn('n1', vip, 10_000);
    const after = await waitUntil(
      () => {
        const m = keepvipMails('n1').slice(before);
        return m.length >= 2 ? m : undefined;
      },
      { timeoutMs: 15_000, what: 'two mails on n1 after the server returned' },
    );
    expect(after.map((m) => m.subject)).toEqual([
      '[n1] VRRP Instance VI_1 - Entering BACKUP state',
      '[n1] VRRP Instance VI_1 - Entering MASTER state',
    ]);
  });

  it('the notify script gets the right arguments in transition order across a burst of 20 transitions', async () => {
    const n2 = node('n2');
    // Let notify runs of the previous test finish first.
    await sleep(2000);
    const since = daemon('n2').lines.length;
    const before = (await argsLog('n2')).length;
    for (let i = 0; i < 10; i++) {
      const s1 = daemon('n2').lines.length;
      await linkDown(n2);
      await daemon('n2').waitForLog(/Entering FAULT STATE/, 5000, s1);
      const s2 = daemon('n2').lines.length;
      await linkUp(n2);
      await daemon('n2').waitForLog(/Entering BACKUP STATE/, 5000, s2);
    }
    const transitions = daemon('n2')
      .lines.slice(since)
      .map((l) => /\(VI_1\) Entering (\w+) STATE/.exec(l.text)?.[1])
      .filter((s): s is string => s !== undefined);
    expect(transitions.length).toBeGreaterThanOrEqual(20);
    const expected = transitions.map((s) => `INSTANCE VI_1 ${s} 100`);
    const got = await waitUntil(
      async () => {
        const lines = (await argsLog('n2')).slice(before);
        return lines.length >= expected.length && lines.at(-1) === expected.at(-1) ? lines : undefined;
      },
      { timeoutMs: 30_000, what: `${expected.length} notify runs on n2` },
    );
    expect(got).toEqual(expected);
    console.log(`[notify] burst: ${transitions.length} transitions, notify saw them all in order`);
  });

  it('a hanging notify script is killed at its timeout (15 s) and the next one still runs', async () => {
    const n1 = node('n1');
    const since = daemon('n1').lines.length;
    const before = (await argsLog('n1')).length;
    await writeFile(await n1.hostPath('/run/hang'), '');
    const t0 = nowMs();
    await writeFile(await n1.hostPath('/etc/keepalived/down'), '');
    await topo.waitForVipOn('n2', vip, 10_000);
    await rm(await n1.hostPath('/etc/keepalived/down'));
    await topo.waitForVipOn('n1', vip, 10_000);
    const transitionsMs = nowMs() - t0;
    // The hang does not hold the VRRP loop: both transitions happened long before the timeout.
    expect(transitionsMs).toBeLessThan(10_000);
    const killed = await daemon('n1').waitForLog(
      /notify script .*args\.sh.* timed out after 15000 ms; killed/,
      25_000,
      since,
    );
    const lines = await waitUntil(
      async () => {
        const l = (await argsLog('n1')).slice(before);
        return l.length >= 2 ? l : undefined;
      },
      { timeoutMs: 10_000, what: 'the MASTER run after the killed one' },
    );
    // BACKUP is entered with the effective priority 150 - 60 (chk_down failing).
    expect(lines).toEqual(['hang-start INSTANCE VI_1 BACKUP 90', 'INSTANCE VI_1 MASTER 150']);
    console.log(
      `[notify] hang: transitions done in ${transitionsMs.toFixed(0)} ms; killed after ${(killed.t - t0).toFixed(0)} ms`,
    );
  });

  it('a forced split brain raises exactly one alert at its start and one at its end', async () => {
    const beforeArgs = new Map<string, number>();
    const beforeMails = new Map<string, number>();
    for (const n of ['n1', 'n2']) {
      beforeArgs.set(n, (await argsLog(n)).length);
      beforeMails.set(n, keepvipMails(n).length);
    }
    const t0 = nowMs();
    await dropVrrp(node('n1'));
    try {
      for (const n of ['n1', 'n2']) await daemon(n).waitForLog(/split brain detected/, 20_000);
      console.log(`[notify] split brain detected on both nodes within ${(nowMs() - t0).toFixed(0)} ms`);
      // Stay split a while: a lasting episode must not raise more alerts.
      await sleep(4000);
    } finally {
      await restoreVrrp(node('n1'));
    }
    const t1 = nowMs();
    await topo.waitForVipOn('n1', vip, 15_000);
    for (const n of ['n1', 'n2']) await daemon(n).waitForLog(/split brain ended/, 20_000);
    console.log(
      `[notify] split brain ended on both nodes within ${(nowMs() - t1).toFixed(0)} ms of the restore`,
    );
    // Quiet period: nothing more may come.
    await sleep(6000);
    for (const n of ['n1', 'n2']) {
      const args = (await argsLog(n)).slice(beforeArgs.get(n));
      expect(
        args.filter((l) => / SPLIT_BRAIN /.test(l)),
        `${n} notify`,
      ).toHaveLength(1);
      expect(
        args.filter((l) => / SPLIT_BRAIN_END /.test(l)),
        `${n} notify`,
      ).toHaveLength(1);
      const subjects = keepvipMails(n)
        .slice(beforeMails.get(n))
        .map((m) => m.subject);
      expect(subjects.filter((s) => s === `[${n}] VRRP Instance VI_1 - split brain detected`)).toHaveLength(
        1,
      );
      expect(subjects.filter((s) => s === `[${n}] VRRP Instance VI_1 - split brain ended`)).toHaveLength(1);
      const status = (await daemon(n).status()) as {
        instances: { counters: { splitBrainEpisodes: number } }[];
      };
      expect(status.instances[0]!.counters.splitBrainEpisodes).toBe(1);
      console.log(`[notify] ${n}: ${args.join(' | ')}`);
    }
  });
});
