/**
 * What an operator touches every day, against live daemons in namespaces: reload on SIGHUP
 * without a flap (a client loop sees zero failed requests), a reload that adds an instance, a
 * broken reload that keeps the running configuration, `keepvip status` and `--json`, the
 * SIGUSR1/SIGUSR2 dumps and a graceful SIGTERM.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeProbes } from '../../../bench/lib/outage.js';
import type { Prober } from '../../../bench/lib/prober.js';
import { REPO_ROOT, startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { startNginx } from '../../helpers/nginx.js';
import { startClientProber } from '../../helpers/prober.js';
import { createTopology, type Topology } from '../../helpers/topology.js';
import { sleep } from '../../helpers/wait.js';
import { ensureDist } from '../../helpers/dist.js';

const run = promisify(execFile);
const skip = integrationSkipReason();
if (skip) console.warn(`lifecycle tests skipped: ${skip}`);

interface StatusDoc {
  pid: number;
  instances: {
    name: string;
    state: string;
    basePriority: number;
    effectivePriority: number;
    vips: string[];
    tracks: { name: string; good: boolean; weight: number; lastRun?: { exitCode?: number } }[];
    counters: { advertsSent: number; advertsReceived: number; drops: Record<string, number> };
    transitions: { from: string; to: string }[];
  }[];
  drops: Record<string, number>;
}

function config(name: string, priority: number, vip1: string, vip2?: string, broken = false): string {
  const inst = (n: string, vrid: number, vip: string) => `vrrp_instance ${n} {
    state BACKUP
    interface eth0
    virtual_router_id ${vrid}
    priority ${priority}
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass s3cret
    }
    virtual_ipaddress {
        ${vip}/24 dev eth0
    }
    track_script {
        chk_ok
    }
}
`;
  return `global_defs {
    router_id ${name}
}
vrrp_script chk_ok {
    script "/bin/true"
    interval 1
    weight 10
}
${inst('VI_1', 61, vip1)}${vip2 ? inst('VI_2', 62, vip2) : ''}${broken ? 'vrrp_instance BROKEN {\n    priority 100\n' : ''}`;
}

describe.skipIf(!!skip)('daemon lifecycle: reload, status, dumps, stop', () => {
  let topo: Topology;
  const d: Record<string, VrrpDaemon> = {};
  let vip1: string;
  let vip2: string;

  beforeAll(async () => {
    await ensureDist();
    topo = await createTopology({ prefix: 'kvlc', nodes: ['n1', 'n2'], client: true });
    vip1 = topo.addr4(100);
    vip2 = topo.addr4(101);
    for (const [name, prio] of [
      ['n1', 150],
      ['n2', 100],
    ] as const) {
      await startNginx(topo.node(name));
      d[name] = await startVrrpDaemon(topo.node(name), {
        preset: 'keepvip',
        config: config(name, prio, vip1),
        extraArgs: ['--metrics', `unix:${join(topo.node(name).dir, 'metrics.sock')}`],
      });
    }
    await topo.waitForVipOn('n1', vip1, 15_000);
  });
  afterAll(async () => {
    for (const daemon of Object.values(d)) await daemon.stop().catch(() => {});
    await topo?.destroy();
  });

  const status = async (name: string) => (await d[name]!.status()) as StatusDoc;

  it('20 SIGHUP reloads of an unchanged config: no transition, zero failed requests', async () => {
    const before = { n1: await status('n1'), n2: await status('n2') };
    const prober: Prober = await startClientProber(topo, vip1);
    await prober.waitFor((s) => s.ok, 5000);
    for (let i = 0; i < 20; i++) {
      await d.n1!.reload();
      await d.n2!.reload();
      await sleep(150);
    }
    await sleep(1500);
    const samples = await prober.stop();
    const r = analyzeProbes(samples);
    const reloaded = d.n1!.lines.filter((l) => /Reloaded: kept VI_1/.test(l.text)).length;
    console.log(
      `20 reloads: ${r.samples} probes, ${r.failed} failed, answers ${JSON.stringify(r.answersByNode)}, n1 logged ${reloaded} reloads`,
    );
    expect(reloaded).toBe(20);
    expect(r.failed).toBe(0);
    expect(r.answersByNode).toEqual({ n1: r.samples });
    const after = { n1: await status('n1'), n2: await status('n2') };
    expect(after.n1.instances[0]!.transitions.length).toBe(before.n1.instances[0]!.transitions.length);
    expect(after.n2.instances[0]!.transitions.length).toBe(before.n2.instances[0]!.transitions.length);
    expect(after.n1.instances[0]!.state).toBe('MASTER');
  });

  it('a reload that adds a second instance: the first keeps serving, the second elects', async () => {
    const prober = await startClientProber(topo, vip1);
    await prober.waitFor((s) => s.ok, 5000);
    for (const [name, prio] of [
      ['n1', 150],
      ['n2', 100],
    ] as const) {
      await d[name]!.rewriteConfig(config(name, prio, vip1, vip2));
      await d[name]!.reload();
    }
    await topo.waitForVipOn('n1', vip2, 15_000);
    await sleep(500);
    const r = analyzeProbes(await prober.stop());
    console.log(
      `add VI_2: ${r.samples} probes on VI_1's VIP, ${r.failed} failed; VI_2's VIP on ${await topo.whoHas(vip2)}`,
    );
    expect(r.failed).toBe(0);
    const s1 = await status('n1');
    expect(s1.instances.map((i) => `${i.name}:${i.state}`)).toEqual(['VI_1:MASTER', 'VI_2:MASTER']);
    expect(await topo.whoHas(vip1)).toEqual(['n1']);
    expect(await topo.whoHas(vip2)).toEqual(['n1']);
  });

  it('a reload with a broken config keeps the running one and names file:line', async () => {
    const since = d.n1!.lines.length;
    await d.n1!.rewriteConfig(config('n1', 150, vip1, vip2, true));
    await d.n1!.reload();
    const line = await d.n1!.waitForLog(/keeping the running configuration/, 5000, since);
    const errors = d.n1!.lines.slice(since).filter((l) => /keepalived\.conf:\d+:\d+: error:/.test(l.text));
    console.log(
      `broken reload: ${errors.map((l) => l.text.replace(/^.*?: /, '')).join(' | ')} -> ${line.text}`,
    );
    expect(errors.length).toBeGreaterThan(0);
    const s1 = await status('n1');
    expect(s1.instances.map((i) => i.state)).toEqual(['MASTER', 'MASTER']);
    // Restore a good file so later tests and the stop start from a clean state.
    await d.n1!.rewriteConfig(config('n1', 150, vip1, vip2));
  });

  it('keepvip status and --json report instances, tracks and counters', async () => {
    const control = d.n1!.paths.control!;
    const { stdout: json } = await run(process.execPath, [
      join(REPO_ROOT, 'bin/keepvip'),
      'status',
      '--json',
      '--control',
      control,
    ]);
    const doc = JSON.parse(json) as StatusDoc;
    const vi1 = doc.instances.find((i) => i.name === 'VI_1')!;
    console.log(
      `status --json VI_1: ${vi1.state} prio ${vi1.effectivePriority}/${vi1.basePriority} tracks ${JSON.stringify(vi1.tracks.map((t) => [t.name, t.good, t.lastRun?.exitCode]))} sent ${vi1.counters.advertsSent}`,
    );
    expect(vi1.state).toBe('MASTER');
    expect(vi1.basePriority).toBe(150);
    expect(vi1.effectivePriority).toBe(160); // chk_ok weight +10 while it succeeds
    expect(vi1.vips).toEqual([`${vip1}/24`]);
    expect(vi1.tracks).toEqual([expect.objectContaining({ name: 'script chk_ok', good: true, weight: 10 })]);
    expect(vi1.tracks[0]!.lastRun?.exitCode).toBe(0);
    expect(vi1.counters.advertsSent).toBeGreaterThan(0);
    expect(vi1.counters.drops).toEqual({});
    const n2 = (await status('n2')).instances.find((i) => i.name === 'VI_1')!;
    expect(n2.state).toBe('BACKUP');
    expect(n2.counters.advertsReceived).toBeGreaterThan(0);

    const { stdout: text } = await run(process.execPath, [
      join(REPO_ROOT, 'bin/keepvip'),
      'status',
      '--control',
      control,
    ]);
    console.log(text);
    expect(text).toMatch(/VI_1: MASTER .* priority 160 \(base 150\)/);
    expect(text).toMatch(/track script chk_ok: OK weight 10/);
  });

  it('--metrics serves Prometheus text on its unix socket', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.get(
        { socketPath: join(topo.node('n1').dir, 'metrics.sock'), path: '/metrics' },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
    });
    console.log(
      body
        .split('\n')
        .filter((l) => l.includes('VI_1'))
        .slice(0, 6)
        .join('\n'),
    );
    expect(body).toMatch(/^# TYPE keepvip_instance_state gauge$/m);
    expect(body).toMatch(/^keepvip_instance_state\{instance="VI_1"\} 2$/m);
    expect(body).toMatch(/^keepvip_instance_priority\{instance="VI_1"\} 160$/m);
    expect(body).toMatch(/^keepvip_track_up\{instance="VI_1",track="script chk_ok"\} 1$/m);
    expect(body).toMatch(/^keepvip_adverts_sent_total\{instance="VI_1"\} [1-9]\d*$/m);
  });

  it('SIGUSR1 and SIGUSR2 write the data and statistics dumps beside the pid file', async () => {
    const pidHost = await d.n1!.node.hostPath(d.n1!.paths.pid);
    const base = pidHost.replace(/\.pid$/, '');
    await d.n1!.proc.signal('SIGUSR1');
    await d.n1!.proc.signal('SIGUSR2');
    await d.n1!.waitForLog(/Statistics written to/, 5000);
    await d.n1!.waitForLog(/Data dump written to/, 5000);
    const stats = readFileSync(`${base}.stats`, 'utf8');
    const data = readFileSync(`${base}.data`, 'utf8');
    console.log(stats);
    expect(stats).toMatch(/VRRP Instance: VI_1\n {2}Advertisements:\n {4}Received: \d+\n {4}Sent: \d+/);
    expect(data).toMatch(/VI_1: MASTER/);
    expect(data).toMatch(/"vrrpInstances"/);
  });

  it('SIGTERM stops gracefully: exit 0, priority 0 sent, VIPs removed, the backup takes over', async () => {
    const exit = await d.n1!.stop();
    console.log(`n1 exit: ${JSON.stringify(exit)}`);
    expect(exit.exitCode).toBe(0);
    await topo.waitForVipOn('n2', vip1, 5000);
    expect(await topo.whoHas(vip1)).toEqual(['n2']);
    expect(existsSync(await d.n1!.node.hostPath(d.n1!.paths.control!))).toBe(false);
  });
});
