import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowMs } from '../../../bench/lib/clock.js';
import { analyzeProbes, formatReport } from '../../../bench/lib/outage.js';
import type { Prober } from '../../../bench/lib/prober.js';
import type { VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { type NginxInstance, startNginx } from '../../helpers/nginx.js';
import { startClientProber } from '../../helpers/prober.js';
import { createTopology, leftoverNetns, type Topology } from '../../helpers/topology.js';
import { sleep } from '../../helpers/wait.js';
import { dumpDaemonLogs } from '../vrrp/status.js';
import { buildDist, removeRuntime, type PairNodeOptions, startKeepvip, transitionsOf } from './pair.js';

// Issue 11 item 4: the master killed with SIGKILL (no priority 0, its VIP stays in the kernel)
// and restarted. At start keepvip removes the VIP the dead process left; it rejoins as BACKUP
// without a second outage when its priority is lower than the new master's (client prober: 0
// failed probes from just before the restart until well after it), and preempts cleanly when
// higher (one MASTER/BACKUP swap, no flap, the VIP on one node only).
const PREFIX = 'kvfkill';
const ADVERT_SEC = 0.2;
const VRID = 62;
/** SETTLE_MS: how long the pair is watched after a rejoin (10 advert intervals). */
const SETTLE_MS = 2000;
const MASTER_RE = /\(VI_1\) Entering MASTER STATE/;
const BACKUP_RE = /\(VI_1\) Entering BACKUP STATE/;
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[faults/sigkill-restart.test] SKIPPED: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('fault: master killed with SIGKILL and restarted', () => {
  let topo: Topology;
  let vip: string;
  const daemons = new Map<string, VrrpDaemon>();
  const started: VrrpDaemon[] = [];
  const nginxes: NginxInstance[] = [];
  let prober: Prober | undefined;

  const start = async (n: PairNodeOptions): Promise<VrrpDaemon> => {
    const d = await startKeepvip(topo, n, VRID, vip, ADVERT_SEC);
    daemons.set(n.name, d);
    started.push(d);
    return d;
  };
  const d = (name: string) => daemons.get(name)!;

  beforeAll(async () => {
    await buildDist();
    topo = await createTopology({ prefix: PREFIX, nodes: ['n1', 'n2'], client: true });
    vip = topo.addr4(100);
    for (const name of ['n1', 'n2']) nginxes.push(await startNginx(topo.node(name)));
  }, 240_000);

  afterAll(async () => {
    await prober?.stop().catch(() => undefined);
    for (const dm of daemons.values()) await dm.stop(5000).catch(() => undefined);
    for (const n of nginxes) await n.stop().catch(() => undefined);
    await dumpDaemonLogs(PREFIX, started);
    for (const name of ['n1', 'n2'])
      await topo?.node(name).exec('ip', ['addr', 'del', `${vip}/24`, 'dev', 'eth0'], { reject: false });
    await topo?.destroy();
    await removeRuntime();
    expect(leftoverNetns(PREFIX)).toEqual([]);
  });

  it('restarted with a lower priority: the leftover VIP is removed at start and it rejoins as BACKUP with 0 failed probes', async () => {
    await start({ name: 'n1', priority: 200, state: 'MASTER' });
    await start({ name: 'n2', priority: 150 });
    await d('n1').waitForLog(MASTER_RE, 15_000);
    await d('n2').waitForLog(BACKUP_RE, 15_000);
    await topo.waitForVipOn('n1', vip, 10_000);

    const s2 = d('n2').lines.length;
    const tKill = nowMs();
    await d('n1').crash();
    const takeover = await d('n2').waitForLog(MASTER_RE, 10_000, s2);
    // The dead master left its VIP: both nodes' kernels hold it now.
    expect((await topo.whoHas(vip)).sort()).toEqual(['n1', 'n2']);
    prober = await startClientProber(topo, vip);
    await prober.waitFor((s) => s.ok && s.node === 'n2', 5000);
    // From here on n2 serves; the rejoin must not cost a single probe.
    const tProbe = nowMs();
    await sleep(500);
    const tRestart = nowMs();
    const n1 = await start({ name: 'n1', priority: 100 });
    const leftover = await n1.waitForLog(/\(VI_1\) removing leftover VIP/, 10_000);
    const backup = await n1.waitForLog(BACKUP_RE, 10_000);
    await topo.waitForVipOn('n2', vip, 5000);
    await sleep(SETTLE_MS);
    const samples = (await prober.stop()).filter((s) => s.t >= tProbe);
    prober = undefined;
    const r = analyzeProbes(samples);
    console.log(
      `[kvfkill] SIGKILL master n1 (200): n2 MASTER after ${(takeover.t - tKill).toFixed(0)} ms; ` +
        `restart n1 at 100: leftover VIP removed ${(leftover.t - tRestart).toFixed(0)} ms and BACKUP ` +
        `${(backup.t - tRestart).toFixed(0)} ms after start; prober from before the restart to ${SETTLE_MS} ms after: ${formatReport(r)}`,
    );
    expect(transitionsOf(n1).map((t) => t.to)).toEqual(['BACKUP']);
    expect(transitionsOf(d('n2'), s2).map((t) => t.to)).toEqual(['MASTER']);
    expect(await topo.whoHas(vip)).toEqual(['n2']);
    expect(r.samples).toBeGreaterThan(50);
    expect(r.failed).toBe(0);
    expect(r.answersByNode).toEqual({ n2: r.samples });
  });

  it('restarted with a higher priority: the leftover VIP is removed at start and it preempts cleanly', async () => {
    // Now n2 (150) is master and n1 (100) backup: kill n2, n1 takes over, n2 comes back at 150.
    const s1 = d('n1').lines.length;
    const tKill = nowMs();
    await d('n2').crash();
    const takeover = await d('n1').waitForLog(MASTER_RE, 10_000, s1);
    expect((await topo.whoHas(vip)).sort()).toEqual(['n1', 'n2']);
    prober = await startClientProber(topo, vip);
    await prober.waitFor((s) => s.ok && s.node === 'n1', 5000);
    const tProbe = nowMs();
    await sleep(500);
    const s1b = d('n1').lines.length;
    const tRestart = nowMs();
    const n2 = await start({ name: 'n2', priority: 150 });
    const leftover = await n2.waitForLog(/\(VI_1\) removing leftover VIP/, 10_000);
    const master = await n2.waitForLog(MASTER_RE, 10_000);
    await d('n1').waitForLog(BACKUP_RE, 5000, s1b);
    await topo.waitForVipOn('n2', vip, 5000);
    await prober.waitFor((s) => s.ok && s.node === 'n2', 5000);
    await sleep(SETTLE_MS);
    const samples = (await prober.stop()).filter((s) => s.t >= tProbe);
    prober = undefined;
    const r = analyzeProbes(samples);
    console.log(
      `[kvfkill] SIGKILL master n2 (150): n1 MASTER after ${(takeover.t - tKill).toFixed(0)} ms; ` +
        `restart n2 at 150: leftover VIP removed ${(leftover.t - tRestart).toFixed(0)} ms, MASTER ` +
        `${(master.t - tRestart).toFixed(0)} ms after start; prober across the preemption: ${formatReport(r)}`,
    );
    // Cleanly: BACKUP (init) then MASTER once on n2, MASTER -> BACKUP once on n1, nothing after.
    expect(transitionsOf(n2).map((t) => t.to)).toEqual(['BACKUP', 'MASTER']);
    expect(transitionsOf(d('n1'), s1b).map((t) => t.to)).toEqual(['BACKUP']);
    expect(await topo.whoHas(vip)).toEqual(['n2']);
    expect(r.firstNode).toBe('n1');
    expect(r.switchTo).toBe('n2');
    expect(r.nodeChanges).toBe(1);
  });
});
