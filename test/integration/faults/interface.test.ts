import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowMs } from '../../../bench/lib/clock.js';
import { deleteEth0, recreateEth0, renameLink, replacePrimary4 } from '../../helpers/faults.js';
import type { VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { createTopology, leftoverNetns, type Topology } from '../../helpers/topology.js';
import { sleep, waitUntil } from '../../helpers/wait.js';
import { dumpDaemonLogs, keepvipInstance } from '../vrrp/status.js';
import {
  buildDist,
  removeRuntime,
  type PairNodeOptions,
  pairConfig,
  startKeepvip,
  transitionsOf,
} from './pair.js';

// Issue 11 item 4: the VRRP interface deleted and re-created (FAULT, then recovery with the VIP
// back), renamed away and back, and the node's primary address changed under the daemon
// (adverts carry the new source and the peer accepts them). n1 (priority 200) is the master of
// VI_1 on eth0, n2 (100) its backup; advert_int 0.2 s (VRRPv3).
const PREFIX = 'kvfif';
const ADVERT_SEC = 0.2;
const VRID = 64;
/** STABLE_MS: after a recovery the layout must hold this long (10 advert intervals). */
const STABLE_MS = 2000;
const MASTER_RE = /\(VI_1\) Entering MASTER STATE/;
const BACKUP_RE = /\(VI_1\) Entering BACKUP STATE/;
const FAULT_RE = /\(VI_1\) Entering FAULT STATE/;
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[faults/interface.test] SKIPPED: ${skipReason}`);

describe.skipIf(skipReason !== undefined)(
  'fault: the VRRP interface deleted, re-created, renamed; primary address changed',
  () => {
    let topo: Topology;
    let vip: string;
    const daemons = new Map<string, VrrpDaemon>();
    const started: VrrpDaemon[] = [];

    const start = async (n: PairNodeOptions): Promise<VrrpDaemon> => {
      const d = await startKeepvip(topo, n, VRID, vip, ADVERT_SEC);
      daemons.set(n.name, d);
      started.push(d);
      return d;
    };
    const d = (name: string) => daemons.get(name)!;

    /** startPair (re)starts both daemons with n1 at `p1` and n2 at `p2` and waits for the election. */
    const startPair = async (p1: number, p2: number) => {
      for (const dm of daemons.values()) await dm.stop(5000);
      const master = p1 > p2 ? 'n1' : 'n2';
      const backup = master === 'n1' ? 'n2' : 'n1';
      await start({ name: 'n1', priority: p1, state: master === 'n1' ? 'MASTER' : 'BACKUP' });
      await start({ name: 'n2', priority: p2, state: master === 'n2' ? 'MASTER' : 'BACKUP' });
      await d(master).waitForLog(MASTER_RE, 15_000);
      await d(backup).waitForLog(BACKUP_RE, 15_000);
      await topo.waitForVipOn(master, vip, 10_000);
    };

    /** holdsFor checks for `ms` that only `node` holds the VIP and both daemons run. */
    const holdsFor = async (node: string, ms: number) => {
      const until = nowMs() + ms;
      while (nowMs() < until) {
        expect(await topo.whoHas(vip)).toEqual([node]);
        for (const dm of daemons.values()) expect(dm.proc.running, `${dm.node.name} running`).toBe(true);
        await sleep(100);
      }
    };

    beforeAll(async () => {
      await buildDist();
      topo = await createTopology({ prefix: PREFIX, nodes: ['n1', 'n2'] });
      vip = topo.addr4(100);
    }, 240_000);

    afterAll(async () => {
      for (const dm of daemons.values()) await dm.stop(5000).catch(() => undefined);
      await dumpDaemonLogs(PREFIX, started);
      await topo?.destroy();
      await removeRuntime();
      expect(leftoverNetns(PREFIX)).toEqual([]);
    });

    it('eth0 deleted: FAULT and the VIP moves to n2; eth0 re-created: n1 recovers and takes the VIP back', async () => {
      await startPair(200, 100);
      const n1 = d('n1');
      const n2 = d('n2');
      const s1 = n1.lines.length;
      const s2 = n2.lines.length;
      const tDel = nowMs();
      await deleteEth0(topo.node('n1'));
      const fault = await n1.waitForLog(FAULT_RE, 5000, s1);
      const takeover = await n2.waitForLog(MASTER_RE, 10_000, s2);
      await topo.waitForVipOn('n2', vip, 5000);
      await sleep(1000);
      const s1b = n1.lines.length;
      const tNew = nowMs();
      await recreateEth0(topo.node('n1'));
      const back = await n1.waitForLog(MASTER_RE, 10_000, s1b);
      await topo.waitForVipOn('n1', vip, 5000);
      await holdsFor('n1', STABLE_MS);
      const n2State = (await keepvipInstance(n2)).state;
      console.log(
        `[kvfif] eth0 deleted on master n1: FAULT after ${(fault.t - tDel).toFixed(0)} ms, n2 MASTER after ` +
          `${(takeover.t - tDel).toFixed(0)} ms; re-created: n1 MASTER ${(back.t - tNew).toFixed(0)} ms later, ` +
          `VIP on n1 only for ${STABLE_MS} ms; transitions n1 [${transitionsOf(n1, s1).map((t) => t.to)}] n2 [${transitionsOf(n2, s2).map((t) => t.to)}]`,
      );
      expect(transitionsOf(n1, s1).map((t) => t.to)).toEqual(['FAULT', 'BACKUP', 'MASTER']);
      expect(transitionsOf(n2, s2).map((t) => t.to)).toEqual(['MASTER', 'BACKUP']);
      expect(n2State).toBe('BACKUP');
    });

    it('eth0 renamed to eth9: FAULT and the VIP moves to n2; renamed back: n1 recovers', async () => {
      await startPair(200, 100);
      const n1 = d('n1');
      const n2 = d('n2');
      const s1 = n1.lines.length;
      const s2 = n2.lines.length;
      const tRename = nowMs();
      await renameLink(topo.node('n1'), 'eth0', 'eth9');
      const fault = await n1.waitForLog(FAULT_RE, 5000, s1);
      const takeover = await n2.waitForLog(MASTER_RE, 10_000, s2);
      await topo.waitForVipOn('n2', vip, 5000);
      await sleep(1000);
      // Renamed, the interface the configuration names is gone: n1 stays in FAULT.
      expect((await keepvipInstance(n1)).state).toBe('FAULT');
      const s1b = n1.lines.length;
      const tBack = nowMs();
      await renameLink(topo.node('n1'), 'eth9', 'eth0');
      const back = await n1.waitForLog(MASTER_RE, 10_000, s1b);
      await topo.waitForVipOn('n1', vip, 5000);
      await holdsFor('n1', STABLE_MS);
      console.log(
        `[kvfif] eth0 renamed eth9 on master n1: FAULT after ${(fault.t - tRename).toFixed(0)} ms, n2 MASTER after ` +
          `${(takeover.t - tRename).toFixed(0)} ms; renamed back: n1 MASTER ${(back.t - tBack).toFixed(0)} ms later, ` +
          `VIP on n1 only for ${STABLE_MS} ms; transitions n1 [${transitionsOf(n1, s1).map((t) => t.to)}] n2 [${transitionsOf(n2, s2).map((t) => t.to)}]`,
      );
      expect(transitionsOf(n1, s1).map((t) => t.to)).toEqual(['FAULT', 'BACKUP', 'MASTER']);
      expect(transitionsOf(n2, s2).map((t) => t.to)).toEqual(['MASTER', 'BACKUP']);
      expect((await keepvipInstance(n2)).state).toBe('BACKUP');
    });

    let sources: { own?: string; seen: string } | undefined;

    it('primary address changed under n1: n2 keeps accepting its adverts when n1 becomes master', async () => {
      // Changed while n1 is the backup (no VIP on it: a VIP in the /24 would otherwise be the
      // secondary the kernel promotes), then n1 becomes master by n2's reload to a lower priority.
      await startPair(100, 200);
      const n1 = d('n1');
      const n2 = d('n2');
      const node1 = topo.node('n1');
      const oldAddr = node1.addr4;
      const newAddr = topo.addr4(11);
      expect((await keepvipInstance(n2)).masterAddress).toBe(topo.node('n2').addr4);
      await replacePrimary4(node1, 'eth0', `${oldAddr}/24`, `${newAddr}/24`);
      const primary = (await node1.exec('ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout;
      expect(primary).not.toContain(` ${oldAddr}/`);
      expect(primary).toMatch(new RegExp(`inet ${newAddr.replaceAll('.', '\\.')}/24 scope global eth0`));
      // n1 still hears n2 and stays BACKUP.
      await sleep(1000);
      expect((await keepvipInstance(n1)).state).toBe('BACKUP');
      expect((await keepvipInstance(n1)).masterAddress).toBe(topo.node('n2').addr4);

      const s1 = n1.lines.length;
      const s2 = n2.lines.length;
      await n2.rewriteConfig(pairConfig({ name: 'n2', priority: 50 }, VRID, vip, ADVERT_SEC));
      const tReload = nowMs();
      await n2.reload();
      await n2.waitForLog(/Reloaded: /, 10_000, s2);
      const master = await n1.waitForLog(MASTER_RE, 10_000, s1);
      await topo.waitForVipOn('n1', vip, 5000);
      // n2 hears n1's adverts from the new source: it stays BACKUP and names n1's new address.
      const seen = await waitUntil(
        async () => {
          const s = await keepvipInstance(n2);
          return s.state === 'BACKUP' && s.masterAddress !== undefined ? s.masterAddress : undefined;
        },
        { timeoutMs: 5000, what: 'n2 BACKUP with a master address' },
      );
      const received0 = (await keepvipInstance(n2)).counters.advertsReceived;
      await holdsFor('n1', STABLE_MS);
      const n2After = await keepvipInstance(n2);
      const ownSource = (await keepvipInstance(n1)).masterAddress;
      console.log(
        `[kvfif] primary ${oldAddr} -> ${newAddr} on n1 (backup); after n2's reload to 50, n1 MASTER ` +
          `${(master.t - tReload).toFixed(0)} ms after SIGHUP; n1 advertises from ${ownSource}, n2 sees master ${seen} ` +
          `and received ${n2After.counters.advertsReceived - received0} adverts in ${STABLE_MS} ms, drops ${JSON.stringify(n2After.counters.drops)}`,
      );
      sources = { own: ownSource, seen };
      // The peer accepts them: n2 stays BACKUP, hears n1's adverts, drops none.
      expect(n2After.state).toBe('BACKUP');
      expect(n2After.counters.advertsReceived - received0).toBeGreaterThan(0);
      expect(n2After.counters.drops).toEqual({});
    });

    // Regression: the source address was read once when the instance started, so the adverts kept
    // the deleted address as their IP source. The runner now re-reads the primary address when the
    // kernel reports an address change (watchPrimaryAddresses), as keepalived follows RTM_NEWADDR/DELADDR.
    it('after the change, its adverts carry the new source (the peer names it as master)', () => {
      expect(sources, 'the previous case ran').toBeDefined();
      expect(sources!.own).toBe(topo.addr4(11));
      expect(sources!.seen).toBe(topo.addr4(11));
    });
  },
);
