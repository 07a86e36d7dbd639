import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowMs } from '../../../bench/lib/clock.js';
import { analyzeProbes, formatReport } from '../../../bench/lib/outage.js';
import type { Prober } from '../../../bench/lib/prober.js';
import { linkDown, linkUp } from '../../helpers/faults.js';
import { simpleVrrpConfig, startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { type NginxInstance, startNginx } from '../../helpers/nginx.js';
import { startClientProber } from '../../helpers/prober.js';
import { createTopology, leftoverNetns, type Topology } from '../../helpers/topology.js';
import { BACKUP_RE, MASTER_RE } from './interop.js';
import { dumpDaemonLogs, keepvipInstance } from './status.js';
import { ensureDist } from '../../helpers/dist.js';

// Two keepvip nodes (VRRPv2, PASS, advert_int 1, priorities 150/100) with real nginx on each and
// a client that reaches nginx through the VIP: election, link failover, graceful stop with
// priority 0 and preemption on return, all as the client and `keepvip status` see them.
const PREFIX = 'kvie';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[election.test] SKIPPED: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('keepvip election between two keepvip nodes with nginx', () => {
  let topo: Topology;
  let vip: string;
  const daemons = new Map<string, VrrpDaemon>();
  const started: VrrpDaemon[] = [];
  const nginxes: NginxInstance[] = [];
  let prober: Prober | undefined;

  const startNode = async (name: 'n1' | 'n2'): Promise<VrrpDaemon> => {
    const d = await startVrrpDaemon(topo.node(name), {
      preset: 'keepvip',
      config: simpleVrrpConfig({
        routerId: name,
        state: name === 'n1' ? 'MASTER' : 'BACKUP',
        virtualRouterId: 81,
        priority: name === 'n1' ? 150 : 100,
        authPass: 'kvie',
        vips: [`${vip}/24`],
      }),
    });
    daemons.set(name, d);
    started.push(d);
    return d;
  };
  const d = (name: string) => daemons.get(name)!;
  /** answeredBy fetches http://VIP/ from the client; nginx answers with its node's name. */
  const answeredBy = async () =>
    (await topo.client!.exec('curl', ['-sS', '--max-time', '2', `http://${vip}/`])).stdout.trim();

  beforeAll(async () => {
    await ensureDist();
    topo = await createTopology({ prefix: PREFIX, nodes: ['n1', 'n2'], client: true });
    vip = topo.addr4(100);
    for (const name of ['n1', 'n2']) nginxes.push(await startNginx(topo.node(name)));
  });

  afterAll(async () => {
    await prober?.stop().catch(() => undefined);
    await dumpDaemonLogs(PREFIX, started);
    await topo?.destroy();
    expect(leftoverNetns(PREFIX)).toEqual([]);
  });

  it('elects the higher priority node: the VIP is on n1 only and the client reaches n1 through it', async () => {
    const t0 = nowMs();
    await (await startNode('n1')).waitForLog(BACKUP_RE, 10_000);
    await startNode('n2');
    const m = await d('n1').waitForLog(MASTER_RE, 10_000);
    await d('n2').waitForLog(BACKUP_RE, 10_000);
    await topo.waitForVipOn('n1', vip, 5000);
    expect(await answeredBy()).toBe('n1');
    const s1 = await keepvipInstance(d('n1'));
    const s2 = await keepvipInstance(d('n2'));
    expect(s1).toMatchObject({ state: 'MASTER', effectivePriority: 150 });
    expect(s2).toMatchObject({
      state: 'BACKUP',
      effectivePriority: 100,
      masterAddress: topo.node('n1').addr4,
    });
    expect(s2.counters.advertsReceived).toBeGreaterThan(0);
    expect(await topo.whoHas(vip)).toEqual(['n1']);
    console.log(
      `[kvie] election: n1 MASTER after ${(m.t - t0).toFixed(0)} ms; n2 BACKUP (master ${s2.masterAddress}, ${s2.counters.advertsReceived} adverts heard); client answered by n1`,
    );
  });

  it('moves the VIP to n2 when n1 loses its link, and back when the link returns', async () => {
    const s1 = d('n1').lines.length;
    const s2 = d('n2').lines.length;
    const tDown = nowMs();
    await linkDown(topo.node('n1'));
    const m2 = await d('n2').waitForLog(MASTER_RE, 10_000, s2);
    await d('n1').waitForLog(/\(VI_1\) Entering FAULT STATE/, 10_000, s1);
    await topo.waitForVipOn('n2', vip, 5000);
    expect(await answeredBy()).toBe('n2');
    const tUp = nowMs();
    await linkUp(topo.node('n1'));
    const m1 = await d('n1').waitForLog(MASTER_RE, 10_000, s1);
    await topo.waitForVipOn('n1', vip, 5000);
    expect(await answeredBy()).toBe('n1');
    // RFC 3768 6.1 Master_Down_Interval for priority 100 is 3 + 156/256 s.
    expect(m2.t - tDown).toBeLessThan(3609 + 3000);
    console.log(
      `[kvie] linkDown(n1): n2 MASTER after ${(m2.t - tDown).toFixed(0)} ms, client answered by n2; linkUp: n1 MASTER again after ${(m1.t - tUp).toFixed(0)} ms`,
    );
  });

  it('on SIGTERM the master sends priority 0, n2 takes over within 2 s and n1 releases the VIP', async () => {
    const s2 = d('n2').lines.length;
    const before = await keepvipInstance(d('n2'));
    prober = await startClientProber(topo, vip);
    await prober.waitFor((s) => s.ok && s.node === 'n1', 5000);
    const tStop = nowMs();
    const stopping = d('n1').stop();
    const m2 = await d('n2').waitForLog(MASTER_RE, 5000, s2);
    const exit = await stopping;
    const tExit = nowMs();
    // The stopped node took its VIP with it.
    expect(exit.exitCode).toBe(0);
    expect(await topo.whoHas(vip)).toEqual(['n2']);
    expect(d('n1').lines.some((l) => /\(VI_1\) sent 0 priority/.test(l.text))).toBe(true);
    const after = await keepvipInstance(d('n2'));
    expect(after.counters.priorityZeroReceived).toBeGreaterThan(before.counters.priorityZeroReceived);
    expect(after.state).toBe('MASTER');
    await prober.waitFor((s) => s.ok && s.node === 'n2' && s.t > tExit + 300, 5000);
    const r = analyzeProbes(await prober.stop());
    prober = undefined;
    const takeoverMs = m2.t - tStop;
    console.log(
      `[kvie] SIGTERM n1: n2 MASTER after ${takeoverMs.toFixed(0)} ms (Skew_Time 609, Master_Down_Interval 3609), n1 exited after ${(tExit - tStop).toFixed(0)} ms; n2 priorityZeroReceived ${before.counters.priorityZeroReceived} -> ${after.counters.priorityZeroReceived}`,
    );
    console.log(`[kvie] prober during the graceful stop: ${formatReport(r)}`);
    expect(takeoverMs).toBeLessThan(2000);
    expect(r.firstNode).toBe('n1');
    expect(r.switchTo).toBe('n2');
    expect(r.nodeChanges).toBe(1);
  });

  it('preempts back when n1 is restarted', async () => {
    const s2 = d('n2').lines.length;
    const t0 = nowMs();
    await startNode('n1');
    const m1 = await d('n1').waitForLog(MASTER_RE, 10_000);
    await d('n2').waitForLog(BACKUP_RE, 5000, s2);
    await topo.waitForVipOn('n1', vip, 5000);
    expect(await answeredBy()).toBe('n1');
    console.log(
      `[kvie] restart n1: MASTER again ${(m1.t - t0).toFixed(0)} ms after start; client answered by n1`,
    );
  });
});
