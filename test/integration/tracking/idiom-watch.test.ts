/**
 * Event-driven re-checks for common check idioms (track/idioms.ts, track/idiom-watch.ts), on a
 * keepvip pair with real nginx in per-node PID namespaces. The checks are written as users write
 * them — `killall -0 nginx && exit 0 || exit 1`, a script file doing `kill -0 $(cat
 * /run/nginx.pid)`, the seed's down-file test — with `interval 60` and `fall 2`, so the interval
 * alone could not change a verdict for a minute: every verdict change seen here within seconds
 * was made by a watch-triggered run, and still needed `fall` failing runs.
 *
 * Also: a wrong guess (a script that mentions `pidof nginx` but always exits 0) costs runs, never
 * its verdict; a script with no idiom gets no watch; `keepvip status --json` lists the watches.
 */
import { rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { type NginxInstance, startNginx } from '../../helpers/nginx.js';
import { createTopology, leftoverNetns, type Topology } from '../../helpers/topology.js';
import { waitUntil } from '../../helpers/wait.js';
import { buildDist } from './configs.js';

const PREFIX = 'kvidw';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[idiom watch] SKIPPED: ${skipReason}`);

const PID_CHECK = `#!/bin/bash
# is the pid in nginx's pid file alive?
PIDFILE=/run/nginx.pid
kill -0 $(cat $PIDFILE) 2>/dev/null || exit 1
exit 0
`;
/** A wrong guess: the script names nginx but its verdict does not depend on it. */
const ALWAYS_OK = `#!/bin/sh
pidof nginx >/dev/null
exit 0
`;

function config(routerId: string, priority: number, vip: string): string {
  const script = (name: string, text: string, weight: number) => `vrrp_script ${name} {
  script "${text}"
  interval 60
  weight ${weight}
  fall 2
  rise 1
}
`;
  return `global_defs {
  router_id ${routerId}
  vrrp_version 3
}
${script('chk_down', '[[ -f /etc/keepalived/down ]] && exit 1 || exit 0', -20)}
${script('chk_nginx', 'killall -0 nginx && exit 0 || exit 1', -20)}
${script('chk_pid', '/etc/keepalived/check_nginx_pid.sh', -20)}
${script('chk_guess', '/etc/keepalived/always_ok.sh', -50)}
${script('chk_none', '/bin/true', -50)}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 77
  priority ${priority}
  advert_int 0.1
  virtual_ipaddress {
    ${vip}/24 dev eth0
  }
  track_script {
    chk_down
    chk_nginx
    chk_pid
    chk_guess
    chk_none
  }
}
`;
}

interface Track {
  name: string;
  good: boolean;
  runs?: number;
  watches?: string[];
  lastRun?: { trigger: 'interval' | 'watch'; exitCode?: number };
}
interface StatusDoc {
  instances: { name: string; state: string; effectivePriority: number; tracks: Track[] }[];
}

describe.skipIf(skipReason !== undefined)(
  'check idioms are watched: a change runs the script at once',
  () => {
    let topo: Topology;
    let vip: string;
    const daemons = new Map<string, VrrpDaemon>();
    const nginxes = new Map<string, NginxInstance>();

    const tracks = async (name: string): Promise<Map<string, Track>> => {
      const doc = (await daemons.get(name)!.status()) as StatusDoc;
      return new Map(doc.instances[0]!.tracks.map((t) => [t.name.replace(/^script /, ''), t]));
    };

    beforeAll(async () => {
      buildDist();
      topo = await createTopology({ prefix: PREFIX, nodes: ['n1', 'n2'], client: false });
      vip = topo.addr4(77);
      for (const [name, priority] of [
        ['n1', 100],
        ['n2', 90],
      ] as const) {
        const node = topo.node(name);
        await node.isolate();
        await writeFile(await node.hostPath('/etc/keepalived/check_nginx_pid.sh'), PID_CHECK, {
          mode: 0o755,
        });
        await writeFile(await node.hostPath('/etc/keepalived/always_ok.sh'), ALWAYS_OK, { mode: 0o755 });
        nginxes.set(name, await startNginx(node, { isolated: true }));
        daemons.set(
          name,
          await startVrrpDaemon(node, {
            preset: 'keepvip',
            isolated: true,
            config: config(name, priority, vip),
          }),
        );
      }
      await daemons.get('n1')!.waitForLog(/\(VI_1\) Entering MASTER STATE/, 15_000);
      await topo.waitForVipOn('n1', vip, 5000);
    }, 120_000);

    afterAll(async () => {
      await topo?.destroy();
      expect(leftoverNetns(PREFIX)).toEqual([]);
    });

    it('status lists the watches of each script, and none for /bin/true', async () => {
      const t = await tracks('n1');
      expect(t.get('chk_nginx')!.watches).toEqual([
        expect.stringMatching(/^process nginx: [1-9]\d* pids? \(killall -0 nginx\)$/),
      ]);
      expect(t.get('chk_pid')!.watches).toEqual([
        expect.stringMatching(
          /^pid file \/run\/nginx\.pid: 1 pid \(kill -0 \$\(cat \/run\/nginx\.pid\)\) in \/etc\/keepalived\/check_nginx_pid\.sh$/,
        ),
      ]);
      expect(t.get('chk_down')!.watches).toEqual(['file /etc/keepalived/down']);
      expect(t.get('chk_guess')!.watches).toEqual([expect.stringMatching(/^process nginx: /)]);
      expect(t.get('chk_none')!.watches).toEqual([]);
      expect(
        daemons.get('n1')!.lines.some((l) => /VRRP_Script\(chk_nginx\) watching process nginx/.test(l.text)),
      ).toBe(true);
      for (const tr of t.values()) expect(tr.good, tr.name).toBe(true);
    });

    it('nginx killed on n1: chk_nginx and chk_pid fail through watch-triggered runs (fall 2), the VIP moves', async () => {
      const before = await tracks('n1');
      await nginxes.get('n1')!.kill();
      // interval 60: only a watch can make these verdicts change before a minute has passed.
      await topo.waitForVipOn('n2', vip, 20_000);
      const after = await tracks('n1');
      for (const name of ['chk_nginx', 'chk_pid']) {
        const t = after.get(name)!;
        expect(t.good, name).toBe(false);
        expect(t.lastRun?.trigger, name).toBe('watch');
        expect(t.lastRun?.exitCode, name).not.toBe(0);
        // fall 2: at least two real failing runs, all after the first interval run.
        expect(t.runs! - before.get(name)!.runs!, name).toBeGreaterThanOrEqual(2);
      }
      // The wrong guess ran again (a watch fired), and its verdict did not move.
      const guess = after.get('chk_guess')!;
      expect(guess.good).toBe(true);
      expect(guess.runs!).toBeGreaterThan(before.get('chk_guess')!.runs!);
      expect(guess.lastRun?.exitCode).toBe(0);
      expect(after.get('chk_none')!.runs).toBe(before.get('chk_none')!.runs);
      const doc = (await daemons.get('n1')!.status()) as StatusDoc;
      expect(doc.instances[0]!.effectivePriority).toBe(60);
    });

    it('nginx back on n1: the rescan sees it, the scripts run at once (rise 1) and n1 takes the VIP back', async () => {
      nginxes.set('n1', await startNginx(topo.node('n1'), { isolated: true }));
      await topo.waitForVipOn('n1', vip, 20_000);
      await waitUntil(
        async () => {
          const t = await tracks('n1');
          return t.get('chk_nginx')!.good && t.get('chk_pid')!.good;
        },
        { timeoutMs: 10_000, what: 'chk_nginx and chk_pid good again' },
      );
      const t = await tracks('n1');
      expect(t.get('chk_nginx')!.lastRun?.trigger).toBe('watch');
      expect(t.get('chk_pid')!.watches).toEqual([expect.stringMatching(/: 1 pid /)]);
    });

    it('touch /etc/keepalived/down moves the VIP and rm brings it back (the file watch, through the same path)', async () => {
      const down = await topo.node('n1').hostPath('/etc/keepalived/down');
      await writeFile(down, '');
      await topo.waitForVipOn('n2', vip, 20_000);
      expect((await tracks('n1')).get('chk_down')!.good).toBe(false);
      await rm(down);
      await topo.waitForVipOn('n1', vip, 20_000);
      expect((await tracks('n1')).get('chk_down')!.lastRun?.trigger).toBe('watch');
    });
  },
);
