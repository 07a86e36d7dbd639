import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason, run } from '../../helpers/netns.js';
import { createTopology, leftoverNetns, type Topology } from '../../helpers/topology.js';
import { ensureDistSync } from '../../helpers/dist.js';

// `keepvip generate` turns one dual-master inventory into both nodes' keepalived.conf; the two
// files pass `--config-test --peer`, and two keepvip daemons started from them form a working
// dual-master pair: each node holds its own VIP, and each VIP moves to the peer when its node
// goes down (and back when it returns, preempting).
const PREFIX = 'kvgp';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[nginx-pair.test] SKIPPED: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('a dual-master pair generated from an inventory', () => {
  let topo: Topology;
  let vip1: string;
  let vip2: string;
  let out: string;
  const daemons = new Map<string, VrrpDaemon>();
  const keepvip = (args: string[]) =>
    run(process.execPath, [join(REPO_ROOT, 'bin/keepvip'), ...args], { reject: false });

  beforeAll(async () => {
    ensureDistSync();
    topo = await createTopology({ prefix: PREFIX, nodes: ['n1', 'n2'] });
    vip1 = topo.addr4(101);
    vip2 = topo.addr4(102);
    out = join(topo.dir, 'generated');
  }, 120_000);

  afterAll(async () => {
    await topo?.destroy();
    expect(leftoverNetns(PREFIX)).toEqual([]);
  });

  it('generates both nodes from one inventory, and the pair passes --config-test --peer', async () => {
    const inventory = join(topo.dir, 'pair.inv');
    await writeFile(
      inventory,
      `pair web {
    mode dual_master
    interface eth0
    virtual_router_id 71
    advert_int 1
    auth_pass kvgp1
    node n1 {
        address ${topo.node('n1').addr4}
        vip ${vip1}/24
    }
    node n2 {
        address ${topo.node('n2').addr4}
        vip ${vip2}/24
    }
}
`,
    );
    const gen = await keepvip(['generate', '--pair', inventory, '--out', out]);
    console.log(`[pair] keepvip generate: exit ${gen.exitCode}\n${gen.stderr.trim()}`);
    expect(gen.exitCode).toBe(0);
    const test = await keepvip([
      '-t',
      '-f',
      join(out, 'n1/keepalived.conf'),
      '--peer',
      join(out, 'n2/keepalived.conf'),
    ]);
    console.log(`[pair] config test: ${test.stderr.trim()}`);
    expect(test.exitCode).toBe(0);
    expect(test.stderr).toMatch(/0 error\(s\), 0 warning\(s\)/);
  });

  it('runs as a dual-master pair: each node holds its own VIP', async () => {
    for (const name of ['n1', 'n2']) {
      const config = await readFile(join(out, name, 'keepalived.conf'), 'utf8');
      daemons.set(name, await startVrrpDaemon(topo.node(name), { preset: 'keepvip', config }));
    }
    await topo.waitForVipOn('n1', vip1, 15_000);
    await topo.waitForVipOn('n2', vip2, 15_000);
    console.log(`[pair] ${vip1} on [${await topo.whoHas(vip1)}], ${vip2} on [${await topo.whoHas(vip2)}]`);
  });

  it("moves n1's VIP to n2 when n1 goes down, and back when it returns", async () => {
    const t0 = performance.now();
    await daemons.get('n1')!.stop();
    await topo.waitForVipOn('n2', vip1, 10_000);
    const moved = performance.now() - t0;
    expect(await topo.whoHas(vip2)).toEqual(['n2']);
    const config = await readFile(join(out, 'n1', 'keepalived.conf'), 'utf8');
    daemons.set('n1', await startVrrpDaemon(topo.node('n1'), { preset: 'keepvip', config }));
    await topo.waitForVipOn('n1', vip1, 15_000);
    console.log(`[pair] n1 down: ${vip1} on n2 after ${moved.toFixed(0)} ms; n1 back: ${vip1} on n1 again`);
  });

  it("moves n2's VIP to n1 when n2 goes down", async () => {
    const t0 = performance.now();
    await daemons.get('n2')!.crash();
    // A crashed daemon leaves its addresses configured; the node is gone for VRRP, so n1
    // must take the VIP after Master_Down_Interval (RFC 5798 6.4.2).
    await topo.node('n2').exec('ip', ['addr', 'del', `${vip2}/24`, 'dev', 'eth0']);
    await topo.waitForVipOn('n1', vip2, 10_000);
    console.log(`[pair] n2 crashed: ${vip2} on n1 after ${(performance.now() - t0).toFixed(0)} ms`);
    expect(await topo.whoHas(vip1)).toEqual(['n1']);
  });
});
