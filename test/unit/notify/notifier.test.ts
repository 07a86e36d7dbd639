import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeepvipConfig } from '../../../src/config/model.js';
import { loadConfigText } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/util/logger.js';
import type { OutgoingMail } from '../../../src/notify/mail.js';
import { Notifier } from '../../../src/notify/notifier.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { newInstanceCounters } from '../../../src/util/counters.js';

function config(dir: string, extra = ''): KeepvipConfig {
  const text = `global_defs {
  router_id lb1
  notification_email {
    ops@example.com
    oncall@example.com
  }
  notification_email_from keepvip@lb1
  smtp_server 127.0.0.1 2525
  ${extra}
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.9.9.100/24
  }
  notify ${join(dir, 'notify.sh')}
  smtp_alert
}
`;
  const r = loadConfigText(text, join(dir, 'keepalived.conf'));
  if (!r.config) throw new Error(JSON.stringify(r.diagnostics));
  return r.config;
}

describe('Notifier', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-notifier-unit-'));
    await writeFile(join(dir, 'notify.sh'), `#!/bin/bash\necho "$*" >> ${join(dir, 'events.log')}\n`, {
      mode: 0o755,
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('mails every recipient on transitions and raises one alert per split-brain episode', async () => {
    const cfg = config(dir);
    // The scripts run in real time while the test moves the clock by minutes: a notify timeout
    // on that clock would kill them mid-run, so give them one the test never reaches.
    cfg.globalDefs.notifyScriptTimeoutMs = 3_600_000;
    const inst = cfg.vrrpInstances[0]!;
    const clock = new ManualClock();
    const mails: OutgoingMail[] = [];
    let answering: string[] = [];
    const counters = newInstanceCounters();
    const n = new Notifier(cfg, silentLogger, {
      clock,
      hostname: 'lb1.test',
      countersFor: () => counters,
      mailTransport: { send: async (m) => void mails.push(m) },
      prober: { probe: async () => answering },
    });
    n.instanceTransition(inst, 'BACKUP', 100);
    n.instanceTransition(inst, 'MASTER', 100);
    // Another host answers for the VIP from t=10 s to t=30 s.
    await clock.advanceToSettled(10_000);
    answering = ['02:00:00:00:00:02'];
    await clock.advanceToSettled(30_000);
    answering = [];
    await clock.advanceToSettled(60_000);
    expect(n.splitBrainStatus('VI_1')).toMatchObject({ episodes: 1, active: false });
    expect(counters.splitBrainEpisodes).toBe(1);
    // A second episode that ends because we step down.
    answering = ['02:00:00:00:00:03'];
    await clock.advanceToSettled(66_000);
    expect(n.splitBrainStatus('VI_1').active).toBe(true);
    n.instanceTransition(inst, 'BACKUP', 100);
    await n.drain();
    expect(mails.map((m) => m.subject)).toEqual([
      '[lb1] VRRP Instance VI_1 - Entering BACKUP state',
      '[lb1] VRRP Instance VI_1 - Entering MASTER state',
      '[lb1] VRRP Instance VI_1 - split brain detected',
      '[lb1] VRRP Instance VI_1 - split brain ended',
      '[lb1] VRRP Instance VI_1 - split brain detected',
      '[lb1] VRRP Instance VI_1 - split brain ended',
      '[lb1] VRRP Instance VI_1 - Entering BACKUP state',
    ]);
    expect(mails[0]!.to).toEqual(['ops@example.com', 'oncall@example.com']);
    expect(mails[0]!.from).toBe('keepvip@lb1');
    expect(mails[2]!.text).toContain('MAC 02:00:00:00:00:02');
    expect((await readFile(join(dir, 'events.log'), 'utf8')).trim().split('\n')).toEqual([
      'INSTANCE VI_1 BACKUP 100',
      'INSTANCE VI_1 MASTER 100',
      'INSTANCE VI_1 SPLIT_BRAIN 100',
      'INSTANCE VI_1 SPLIT_BRAIN_END 100',
      'INSTANCE VI_1 SPLIT_BRAIN 100',
      'INSTANCE VI_1 SPLIT_BRAIN_END 100',
      'INSTANCE VI_1 BACKUP 100',
    ]);
  });

  it('takes persistent adverts from another master as split brain, but not a single one at hand-over', async () => {
    const cfg = config(dir);
    // The scripts run in real time while the test moves the clock by minutes: a notify timeout
    // on that clock would kill them mid-run, so give them one the test never reaches.
    cfg.globalDefs.notifyScriptTimeoutMs = 3_600_000;
    const inst = cfg.vrrpInstances[0]!;
    const clock = new ManualClock();
    const n = new Notifier(cfg, silentLogger, { clock, prober: null, mailTransport: null });
    n.instanceTransition(inst, 'MASTER', 100);
    n.advertWhileMaster(inst, 100, '10.9.9.2');
    await clock.advanceToSettled(10_000);
    expect(n.splitBrainStatus('VI_1').episodes).toBe(0);
    for (let t = 10_000; t <= 13_000; t += 1000) {
      await clock.advanceToSettled(t);
      n.advertWhileMaster(inst, 90, '10.9.9.2');
    }
    expect(n.splitBrainStatus('VI_1')).toMatchObject({ episodes: 1, active: true });
    // Priority 0 is a master stepping down, never evidence.
    n.advertWhileMaster(inst, 0, '10.9.9.2');
    expect(n.splitBrainStatus('VI_1').lastEvidence?.from).toBe('10.9.9.2');
    await n.drain();
  });

  it('sends no mail when smtp_alert is off for the instance', async () => {
    const cfg = config(dir);
    const inst = { ...cfg.vrrpInstances[0]!, smtpAlert: false };
    const mails: OutgoingMail[] = [];
    const n = new Notifier(cfg, silentLogger, {
      prober: null,
      mailTransport: { send: async (m) => void mails.push(m) },
    });
    n.instanceTransition(inst, 'MASTER', 100);
    await n.drain();
    expect(mails).toEqual([]);
  });

  it('reconfigure swaps mail settings on reload: a config without recipients sends no more mail', async () => {
    const cfg = config(dir);
    const inst = cfg.vrrpInstances[0]!;
    const mails: OutgoingMail[] = [];
    const n = new Notifier(cfg, silentLogger, {
      prober: null,
      mailTransport: { send: async (m) => void mails.push(m) },
    });
    n.instanceTransition(inst, 'MASTER', 100);
    const next = config(dir);
    next.globalDefs.notificationEmail = [];
    n.reconfigure(next);
    n.instanceTransition(inst, 'BACKUP', 100);
    await n.drain();
    expect(mails.map((m) => m.subject)).toEqual(['[lb1] VRRP Instance VI_1 - Entering MASTER state']);
  });
});
