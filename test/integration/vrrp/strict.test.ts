import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVrrpDaemon, type VrrpDaemon, type VrrpPreset } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { createTopology, leftoverNetns, type Topology, type TopoNode } from '../../helpers/topology.js';
import { buildOnce, MASTER_RE } from './interop.js';
import { dumpDaemonLogs } from './status.js';

// no_accept and vrrp_strict with nftables, as keepalived 2.2.7 does them (vrrp_nftables.c): the
// MASTER's VIPs go into table ip/ip6 keepalived's `vips` set and traffic to them is dropped;
// stopping removes the tables. Each daemon runs alone on n1 with the same configuration; the
// rulesets (`nft list ruleset`) must be the same, and the client must get no answer from the VIP
// (a TCP connect times out, while an `accept` instance answers with a RST).
const PREFIX = 'kvst';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[strict.test] SKIPPED: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('no_accept / vrrp_strict nftables rules vs keepalived', () => {
  let topo: Topology;
  let vip4: string;
  let vip6: string;
  const started: VrrpDaemon[] = [];

  const config = (globals: string, instanceExtra: string) => `global_defs {
  router_id n1
${globals}
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 96
  priority 100
  version 3
  advert_int 1
${instanceExtra}
  virtual_ipaddress {
    ${vip4}/24 dev eth0
  }
  virtual_ipaddress_excluded {
    ${vip6}/64 dev eth0
  }
}
`;

  const ruleset = async (node: TopoNode) =>
    (await node.exec('nft', ['list', 'ruleset'])).stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .join('\n');
  /** answers: a TCP connect to a closed port of the address gets a RST (curl exit 7); a dropped one times out (28). */
  const answers = async (address: string) =>
    (await topo.client!.exec('curl', ['-sS', '--max-time', '1', `http://${address}:9/`], { reject: false }))
      .exitCode === 7;

  /** run starts `preset` on n1 with the configuration, waits for MASTER, returns the ruleset and whether the VIP answers pings. */
  const run = async (preset: VrrpPreset, globals: string, instanceExtra: string) => {
    const n1 = await startVrrpDaemon(topo.node('n1'), { preset, config: config(globals, instanceExtra) });
    started.push(n1);
    await n1.waitForLog(MASTER_RE, 15_000);
    await topo.waitForVipOn('n1', vip4, 5000);
    let rules = await ruleset(topo.node('n1'));
    // keepalived installs the rules right after the addresses: give it a moment to finish.
    for (let i = 0; i < 30 && !rules.includes(vip4) && !/accept$/.test(instanceExtra.trim()); i++) {
      await new Promise((r) => setTimeout(r, 100));
      rules = await ruleset(topo.node('n1'));
    }
    const answered = await answers(vip4);
    await n1.stop();
    const after = await ruleset(topo.node('n1'));
    console.log(
      `[strict.test] ${preset} (${globals.trim() || '-'} / ${instanceExtra.trim() || '-'}): VIP answers ${answered}\n${rules}`,
    );
    return { rules, answers: answered, after };
  };

  beforeAll(async () => {
    await buildOnce();
    topo = await createTopology({ prefix: PREFIX, nodes: ['n1'], client: true });
    vip4 = topo.addr4(100);
    vip6 = 'fd96::100';
  });

  afterAll(async () => {
    await dumpDaemonLogs(PREFIX, started);
    await topo?.destroy();
    expect(leftoverNetns(PREFIX)).toEqual([]);
  });

  it.each([
    ['no_accept', '', '  no_accept', false],
    ['vrrp_strict', '  vrrp_strict', '', false],
    ['vrrp_strict with accept', '  vrrp_strict', '  accept', true],
  ])('%s: the same ruleset as keepalived, removed at stop', async (_name, globals, extra, answers) => {
    const keepvip = await run('keepvip', globals, extra);
    const keepalived = await run('keepalived', globals, extra);
    expect(keepvip.rules).toBe(keepalived.rules);
    expect(keepvip.answers).toBe(answers);
    expect(keepalived.answers).toBe(answers);
    if (!answers) expect(keepvip.rules).toContain(vip4);
    expect(keepvip.after).toBe('');
    expect(keepalived.after).toBe('');
  });
});
