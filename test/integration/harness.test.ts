import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowMs } from '../../bench/lib/clock.js';
import { analyzeProbes, formatReport } from '../../bench/lib/outage.js';
import type { Prober } from '../../bench/lib/prober.js';
import { dropVrrp, linkDown, linkUp, restoreVrrp } from '../helpers/faults.js';
import {
  KEEPVIP_NODE_FLAGS,
  simpleVrrpConfig,
  startVrrpDaemon,
  type VrrpDaemon,
  vrrpArgv,
} from '../helpers/keepalived.js';
import { integrationSkipReason } from '../helpers/netns.js';
import { type NginxInstance, startNginx } from '../helpers/nginx.js';
import { startClientProber } from '../helpers/prober.js';
import { createTopology, leftoverNetns, processesIn, type Topology } from '../helpers/topology.js';

// Baseline for the harness itself, with only the reference daemon: two real keepalived 2.2.7
// peers (VRRPv2, PASS auth, priorities 150/100) in isolated nodes, real nginx on each, a
// client probing the VIP every 10 ms on fresh connections.
const PREFIX = 'kvh';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[harness.test] SKIPPED: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('integration harness with real keepalived and nginx', () => {
  let topo: Topology;
  let vip: string;
  const daemons = new Map<string, VrrpDaemon>();
  const nginxes = new Map<string, NginxInstance>();
  let prober: Prober | undefined;

  const config = (name: string, priority: number) =>
    simpleVrrpConfig({
      routerId: name,
      virtualRouterId: 51,
      priority,
      authPass: 'kvh-pass',
      vips: [`${vip}/24`],
      // The check runs `killall -0 nginx` exactly as the seed configs do; it only means
      // something if killall sees this node's processes alone.
      topLevelExtra:
        'vrrp_script chk_nginx {\n  script "/usr/bin/killall -0 nginx"\n  interval 1\n  fall 1\n  rise 1\n}\n',
      instanceExtra: '  track_script {\n    chk_nginx\n  }',
    });

  beforeAll(async () => {
    topo = await createTopology({ prefix: PREFIX, nodes: ['n1', 'n2'], client: true, ipv6: true });
    vip = topo.addr4(100);
  });

  afterAll(async () => {
    await prober?.stop().catch(() => undefined);
    const pidsBefore = topo ? topo.all().flatMap((n) => processesIn(n.netns)) : [];
    await topo?.destroy();
    console.log(
      `[harness] destroy: ${pidsBefore.length} processes were running; leftovers: [${leftoverNetns(PREFIX).join(', ')}]`,
    );
    expect(leftoverNetns(PREFIX)).toEqual([]);
    // A killed process may stay a zombie for a moment until its reaper (host init) collects it.
    const alive = (pid: number) => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    const survivors = pidsBefore.filter(alive);
    expect(survivors).toEqual([]);
    if (topo) expect(existsSync(topo.dir)).toBe(false);
  });

  it('builds a bridged topology with IPv4, IPv6 and usable link-local addresses on eth0', async () => {
    for (const node of topo.all()) {
      const addrs = await node.addresses('eth0');
      expect(addrs).toContain(node.addr4);
      expect(addrs).toContain(node.addr6);
      expect(node.linkLocal6).toMatch(/^fe80::/);
      expect(addrs).toContain(node.linkLocal6);
    }
    console.log(
      `[harness] nodes: ${topo
        .all()
        .map((n) => `${n.name}=${n.addr4},${n.addr6},${n.linkLocal6}`)
        .join(' ')}`,
    );
  });

  it('runs nginx per node, isolated: own /etc/keepalived and /run, killall sees only its own nginx', async () => {
    for (const name of ['n1', 'n2']) {
      nginxes.set(name, await startNginx(topo.node(name), { isolated: true }));
    }
    const n1 = topo.node('n1');
    const n2 = topo.node('n2');
    await writeFile(await n1.hostPath('/etc/keepalived/down'), '');
    expect((await n1.execIsolated('test', ['-e', '/etc/keepalived/down'], { reject: false })).exitCode).toBe(
      0,
    );
    expect((await n2.execIsolated('test', ['-e', '/etc/keepalived/down'], { reject: false })).exitCode).toBe(
      1,
    );
    expect(existsSync('/etc/keepalived/down')).toBe(false);
    // Each node's nginx writes the Debian default /run/nginx.pid, and each sees a different one.
    const pid1 = (await n1.execIsolated('cat', ['/run/nginx.pid'])).stdout.trim();
    const pid2 = (await n2.execIsolated('cat', ['/run/nginx.pid'])).stdout.trim();
    expect(pid1).toMatch(/^\d+$/);
    expect(pid2).toMatch(/^\d+$/);
    // In its own PID namespace the node sees exactly its nginx master and worker.
    // The client reaches each node's nginx over IPv4 and IPv6 through the bridge.
    for (const node of [n1, n2]) {
      for (const host of [node.addr4, `[${node.addr6}]`]) {
        const res = await topo.client!.exec('curl', ['-sS', '--max-time', '3', `http://${host}/`]);
        expect(res.stdout).toBe(node.name);
      }
    }
    const seen = (await n1.execIsolated('pgrep', ['-c', 'nginx'])).stdout.trim();
    expect(seen).toBe('2');
    await nginxes.get('n2')!.kill();
    expect((await n2.execIsolated('killall', ['-0', 'nginx'], { reject: false })).exitCode).not.toBe(0);
    expect((await n1.execIsolated('killall', ['-0', 'nginx'], { reject: false })).exitCode).toBe(0);
    await n1.execIsolated('rm', ['/etc/keepalived/down']);
    nginxes.set('n2', await startNginx(n2, { isolated: true }));
    console.log(
      `[harness] isolation: n1 nginx pid ${pid1} (in its PID ns), n2 ${pid2}; n1 sees ${seen} nginx processes`,
    );
  });

  it('gives the VIP to the priority-150 keepalived and the client reaches its nginx', async () => {
    const t0 = nowMs();
    daemons.set(
      'n1',
      await startVrrpDaemon(topo.node('n1'), {
        preset: 'keepalived',
        config: config('n1', 150),
        isolated: true,
      }),
    );
    daemons.set(
      'n2',
      await startVrrpDaemon(topo.node('n2'), {
        preset: 'keepalived',
        config: config('n2', 100),
        isolated: true,
      }),
    );
    const master = await daemons.get('n1')!.waitForLog(/\(VI_1\) Entering MASTER STATE/, 15_000);
    await daemons.get('n2')!.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 15_000);
    await topo.waitForVipOn('n1', vip, 5000);
    prober = await startClientProber(topo, vip);
    const first = await prober.waitFor((s) => s.ok, 5000);
    expect(first.node).toBe('n1');
    expect(await topo.whoHas(vip)).toEqual(['n1']);
    console.log(
      `[harness] n1 MASTER ${(master.t - t0).toFixed(0)} ms after start; first probe answered by ${first.node} in ${first.latencyMs} ms`,
    );
  });

  it("isolated track scripts see only their own node's nginx", async () => {
    const n2d = daemons.get('n2')!;
    const since = n2d.lines.length;
    await nginxes.get('n2')!.kill();
    // n2's `killall -0 nginx` must fail although n1's nginx is running in the host PID namespace.
    await n2d.waitForLog(/chk_nginx.*(failed|returned|exited)/i, 10_000, since);
    await n2d.waitForLog(/\(VI_1\) Entering FAULT STATE/, 10_000, since);
    expect(
      daemons
        .get('n1')!
        .lines.slice(-20)
        .some((l) => /chk_nginx.*failed/.test(l.text)),
    ).toBe(false);
    expect(await topo.whoHas(vip)).toEqual(['n1']);
    nginxes.set('n2', await startNginx(topo.node('n2'), { isolated: true }));
    await n2d.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 10_000, since);
  });

  it('moves the VIP to n2 when n1 loses its link, and the client follows', async () => {
    const n2d = daemons.get('n2')!;
    const since = n2d.lines.length;
    const tDown = nowMs();
    await linkDown(topo.node('n1'));
    const becameMaster = await n2d.waitForLog(/\(VI_1\) Entering MASTER STATE/, 15_000, since);
    await topo.waitForVipOn('n2', vip, 5000);
    const tVip = nowMs();
    const firstN2 = await prober!.waitFor((s) => s.ok && s.node === 'n2', 10_000);
    await prober!.waitFor((s) => s.ok && s.t > firstN2.t + 300, 5000);
    const samples = await prober!.stop();
    prober = undefined;
    const r = analyzeProbes(samples);
    console.log(
      `[harness] linkDown(n1) -> n2 MASTER log ${(becameMaster.t - tDown).toFixed(0)} ms, VIP seen on n2 by ${(tVip - tDown).toFixed(0)} ms, first n2 answer ${(firstN2.t - tDown).toFixed(0)} ms`,
    );
    console.log(`[harness] prober: ${formatReport(r)}`);
    expect(r.firstNode).toBe('n1');
    expect(r.switchTo).toBe('n2');
    // keepalived's Master_Down_Interval with advert_int 1 and priority 100 is 3 + 156/256 s
    // (RFC 3768 section 6.1); the last advert came at most 1 s before the pull.
    expect(becameMaster.t - tDown).toBeGreaterThan(1500);
    expect(becameMaster.t - tDown).toBeLessThan(8000);
    expect(r.switchMs!).toBeGreaterThan(1500);
    expect(r.switchMs!).toBeLessThan(10_000);
    expect(r.outageMs).toBeLessThan(10_000);
    expect(r.nodeChanges).toBe(1);
  });

  it('lets n1 preempt back on linkUp, and splits the brain when VRRP is dropped', async () => {
    const n1d = daemons.get('n1')!;
    let since = n1d.lines.length;
    await linkUp(topo.node('n1'));
    await n1d.waitForLog(/\(VI_1\) Entering MASTER STATE/, 15_000, since);
    await topo.waitForVipOn('n1', vip, 5000);

    const n2d = daemons.get('n2')!;
    since = n2d.lines.length;
    const tDrop = nowMs();
    await dropVrrp(topo.node('n1'));
    const split = await n2d.waitForLog(/\(VI_1\) Entering MASTER STATE/, 15_000, since);
    await expect.poll(() => topo.whoHas(vip), { timeout: 5000 }).toEqual(['n1', 'n2']);
    since = n2d.lines.length;
    await restoreVrrp(topo.node('n1'));
    await n2d.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 15_000, since);
    await topo.waitForVipOn('n1', vip, 5000);
    console.log(
      `[harness] dropVrrp(n1): n2 became MASTER after ${(split.t - tDrop).toFixed(0)} ms (split brain); restoreVrrp healed it`,
    );
  });

  it('builds the keepvip preset with keepalived flags', () => {
    const paths = { config: '/c', pid: '/p', vrrpPid: '/v', checkersPid: '/k', bfdPid: '/b' };
    const argv = vrrpArgv('keepvip', paths);
    // node's own flags come from bin/keepvip's #! line, as the Debian launcher's do.
    expect(argv.slice(1)).toEqual([
      ...KEEPVIP_NODE_FLAGS,
      expect.stringMatching(/\/bin\/keepvip$/),
      '-f',
      '/c',
      '-n',
      '-l',
      '-D',
      '-p',
      '/p',
    ]);
    expect(vrrpArgv('keepalived', paths).slice(0, 8)).toEqual([
      'keepalived',
      '-f',
      '/c',
      '-n',
      '-l',
      '-D',
      '-p',
      '/p',
    ]);
  });
});
