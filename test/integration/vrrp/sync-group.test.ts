/**
 * vrrp_sync_group: members move together. Two nodes each run VI_1 and VI_2 in one sync group;
 * a weight-0 check that fails on the master puts one member in FAULT, and the whole group must
 * follow it there, so the other node takes both VIPs; when the check recovers, both come back.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { createTopology, type Topology } from '../../helpers/topology.js';
import { ensureDist } from '../../helpers/dist.js';

const skip = integrationSkipReason();
if (skip) console.warn(`sync-group tests skipped: ${skip}`);

interface StatusDoc {
  instances: { name: string; state: string; faults: string[] }[];
}

function config(name: string, priority: number, vip1: string, vip2: string, failFile: string): string {
  const inst = (n: string, vrid: number, vip: string, track: string) => `vrrp_instance ${n} {
    state BACKUP
    interface eth0
    virtual_router_id ${vrid}
    priority ${priority}
    advert_int 1
    virtual_ipaddress {
        ${vip}/24 dev eth0
    }
${track}}
`;
  return `global_defs {
    router_id ${name}
}
vrrp_script chk_app {
    script "[[ -f ${failFile} ]] && exit 1 || exit 0"
    interval 1
    weight 0
}
vrrp_sync_group G1 {
    group {
        VI_1
        VI_2
    }
}
${inst('VI_1', 71, vip1, '')}${inst('VI_2', 72, vip2, '    track_script {\n        chk_app\n    }\n')}`;
}

describe.skipIf(!!skip)('vrrp_sync_group members move together', () => {
  let topo: Topology;
  const d: Record<string, VrrpDaemon> = {};
  let vip1: string;
  let vip2: string;
  let failFile: string;

  beforeAll(async () => {
    await ensureDist();
    topo = await createTopology({ prefix: 'kvsg', nodes: ['n1', 'n2'], client: false });
    vip1 = topo.addr4(100);
    vip2 = topo.addr4(101);
    failFile = join(topo.node('n1').dir, 'app-failed');
    d.n1 = await startVrrpDaemon(topo.node('n1'), {
      preset: 'keepvip',
      config: config('n1', 150, vip1, vip2, failFile),
    });
    d.n2 = await startVrrpDaemon(topo.node('n2'), {
      preset: 'keepvip',
      config: config('n2', 100, vip1, vip2, join(topo.node('n2').dir, 'never')),
    });
    await topo.waitForVipOn('n1', vip1, 15_000);
    await topo.waitForVipOn('n1', vip2, 15_000);
  });
  afterAll(async () => {
    for (const daemon of Object.values(d)) await daemon.stop().catch(() => {});
    await topo?.destroy();
  });

  it('one member failing takes the whole group to FAULT; the peer takes both VIPs', async () => {
    const since = d.n1!.lines.length;
    await writeFile(failFile, '');
    await topo.waitForVipOn('n2', vip2, 10_000);
    await topo.waitForVipOn('n2', vip1, 10_000);
    const s = (await d.n1!.status()) as StatusDoc;
    console.log(
      `n1 after the check failed: ${s.instances.map((i) => `${i.name} ${i.state} [${i.faults.join(', ')}]`).join('; ')}`,
    );
    expect(s.instances.map((i) => i.state)).toEqual(['FAULT', 'FAULT']);
    expect(s.instances.find((i) => i.name === 'VI_1')!.faults.join()).toMatch(/sync group G1 member VI_2/);
    expect(await topo.whoHas(vip1)).toEqual(['n2']);
    expect(await topo.whoHas(vip2)).toEqual(['n2']);
    expect(d.n1!.lines.slice(since).some((l) => /\(VI_1\) Entering FAULT STATE/.test(l.text))).toBe(true);
  });

  it('when the member recovers the group returns to the higher-priority node', async () => {
    await rm(failFile, { force: true });
    await topo.waitForVipOn('n1', vip1, 15_000);
    await topo.waitForVipOn('n1', vip2, 15_000);
    const s = (await d.n1!.status()) as StatusDoc;
    console.log(`n1 after recovery: ${s.instances.map((i) => `${i.name} ${i.state}`).join('; ')}`);
    expect(s.instances.map((i) => i.state)).toEqual(['MASTER', 'MASTER']);
    expect(await topo.whoHas(vip1)).toEqual(['n1']);
    expect(await topo.whoHas(vip2)).toEqual(['n1']);
  });
});
