/**
 * `npm run demo`: a failing-over nginx pair in network namespaces, narrated.
 *
 * Two nodes run real nginx and keepvip with the nginx-pair configuration of the seed documents
 * (a `killall -0 nginx` check and a maintenance down file), a client probes the VIP every 10 ms.
 * The demo kills nginx on the master, shows the failover and the outage the client saw, brings
 * it back, then drops the down file for a planned move, and cleans up everything it created.
 */
import { analyzeProbes } from '../bench/lib/outage.js';
import { startVrrpDaemon, type VrrpDaemon } from '../test/helpers/keepalived.js';
import { integrationSkipReason } from '../test/helpers/netns.js';
import { startNginx } from '../test/helpers/nginx.js';
import { startClientProber } from '../test/helpers/prober.js';
import { createTopology, type Topology } from '../test/helpers/topology.js';

const say = (msg: string) => process.stdout.write(`[demo] ${msg}\n`);

function nodeConfig(name: string, priority: number, vip: string): string {
  return `! keepalived.conf of ${name}: the seed documents' nginx pair, weights sized so one failed check moves the VIP
global_defs {
    router_id ${name}
}
vrrp_script chk_down {
    script "[[ -f /etc/keepalived/down ]] && exit 1 || exit 0"
    interval 1
    weight -20
}
vrrp_script chk_nginx {
    script "killall -0 nginx && exit 0 || exit 1"
    interval 1
    weight -20
    fall 2
    rise 1
}
! keepvip's addition: notice nginx's death the moment it happens (a pidfd per nginx process)
vrrp_track_process nginx_running {
    process nginx
    weight -20
}
vrrp_instance VI_1 {
    state ${priority === 100 ? 'MASTER' : 'BACKUP'}
    interface eth0
    virtual_router_id 167
    priority ${priority}
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 571f97b2
    }
    virtual_ipaddress {
        ${vip}/24 dev eth0
    }
    track_script {
        chk_down
        chk_nginx
    }
    track_process {
        nginx_running
    }
}
`;
}

async function owner(topo: Topology, vip: string): Promise<string> {
  const who = await topo.whoHas(vip);
  return who.length ? who.join(' and ') : 'nobody';
}

async function main(): Promise<number> {
  const skip = integrationSkipReason();
  if (skip) {
    say(`cannot run: ${skip}`);
    return 1;
  }
  const topo = await createTopology({ prefix: 'kvdemo', nodes: ['n1', 'n2'], client: true });
  const daemons: VrrpDaemon[] = [];
  try {
    const vip = topo.addr4(100);
    say(`topology: n1 ${topo.addr4(1)}, n2 ${topo.addr4(2)}, client ${topo.addr4(250)}, VIP ${vip}`);
    const nginx = [];
    for (const [i, name] of ['n1', 'n2'].entries()) {
      const node = topo.node(name);
      await node.isolate();
      nginx.push(await startNginx(node, { isolated: true }));
      const d = await startVrrpDaemon(node, {
        preset: 'keepvip',
        config: nodeConfig(name, i === 0 ? 100 : 90, vip),
        isolated: true,
      });
      daemons.push(d);
    }
    say('nginx and keepvip started on both nodes; waiting for the election...');
    await topo.waitForVipOn('n1', vip, 15_000);
    say(`VIP ${vip} is on ${await owner(topo, vip)}`);

    const prober = await startClientProber(topo, vip);
    await prober.waitFor((s) => s.ok, 5000);
    say(`client gets answers from ${prober.samples.filter((s) => s.ok).at(-1)?.node}`);

    say('killing nginx on n1 (the master)...');
    const killedAt = Date.now();
    await nginx[0]!.kill();
    await topo.waitForVipOn('n2', vip, 15_000);
    await prober.waitFor((s) => s.ok && s.node === 'n2' && s.t > killedAt, 10_000);
    let r = analyzeProbes(prober.samples.filter((s) => s.t >= killedAt - 200));
    say(
      `VIP moved to ${await owner(topo, vip)}; the client saw ${r.failed} failed requests, outage ${Math.round(r.outageMs)} ms`,
    );
    say(
      '  (keepalived has no process watch: it notices at the next killall run, needs fall 2, then waits a full Master_Down_Interval, about 4 s)',
    );

    say('restarting nginx on n1; n1 has the higher priority and preempts...');
    nginx[0] = await startNginx(topo.node('n1'), { isolated: true });
    await topo.waitForVipOn('n1', vip, 15_000);
    say(`VIP is back on ${await owner(topo, vip)}`);
    await new Promise((res) => setTimeout(res, 1500));

    say('planned maintenance: touch /etc/keepalived/down on n1...');
    const movedAt = Date.now();
    const { writeFile, rm } = await import('node:fs/promises');
    const downFile = await topo.node('n1').hostPath('/etc/keepalived/down');
    await writeFile(downFile, '');
    await topo.waitForVipOn('n2', vip, 15_000);
    await prober.waitFor((s) => s.ok && s.node === 'n2' && s.t > movedAt, 10_000);
    await new Promise((res) => setTimeout(res, 500));
    r = analyzeProbes(prober.samples.filter((s) => s.t >= movedAt - 200));
    say(
      `VIP moved to ${await owner(topo, vip)}; the client saw ${r.failed} failed requests during the planned move`,
    );

    say('rm /etc/keepalived/down on n1: the VIP returns');
    await rm(downFile, { force: true });
    await topo.waitForVipOn('n1', vip, 15_000);
    say(`VIP is on ${await owner(topo, vip)}`);
    await prober.stop();

    for (const d of daemons) {
      const status = (await d.status()) as {
        instances: { name: string; state: string; effectivePriority: number }[];
      };
      const i = status.instances[0]!;
      say(`keepvip status on ${d.node.name}: ${i.name} ${i.state} priority ${i.effectivePriority}`);
    }
    return 0;
  } finally {
    say('cleaning up namespaces and processes');
    for (const d of daemons) await d.stop().catch(() => {});
    await topo.destroy();
    say('done');
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`[demo] failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
