import { rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { createTopology, leftoverNetns, type Topology } from '../../helpers/topology.js';
import { buildDist } from './configs.js';

// keepalived's weight arithmetic checked against the effective priorities `keepvip status`
// reports: one daemon, one instance per rule, all tracking the same switchable script and file.
const PREFIX = 'kvtrw';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[tracking weights] SKIPPED: ${skipReason}`);

/** CASES: instance, base priority, track_script line (chk_ok passes while /etc/keepalived/ok exists), priority when ok / failing. */
const CASES: {
  name: string;
  base: number;
  track: string;
  ok: number;
  failing: number;
  faultWhenFailing?: boolean;
}[] = [
  { name: 'VI_NEG', base: 100, track: 'chk_ok weight -30', ok: 100, failing: 70 },
  { name: 'VI_POS', base: 100, track: 'chk_ok weight 30', ok: 130, failing: 100 },
  { name: 'VI_REV', base: 100, track: 'chk_ok weight 30 reverse', ok: 70, failing: 100 },
  { name: 'VI_NREV', base: 100, track: 'chk_ok weight -30 reverse', ok: 100, failing: 130 },
  { name: 'VI_CLAMP_HI', base: 240, track: 'chk_ok weight 30', ok: 254, failing: 240 },
  { name: 'VI_CLAMP_LO', base: 10, track: 'chk_ok weight -30', ok: 10, failing: 1 },
  { name: 'VI_OWNER', base: 255, track: 'chk_ok', ok: 255, failing: 255, faultWhenFailing: true },
  { name: 'VI_FAULT', base: 100, track: 'chk_ok weight 0', ok: 100, failing: 100, faultWhenFailing: true },
];

interface StatusInstance {
  name: string;
  state: string;
  effectivePriority: number;
  faults: string[];
}

describe.skipIf(skipReason !== undefined)(
  'weight arithmetic against the effective priorities keepvip reports',
  () => {
    let topo: Topology;
    let daemon: VrrpDaemon;
    let okFile: string;
    let valueFile: string;

    const statusOf = async (): Promise<Map<string, StatusInstance>> => {
      const doc = (await daemon.status()) as { instances: StatusInstance[] };
      return new Map(doc.instances.map((i) => [i.name, i]));
    };

    beforeAll(async () => {
      buildDist();
      topo = await createTopology({ prefix: PREFIX, nodes: ['n1'] });
      const node = topo.node('n1');
      await node.isolate();
      okFile = await node.hostPath('/etc/keepalived/ok');
      valueFile = await node.hostPath('/etc/keepalived/value');
      await writeFile(okFile, '');
      await writeFile(valueFile, '5\n');
      const instances = CASES.map(
        (c, i) => `vrrp_instance ${c.name} {
  state BACKUP
  interface eth0
  virtual_router_id ${80 + i}
  priority ${c.base}
  advert_int 1
  virtual_ipaddress {
    ${topo.addr4(150 + i)}/24 dev eth0
  }
  track_script {
    ${c.track}
  }
}`,
      );
      const config = `global_defs {
  router_id n1
}
vrrp_script chk_ok {
  script "[[ -f /etc/keepalived/ok ]]"
  interval 1
}
track_file value {
  file /etc/keepalived/value
  weight 2
}
vrrp_track_process no_such_daemon {
  process kv-no-such-daemon
  weight -7
}
${instances.join('\n')}
vrrp_instance VI_FILE {
  state BACKUP
  interface eth0
  virtual_router_id 99
  priority 100
  advert_int 1
  virtual_ipaddress {
    ${topo.addr4(199)}/24 dev eth0
  }
  track_file {
    value
  }
  track_process {
    no_such_daemon
  }
}
`;
      daemon = await startVrrpDaemon(node, { preset: 'keepvip', isolated: true, config });
      await daemon.waitForLog(/Track process no_such_daemon/, 15_000);
    }, 60_000);

    afterAll(async () => {
      await topo?.destroy();
      expect(leftoverNetns(PREFIX)).toEqual([]);
    });

    it('while the script succeeds: negative weight idle, positive added, reverse subtracted, clamp at 254', async () => {
      await expect
        .poll(
          async () => {
            const s = await statusOf();
            return CASES.map((c) => `${c.name}=${s.get(c.name)?.effectivePriority}`);
          },
          { timeout: 10_000 },
        )
        .toEqual(CASES.map((c) => `${c.name}=${c.ok}`));
      // track_file: value 5 x weight 2 = +10; the missing process: -7.
      expect((await statusOf()).get('VI_FILE')?.effectivePriority).toBe(103);
    });

    it('while it fails: negative subtracted, reverse added, clamp at 1, the 255 owner unchanged, weight 0 is FAULT', async () => {
      await rm(okFile);
      await expect
        .poll(
          async () => {
            const s = await statusOf();
            return CASES.map((c) => `${c.name}=${s.get(c.name)?.effectivePriority}`);
          },
          { timeout: 10_000 },
        )
        .toEqual(CASES.map((c) => `${c.name}=${c.failing}`));
      await expect
        .poll(
          async () => {
            const s = await statusOf();
            return CASES.filter((c) => c.faultWhenFailing).map((c) => s.get(c.name)?.state);
          },
          { timeout: 5000 },
        )
        .toEqual(['FAULT', 'FAULT']);
      const s = await statusOf();
      console.log(
        `[tracking weights] failing: ${CASES.map((c) => `${c.name}=${s.get(c.name)?.effectivePriority}/${s.get(c.name)?.state}`).join(' ')}`,
      );
    });

    it('a track_file change is applied at once: value x weight', async () => {
      await writeFile(valueFile, '-20\n');
      // -20 x 2 = -40, the missing process -7: 100 - 47.
      await expect
        .poll(async () => (await statusOf()).get('VI_FILE')?.effectivePriority, { timeout: 3000 })
        .toBe(53);
      await writeFile(valueFile, '-200\n');
      // -400 is below -253: FAULT (keepalived.conf(5) "Track files").
      await expect
        .poll(async () => (await statusOf()).get('VI_FILE')?.state, { timeout: 3000 })
        .toBe('FAULT');
    });
  },
);
