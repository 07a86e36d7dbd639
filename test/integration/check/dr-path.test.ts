import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckSnapshot, CheckerSnapshot } from '../../../src/check/snapshot.js';
import { ensureDistSync } from '../../helpers/dist.js';
import { startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { createTopology, type TopoNode, type Topology } from '../../helpers/topology.js';
import { waitUntil } from '../../helpers/wait.js';

// `keepvip -C` in namespace `dir` (the VIP on its eth0, no IPVS) checks three LVS-DR real
// servers, each listening on 0.0.0.0:80 and :81 (so on the VIP and on its own address):
//   rs1 correct: VIP on lo, arp_ignore=1, arp_announce=2
//   rs2 no VIP on lo: a frame for the VIP is not for it (no SYN-ACK)
//   rs3 VIP on lo but default ARP sysctls: it answers ARP for the VIP
// virtual_server VIP 81 has TCP_CHECKs only (all pass); VIP 80 adds dr_path_check on.
const PREFIX = 'kvdr';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[check/dr-path.test] SKIPPED: ${skipReason}`);

const LISTENER =
  "const net=require('node:net');let n=0;for(const p of [80,81])net.createServer((s)=>s.destroy()).listen({port:p,host:'0.0.0.0'},()=>{if(++n===2)console.log('ready')})";

describe.skipIf(skipReason !== undefined)(
  'dr_path_check on: the LVS-DR data path to each real server',
  () => {
    let topo: Topology;
    let dir: TopoNode;
    let rs: TopoNode[];
    let keepvip: VrrpDaemon;
    let vip: string;
    const DELAY_LOOP_S = 2;

    const config = () => {
      const servers = () =>
        rs
          .map((n) => `  real_server ${n.addr4} {\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }`)
          .join('\n');
      return `global_defs {
  router_id drpath
}
virtual_server ${vip} 80 {
  delay_loop ${DELAY_LOOP_S}
  lb_kind DR
  protocol TCP
  connect_timeout 1
  retry 0
  dr_path_check on
${servers()}
}
virtual_server ${vip} 81 {
  delay_loop ${DELAY_LOOP_S}
  lb_kind DR
  protocol TCP
${servers()}
}
`;
    };

    async function checks(): Promise<CheckSnapshot> {
      const doc = (await keepvip.status()) as { checks?: CheckSnapshot; checkers?: CheckSnapshot };
      const c = doc.checks ?? doc.checkers;
      if (c === undefined) throw new Error('no checker snapshot in keepvip status --json');
      return c;
    }

    function checker(
      c: CheckSnapshot,
      port: number,
      node: TopoNode,
      kind: string,
    ): CheckerSnapshot | undefined {
      const r = c.realServers.find(
        (s) => s.virtualServer.includes(`${vip}]:tcp:${port}`) && s.realServer.includes(`[${node.addr4}]`),
      );
      return r?.checkers.find((k) => k.kind === kind);
    }

    const alive = (c: CheckSnapshot, port: number, node: TopoNode) =>
      c.realServers.find(
        (s) => s.virtualServer.includes(`${vip}]:tcp:${port}`) && s.realServer.includes(`[${node.addr4}]`),
      )?.alive;

    beforeAll(async () => {
      ensureDistSync();
      topo = await createTopology({ prefix: PREFIX, nodes: ['dir', 'rs1', 'rs2', 'rs3'] });
      dir = topo.node('dir');
      rs = ['rs1', 'rs2', 'rs3'].map((n) => topo.node(n));
      vip = topo.addr4(100);
      await dir.exec('ip', ['addr', 'add', `${vip}/32`, 'dev', 'eth0']);
      const [rs1, , rs3] = rs as [TopoNode, TopoNode, TopoNode];
      for (const n of [rs1, rs3]) await n.exec('ip', ['addr', 'add', `${vip}/32`, 'dev', 'lo']);
      await rs1.exec('sysctl', ['-qw', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2']);
      for (const n of rs) {
        const p = n.spawn('listener', process.execPath, ['-e', LISTENER]);
        await p.waitForLine(/^ready$/, 10_000);
      }
      keepvip = await startVrrpDaemon(dir, { preset: 'keepvip', config: config(), extraArgs: ['-C'] });
    }, 120_000);

    afterAll(async () => {
      await keepvip?.stop().catch(() => {});
      await topo?.destroy();
    });

    it('TCP_CHECK passes for all three; DR_PATH_CHECK: rs1 UP, rs2 DOWN (no SYN-ACK), rs3 DOWN (ARP reply)', async () => {
      const [rs1, rs2, rs3] = rs as [TopoNode, TopoNode, TopoNode];
      const c = await waitUntil(
        async () => {
          const s = await checks();
          const all = rs.flatMap((n) => [
            checker(s, 80, n, 'DR_PATH_CHECK'),
            checker(s, 80, n, 'TCP_CHECK'),
            checker(s, 81, n, 'TCP_CHECK'),
          ]);
          return all.every((k) => k?.hasRun && k.last !== undefined) ? s : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 200, what: 'every checker has run' },
      );
      for (const n of rs) {
        const dr = checker(c, 80, n, 'DR_PATH_CHECK')!;
        console.log(
          `[dr-path] ${n.name} ${n.addr4}: DR_PATH_CHECK ${dr.up ? 'UP' : 'DOWN'} in ${dr.last!.latencyMs.toFixed(1)} ms: ${dr.last!.reason}; TCP_CHECK ${checker(c, 80, n, 'TCP_CHECK')!.up ? 'UP' : 'DOWN'} in ${checker(c, 80, n, 'TCP_CHECK')!.last!.latencyMs.toFixed(1)} ms`,
        );
        expect(checker(c, 80, n, 'TCP_CHECK')!.up, `${n.name} TCP_CHECK on :80`).toBe(true);
        expect(checker(c, 81, n, 'TCP_CHECK')!.up, `${n.name} TCP_CHECK on :81`).toBe(true);
        expect(alive(c, 81, n), `${n.name} alive without dr_path_check`).toBe(true);
      }
      expect(checker(c, 80, rs1, 'DR_PATH_CHECK')!.up).toBe(true);
      expect(checker(c, 80, rs1, 'DR_PATH_CHECK')!.last!.reason).toMatch(/^SYN-ACK from /);
      expect(alive(c, 80, rs1)).toBe(true);
      expect(checker(c, 80, rs2, 'DR_PATH_CHECK')!.up).toBe(false);
      expect(checker(c, 80, rs2, 'DR_PATH_CHECK')!.last!.reason).toMatch(
        /VIP not accepted on the real server \(VIP missing on lo\?\)/,
      );
      expect(alive(c, 80, rs2)).toBe(false);
      expect(checker(c, 80, rs3, 'DR_PATH_CHECK')!.up).toBe(false);
      expect(checker(c, 80, rs3, 'DR_PATH_CHECK')!.last!.reason).toMatch(
        /real server answers ARP for the VIP \(arp_ignore\/arp_announce not set\)/,
      );
      expect(alive(c, 80, rs3)).toBe(false);
      // The daemon's log says it too, in the checkers' words.
      await keepvip.waitForLog(new RegExp(`DR_PATH_CHECK on service \\[${rs2.addr4}\\]:tcp:80 failed`), 5000);
      await keepvip.waitForLog(
        new RegExp(`Removing service \\[${rs3.addr4}\\]:tcp:80 from VS \\[${vip}\\]:tcp:80`),
        5000,
      );
    });

    it('rs2 with the VIP added on lo comes back UP within delay_loop', async () => {
      const rs2 = rs[1]!;
      await rs2.exec('ip', ['addr', 'add', `${vip}/32`, 'dev', 'lo']);
      await rs2.exec('sysctl', ['-qw', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2']);
      const fixedAt = Date.now();
      const c = await waitUntil(
        async () => {
          const s = await checks();
          return alive(s, 80, rs2) ? s : undefined;
        },
        { timeoutMs: DELAY_LOOP_S * 1000 + 6000, intervalMs: 100, what: 'rs2 alive again' },
      );
      const took = Date.now() - fixedAt;
      const dr = checker(c, 80, rs2, 'DR_PATH_CHECK')!;
      console.log(
        `[dr-path] rs2 UP ${took} ms after the fix (delay_loop ${DELAY_LOOP_S} s): ${dr.last!.reason}`,
      );
      // Worst case: a run already in flight when the VIP was added (it fails), then delay_loop, then
      // one more run; each run lasts about the ARP window (1 s).
      expect(took).toBeLessThanOrEqual(DELAY_LOOP_S * 1000 + 2 * 1000 + 500);
      await keepvip.waitForLog(
        new RegExp(`DR path to \\[${rs2.addr4}\\]:tcp:80 for VIP ${vip.replace(/\./g, '\\.')} success\\.`),
        5000,
      );
    });
  },
);
