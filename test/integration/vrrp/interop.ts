/**
 * The interop matrix shared by interop-*.test.ts: keepvip and real keepalived 2.2.7 in one VRRP
 * group, the same keepalived.conf text on either daemon, in both directions (the higher priority
 * node n1 runs one daemon, n2 the other). Each scenario prints what it measured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowMs } from '../../../bench/lib/clock.js';
import { linkDown, linkUp } from '../../helpers/faults.js';
import { startVrrpDaemon, type VrrpDaemon, type VrrpPreset } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { createTopology, leftoverNetns, type TopoNode, type Topology } from '../../helpers/topology.js';
import { sleep } from '../../helpers/wait.js';
import { dumpDaemonLogs, keepvipCounters } from './status.js';
import { ensureDist } from '../../helpers/dist.js';

/** InteropCase is one row of the matrix: protocol version, family, transport, timers. */
export interface InteropCase {
  /** name labels the describe block, e.g. 'VRRPv3 IPv4 multicast'. */
  name: string;
  /** prefix is the topology prefix of the test file (unique per file). */
  prefix: string;
  version: 2 | 3;
  family: 'inet' | 'inet6';
  /** advertIntSec is advert_int; VRRPv2 needs whole seconds, VRRPv3 takes centiseconds. */
  advertIntSec: number;
  virtualRouterId: number;
  /** authPass adds VRRPv2 PASS authentication. */
  authPass?: string;
  /** unicast uses unicast_src_ip / unicast_peer with the nodes' global addresses. */
  unicast?: boolean;
}

/** MASTER_RE is the transition line both daemons print on entering MASTER (keepalived's wording). */
export const MASTER_RE = /\(VI_1\) Entering MASTER STATE/;
/** BACKUP_RE matches entering BACKUP, also the "(init)" form. */
export const BACKUP_RE = /\(VI_1\) Entering BACKUP STATE/;

/** HIGH is n1's priority, the node that should win. */
export const HIGH = 150;
/** LOW is n2's priority. */
export const LOW = 100;

/** masterDownIntervalMs is RFC 5798 6.1 Master_Down_Interval of the low-priority node (the one that waits). */
export function masterDownIntervalMs(c: InteropCase, priority = LOW): number {
  const advMs = c.advertIntSec * 1000;
  // RFC 3768 6.1 Skew_Time = (256 - Priority) / 256 s; RFC 5798 6.1 ((256 - Priority) * Interval) / 256.
  const skewMs = c.version === 2 ? ((256 - priority) * 1000) / 256 : ((256 - priority) * advMs) / 256;
  return 3 * advMs + skewMs;
}

/** nodeAddress is the address a node uses as the VRRP source / unicast peer in a case. */
function nodeAddress(c: InteropCase, node: TopoNode): string {
  return c.family === 'inet' ? node.addr4 : node.addr6!;
}

/** interopConfig renders the keepalived.conf both daemons read for one node of a case. */
export function interopConfig(
  c: InteropCase,
  topo: Topology,
  self: TopoNode,
  peer: TopoNode,
  o: { priority: number; state: 'MASTER' | 'BACKUP'; nopreempt?: boolean },
): string {
  const vip = c.family === 'inet' ? `${topo.addr4(100)}/24` : `${topo.addr6(0x100)}/64`;
  const lines = [
    `global_defs {`,
    `  router_id ${self.name}`,
    `}`,
    ``,
    `vrrp_instance VI_1 {`,
    `  state ${o.state}`,
    `  interface eth0`,
    `  virtual_router_id ${c.virtualRouterId}`,
    `  priority ${o.priority}`,
    `  advert_int ${c.advertIntSec}`,
    `  version ${c.version}`,
  ];
  if (c.authPass)
    lines.push(`  authentication {`, `    auth_type PASS`, `    auth_pass ${c.authPass}`, `  }`);
  if (c.unicast) {
    lines.push(
      `  unicast_src_ip ${nodeAddress(c, self)}`,
      `  unicast_peer {`,
      `    ${nodeAddress(c, peer)}`,
      `  }`,
    );
  }
  if (o.nopreempt) lines.push(`  nopreempt`);
  lines.push(`  virtual_ipaddress {`, `    ${vip} dev eth0`, `  }`, `}`, ``);
  return lines.join('\n');
}

/** vipOf is the VIP address (no length) of a case in a topology. */
export function vipOf(c: InteropCase, topo: Topology): string {
  return c.family === 'inet' ? topo.addr4(100) : topo.addr6(0x100);
}

let build: Promise<unknown> | undefined;

/** buildOnce compiles src to dist/ (what bin/keepvip runs) once per test file. */
export function buildOnce(): Promise<unknown> {
  build ??= ensureDist();
  return build;
}

/** KEEPALIVED_PRIO0_RE is keepalived's detailed log line for a backup hearing a master's priority 0 (vrrp.c). */
const KEEPALIVED_PRIO0_RE = /\(VI_1\) Backup received priority 0 advertisement/;

/**
 * configComplaints lists what a daemon said about its configuration before it entered the
 * protocol (warnings, errors, unknown or ignored keywords): both must take the case's config as is.
 */
export function configComplaints(d: VrrpDaemon): string[] {
  const init = d.lines.findIndex((l) => BACKUP_RE.test(l.text));
  return d.lines
    .slice(0, init < 0 ? d.lines.length : init)
    .map((l) => l.text)
    .filter((t) => /warning|error|unknown|invalid|ignor/i.test(t));
}

/** sawPriorityZero tells whether a backup daemon heard a priority 0 advertisement (log or keepvip counters). */
export async function sawPriorityZero(d: VrrpDaemon, since: number): Promise<boolean> {
  if (d.preset === 'keepvip') return ((await keepvipCounters(d)).priorityZeroReceived ?? 0) > 0;
  return d.lines.slice(since).some((l) => KEEPALIVED_PRIO0_RE.test(l.text));
}

/**
 * describeInterop registers the matrix for one case: both directions (keepvip on the higher
 * priority node and keepalived on the lower, then the reverse), each with election, link
 * failover, graceful stop (priority 0), preemption on return and nopreempt.
 */
export function describeInterop(c: InteropCase): void {
  const skipReason = integrationSkipReason();
  if (skipReason) console.warn(`[interop ${c.name}] SKIPPED: ${skipReason}`);

  describe.skipIf(skipReason !== undefined)(`interop ${c.name}`, () => {
    let topo: Topology;
    const tag = `[${c.prefix}]`;
    const mdiMs = masterDownIntervalMs(c);
    const skewMs = mdiMs - 3 * c.advertIntSec * 1000;
    // Generous bounds for two noisy cores: a failover by silence takes Master_Down_Interval plus
    // process and netlink latency; a hand-off by priority 0 takes Skew_Time plus latency.
    const silenceBoundMs = mdiMs + 3000;
    const handoffBoundMs = Math.min(skewMs + 1500, mdiMs + 500);

    beforeAll(async () => {
      await buildOnce();
      topo = await createTopology({
        prefix: c.prefix,
        nodes: ['n1', 'n2'],
        ipv6: c.family === 'inet6',
      });
      console.log(
        `${tag} ${c.name}: advert_int ${c.advertIntSec}s, Master_Down_Interval(prio ${LOW}) ${mdiMs.toFixed(0)} ms, Skew_Time ${skewMs.toFixed(0)} ms`,
      );
    });

    afterAll(async () => {
      await topo?.destroy();
      expect(leftoverNetns(c.prefix)).toEqual([]);
    });

    describe.each([
      { high: 'keepvip' as VrrpPreset, low: 'keepalived' as VrrpPreset },
      { high: 'keepalived' as VrrpPreset, low: 'keepvip' as VrrpPreset },
    ])('n1 $high (priority 150) + n2 $low (priority 100)', ({ high, low }) => {
      let d1: VrrpDaemon | undefined;
      let d2: VrrpDaemon | undefined;
      let n1: TopoNode;
      let n2: TopoNode;
      let vip: string;
      const dir = `${high}>${low}`;
      const all: VrrpDaemon[] = [];

      const start = async (
        which: 1 | 2,
        o: { state: 'MASTER' | 'BACKUP'; nopreempt?: boolean } = { state: which === 1 ? 'MASTER' : 'BACKUP' },
      ): Promise<VrrpDaemon> => {
        const [self, peer, preset, priority] = which === 1 ? [n1, n2, high, HIGH] : [n2, n1, low, LOW];
        const d = await startVrrpDaemon(self, {
          preset,
          config: interopConfig(c, topo, self, peer, { priority, ...o }),
        });
        all.push(d);
        if (which === 1) d1 = d;
        else d2 = d;
        return d;
      };

      beforeAll(async () => {
        n1 = topo.node('n1');
        n2 = topo.node('n2');
        vip = vipOf(c, topo);
      });

      afterAll(async () => {
        // Leave the topology clean for the other direction: daemons gone, no VIP anywhere.
        await linkUp(n1).catch(() => undefined);
        await d1?.stop(3000).catch(() => undefined);
        await d2?.stop(3000).catch(() => undefined);
        await dumpDaemonLogs(`${c.prefix}-${high}-${low}`, [...all]);
        for (const n of [n1, n2]) {
          const len = c.family === 'inet' ? 24 : 64;
          await n.exec('ip', ['addr', 'del', `${vip}/${len}`, 'dev', 'eth0'], { reject: false });
        }
      });

      it('elects the higher priority node whichever daemon it runs', async () => {
        const t0 = nowMs();
        // n2 starts once n1 has entered the protocol: keepvip (a Node.js process) needs longer
        // to boot than keepalived, and a 200 ms interval is shorter than that head start.
        const a = await start(1);
        await a.waitForLog(BACKUP_RE, 10_000);
        const b = await start(2);
        const m = await a.waitForLog(MASTER_RE, silenceBoundMs + 5000);
        await b.waitForLog(BACKUP_RE, 10_000);
        await topo.waitForVipOn('n1', vip, 5000);
        // A second look after several adverts: the backup stays backup, the VIP stays single.
        await sleep(3 * c.advertIntSec * 1000);
        expect(await topo.whoHas(vip)).toEqual(['n1']);
        expect(b.lines.some((l) => MASTER_RE.test(l.text))).toBe(false);
        expect([...configComplaints(a), ...configComplaints(b)]).toEqual([]);
        console.log(
          `${tag} ${dir} election: n1 (${high}) MASTER after ${(m.t - t0).toFixed(0)} ms; ${vip} on n1 only`,
        );
      });

      it('fails over to the lower priority node when the master loses its link, and preempts back', async () => {
        const s2 = d2!.lines.length;
        const s1 = d1!.lines.length;
        const tDown = nowMs();
        await linkDown(n1);
        const m2 = await d2!.waitForLog(MASTER_RE, silenceBoundMs + 2000, s2);
        await topo.waitForVipOn('n2', vip, 5000);
        const failMs = m2.t - tDown;
        expect(failMs).toBeLessThan(silenceBoundMs);
        const tUp = nowMs();
        await linkUp(n1);
        const m1 = await d1!.waitForLog(MASTER_RE, silenceBoundMs + 5000, s1);
        await topo.waitForVipOn('n1', vip, 5000);
        await d2!.waitForLog(BACKUP_RE, 5000, s2);
        console.log(
          `${tag} ${dir} linkDown(n1): n2 (${low}) MASTER after ${failMs.toFixed(0)} ms (MDI ${mdiMs.toFixed(0)}); linkUp: n1 back MASTER after ${(m1.t - tUp).toFixed(0)} ms`,
        );
      });

      it('hands over after Skew_Time, not Master_Down_Interval, when the master stops (priority 0)', async () => {
        const s2 = d2!.lines.length;
        const tStop = nowMs();
        const stopping = d1!.stop();
        const m2 = await d2!.waitForLog(MASTER_RE, silenceBoundMs, s2);
        await stopping;
        const takeoverMs = m2.t - tStop;
        // The stopped daemon took its VIP with it; the new master holds it alone.
        await topo.waitForVipOn('n2', vip, 3000);
        const prio0 = await sawPriorityZero(d2!, s2);
        console.log(
          `${tag} ${dir} SIGTERM n1 (${high}): n2 (${low}) MASTER after ${takeoverMs.toFixed(0)} ms (bound ${handoffBoundMs.toFixed(0)}, Skew ${skewMs.toFixed(0)}, MDI ${mdiMs.toFixed(0)}); priority 0 seen by n2: ${prio0}`,
        );
        expect(prio0).toBe(true);
        expect(takeoverMs).toBeLessThan(handoffBoundMs);
      });

      it('preempts back when the higher priority node returns', async () => {
        const s2 = d2!.lines.length;
        const t0 = nowMs();
        const a = await start(1);
        const m1 = await a.waitForLog(MASTER_RE, silenceBoundMs + 5000);
        await d2!.waitForLog(BACKUP_RE, 5000, s2);
        await topo.waitForVipOn('n1', vip, 5000);
        console.log(`${tag} ${dir} restart n1 (${high}): MASTER again after ${(m1.t - t0).toFixed(0)} ms`);
      });

      it('with state BACKUP + nopreempt on both, the returning higher priority node does not take over', async () => {
        await d1!.stop();
        await d2!.stop();
        const b = await start(2, { state: 'BACKUP', nopreempt: true });
        await b.waitForLog(MASTER_RE, silenceBoundMs + 5000);
        await topo.waitForVipOn('n2', vip, 5000);
        const a = await start(1, { state: 'BACKUP', nopreempt: true });
        await a.waitForLog(BACKUP_RE, 10_000);
        // Well past the point where a preempting node would have taken over.
        const watchMs = Math.max(mdiMs + 2000, 2500);
        await sleep(watchMs);
        expect(a.lines.some((l) => MASTER_RE.test(l.text))).toBe(false);
        expect(await topo.whoHas(vip)).toEqual(['n2']);
        if (a.preset === 'keepvip') {
          expect((await keepvipCounters(a)).advertsReceived).toBeGreaterThan(0);
        }
        console.log(
          `${tag} ${dir} nopreempt: n1 (${high}, priority ${HIGH}) stayed BACKUP for ${watchMs.toFixed(0)} ms behind n2 (${low}, priority ${LOW})`,
        );
      });
    });
  });
}
