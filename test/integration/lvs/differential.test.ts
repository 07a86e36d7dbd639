/**
 * Differential against keepalived 2.2.7 in the same UML guest (real IPVS kernel): for the seed
 * LVS configurations and the virtual_server configurations below (every scheduler and its
 * flags, fwmark, IPv6, persistence with a netmask, NAT, TUN, sorry server with quorum loss,
 * inhibit_on_failure, virtual_server_group...), `ipvsadm -Sn` after keepvip equals
 * `ipvsadm -Sn` after keepalived. keepalived runs fresh for each case (`--check`, stopped with
 * SIGTERM, which empties the table); keepvip runs once per lane and takes each case with a
 * SIGHUP (its services from the previous case are removed by the reconciler; a fresh start is
 * covered by dr-lab.test.ts). Real servers answer on port 80 from a `peer` namespace; port 81
 * has no listener, so checkers there fail (quorum loss, inhibit_on_failure).
 *
 * The cases run LANES at a time: a lane is two contexts of the guest (test/helpers/uml/context.ts,
 * each its own network namespace and /run), one where keepalived takes the case, one where a
 * keepvip daemon does, both at once; each context has the same `dir`/`peer` namespaces and
 * addresses, so a case sees exactly what it saw when everything ran one after another.
 *
 * keepalived 2.2.7 and the 1.x spellings: seeds 002 and 004 write `persistence_timeout 0`
 * (keepalived 2.2.7 reports "persistence_timeout invalid" and keeps no persistence, keepvip
 * warns and does the same) and `nb_get_retry` in TCP_CHECK (unknown to keepalived 2.2.7's
 * TCP_CHECK, ignored; keepvip reads it as retry): neither changes the table, so no case needs
 * the modern spelling rewritten.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from '../../helpers/dist.js';
import { bootGuest, IPVS_MODULES, REPO_ROOT, type UmlGuest, umlSkipReason } from '../../helpers/uml.js';
import { GuestContext } from '../../helpers/uml/context.js';

const skip = umlSkipReason();
if (skip) console.warn(`[lvs/differential.test] SKIPPED: ${skip}`);

const SEEDS = join(REPO_ROOT, 'test/fixtures/seed-configs');

/** seedVs keeps a seed's virtual_server blocks (and global_defs): the VRRP side is not compared. */
function seedVs(file: string): string {
  const text = readFileSync(join(SEEDS, file), 'utf8');
  const at = text.indexOf('virtual_server');
  return text.slice(at);
}

const rs = (addr: string, port = 80, body = '') => `  real_server ${addr} ${port} {\n${body}  }\n`;
const tcp = '    TCP_CHECK {\n      connect_timeout 1\n      retry 1\n      delay_before_retry 1\n    }\n';
const vs = (head: string, body: string) => `virtual_server ${head} {\n${body}}\n`;

interface Case {
  name: string;
  conf: string;
  /** checks: the case has checkers whose verdicts must settle before comparing. */
  checks?: boolean;
}

const sched = (s: string, port: number, extra = '') =>
  vs(
    `10.99.0.100 ${port}`,
    `  protocol TCP\n  lb_algo ${s}\n  lb_kind DR\n${extra}${rs('10.99.0.2')}${rs('10.99.0.3')}`,
  );

const CASES: Case[] = [
  { name: 'seed 000 (DR rr, TCP_CHECK)', conf: seedVs('000-lvs01-dr-master.conf'), checks: true },
  {
    name: 'seed 002 (DR wlc, persistence_timeout 0, weight 100)',
    conf: seedVs('002-dir1-dr-wlc.conf'),
    checks: true,
  },
  { name: 'seed 004 (DR rr, persistence_timeout 0)', conf: seedVs('004-lvs01-dr-rr.conf'), checks: true },
  {
    name: 'schedulers rr wrr lc wlc with weights',
    conf: ['rr', 'wrr', 'lc', 'wlc']
      .map((s, i) =>
        vs(
          `10.99.0.100 ${8000 + i}`,
          `  protocol TCP\n  lb_algo ${s}\n  lb_kind DR\n${rs('10.99.0.2', 80, '    weight 3\n')}${rs('10.99.0.3', 80, '    weight 5\n')}`,
        ),
      )
      .join(''),
  },
  { name: 'scheduler lblc', conf: sched('lblc', 8010) },
  { name: 'scheduler lblcr', conf: sched('lblcr', 8011) },
  { name: 'scheduler dh', conf: sched('dh', 8012) },
  {
    name: 'scheduler sh with sh-port and sh-fallback',
    conf: sched('sh', 8013, '  sh-port\n  sh-fallback\n'),
  },
  { name: 'scheduler sed', conf: sched('sed', 8014) },
  { name: 'scheduler nq', conf: sched('nq', 8015) },
  { name: 'scheduler fo', conf: sched('fo', 8016) },
  { name: 'scheduler ovf', conf: sched('ovf', 8017) },
  {
    name: 'scheduler mh with mh-port and mh-fallback',
    conf: sched('mh', 8018, '  mh-port\n  mh-fallback\n'),
  },
  {
    name: 'fwmark service, DR (real server ports cleared)',
    conf: vs('fwmark 7', `  lb_algo rr\n  lb_kind DR\n${rs('10.99.0.2')}${rs('10.99.0.3')}`),
  },
  {
    name: 'IPv6 service, DR, and an IPv6 fwmark service',
    conf:
      vs(
        'fd99::100 80',
        `  protocol TCP\n  lb_algo wrr\n  lb_kind DR\n${rs('fd99::2')}${rs('fd99::3', 80, '    weight 2\n')}`,
      ) + vs('fwmark 8', `  ip_family inet6\n  lb_algo rr\n  lb_kind DR\n${rs('fd99::2')}`),
  },
  {
    name: 'persistence with a netmask (IPv4 and IPv6)',
    conf:
      vs(
        '10.99.0.100 443',
        `  protocol TCP\n  lb_algo rr\n  lb_kind DR\n  persistence_timeout 600\n  persistence_granularity 255.255.255.0\n${rs('10.99.0.2', 443)}`,
      ) +
      vs(
        'fd99::100 443',
        `  protocol TCP\n  lb_algo rr\n  lb_kind DR\n  persistence_timeout 120\n  persistence_granularity 64\n${rs('fd99::2', 443)}`,
      ),
  },
  {
    name: 'NAT with other real-server ports, thresholds',
    conf: vs(
      '10.99.0.100 80',
      `  protocol TCP\n  lb_algo wlc\n  lb_kind NAT\n${rs('10.99.0.2', 8080, '    weight 4\n    uthreshold 100\n    lthreshold 10\n')}${rs('10.99.0.3', 8081)}`,
    ),
  },
  {
    name: 'TUN',
    conf: vs(
      '10.99.0.100 80',
      `  protocol TCP\n  lb_algo rr\n  lb_kind TUN\n${rs('10.99.0.2')}${rs('10.99.0.3')}`,
    ),
  },
  {
    name: 'UDP with one-packet scheduling, persistence without a value',
    conf: vs(
      '10.99.0.100 53',
      `  protocol UDP\n  lb_algo rr\n  lb_kind DR\n  ops\n  persistence_timeout\n${rs('10.99.0.2', 53)}`,
    ),
  },
  {
    name: 'sorry server with quorum loss (both real servers fail TCP_CHECK)',
    conf: vs(
      '10.99.0.100 81',
      `  protocol TCP\n  lb_algo rr\n  lb_kind DR\n  delay_loop 2\n  quorum 2\n  sorry_server 10.99.0.9 81\n${rs('10.99.0.2', 81, tcp)}${rs('10.99.0.3', 81, tcp)}`,
    ),
    checks: true,
  },
  {
    name: 'inhibit_on_failure and sorry_server_inhibit (a failed server stays at weight 0)',
    conf: vs(
      '10.99.0.100 81',
      `  protocol TCP\n  lb_algo rr\n  lb_kind DR\n  delay_loop 2\n  inhibit_on_failure\n  sorry_server 10.99.0.9 81\n  sorry_server_inhibit\n${rs('10.99.0.2', 81, tcp)}${rs('10.99.0.3', 81, '    weight 2\n')}`,
    ),
    checks: true,
  },
  {
    name: 'virtual_server_group with an address range and a fwmark',
    conf: `virtual_server_group G1 {\n  10.99.0.100-102 80\n  fwmark 9\n}\n${vs('group G1', `  protocol TCP\n  lb_algo rr\n  lb_kind DR\n${rs('10.99.0.2')}${rs('10.99.0.3')}`)}`,
  },
  {
    name: 'live real servers with TCP_CHECK, quorum and hysteresis kept',
    conf: vs(
      '10.99.0.100 80',
      `  protocol TCP\n  lb_algo rr\n  lb_kind DR\n  delay_loop 2\n  quorum 2\n  hysteresis 1\n  sorry_server 10.99.0.9 80\n${rs('10.99.0.2', 80, tcp)}${rs('10.99.0.3', 80, tcp)}`,
    ),
    checks: true,
  },
];

/** LANES is how many cases run at once (each: one keepalived context and one keepvip context). */
const LANES = 3;

/** NETWORK builds a context's `dir` (director) and `peer` (real servers) namespaces. */
const NETWORK = `
set -u
ip netns add dir
ip netns add peer
ip -n dir link set lo up
ip -n peer link set lo up
ip link add eth0 netns dir type veth peer name eth0 netns peer
for ns in dir peer; do ip -n $ns link set eth0 up; done
sysctl -qw net.ipv6.conf.all.accept_dad=0 2>/dev/null
for ns in dir peer; do ip netns exec $ns sysctl -qw net.ipv6.conf.eth0.accept_dad=0; done
ip -n dir addr add 10.99.0.1/24 dev eth0
ip -n dir addr add fd99::1/64 dev eth0 nodad
for s in 192.168.23.10/24 192.168.188.10/24 192.168.154.10/24; do ip -n dir addr add $s dev eth0; done
for a in 10.99.0.2 10.99.0.3 10.99.0.9 192.168.23.134 192.168.23.135 192.168.188.107 192.168.188.110 192.168.154.12 192.168.154.13; do
  ip -n peer addr add $a/24 dev eth0 2>/dev/null || ip -n peer addr add $a/32 dev eth0
done
ip -n peer addr add fd99::2/64 dev eth0 nodad
# One web server for every real-server address on port 80; nothing on 81.
ip netns exec peer /usr/bin/python3 -m http.server 80 --bind 0.0.0.0 >/dev/null 2>&1 &
echo $! > /run/peer-web.pid
`;

/** startKeepvip starts the lane's keepvip daemon with an empty configuration. */
const startKeepvip = (lane: number) => `
set -u
printf 'global_defs {\\n  router_id diff\\n}\\n' > /run/kv.conf
ip netns exec dir node ${REPO_ROOT}/bin/keepvip -f /run/kv.conf -n -l -D -p /run/kv.pid --control /run/kv.sock >> $KV_RESULTS/keepvip${lane}.log 2>&1 &
for _ in $(seq 1200); do [ -e /run/kv.sock ] && exit 0; sleep 0.1; done
echo "keepvip did not start" >&2; exit 1
`;

/** stable waits until two reads of the table one second apart agree (and a minimum time). */
const STABLE = `
stable() {
  local min=$1 prev="" cur
  sleep "$min"
  for _ in $(seq 40); do
    cur=$(ip netns exec dir ipvsadm -Sn)
    [ -n "$cur" ] && [ "$cur" = "$prev" ] && { echo "$cur"; return 0; }
    prev=$cur
    sleep 1
  done
  echo "$cur"
}
`;

const caseConf = (n: number, c: Case) => `cat > /run/case${n}.conf <<'CASE_CONF'
${c.conf}
CASE_CONF
`;

/** keepaliveScript: keepalived 2.2.7, checker side only, fresh, in a keepalived context. */
function keepaliveScript(n: number, c: Case): string {
  return `
set -u
${STABLE}
${caseConf(n, c)}
ip netns exec dir keepalived -f /run/case${n}.conf -n -l -D -C -p /run/ka.pid -c /run/ka-c.pid > $KV_RESULTS/ka${n}.log 2>&1 &
ka=$!
stable ${minWait(c)} > $KV_RESULTS/case${n}.keepalived
kill -TERM $ka; wait $ka
ip netns exec dir ipvsadm -Sn > $KV_RESULTS/case${n}.after-keepalived
`;
}

/** keepvipScript: the same file through SIGHUP in a keepvip context, then back to no services. */
function keepvipScript(n: number, c: Case): string {
  return `
set -u
${STABLE}
${caseConf(n, c)}
cp /run/case${n}.conf /run/kv.conf
kill -HUP "$(cat /run/kv.pid)"
stable ${minWait(c)} > $KV_RESULTS/case${n}.keepvip
printf 'global_defs {\\n  router_id diff\\n}\\n' > /run/kv.conf
kill -HUP "$(cat /run/kv.pid)"
for _ in $(seq 100); do [ -z "$(ip netns exec dir ipvsadm -Sn)" ] && exit 0; sleep 0.2; done
echo "keepvip left services" >&2; exit 1
`;
}

const minWait = (c: Case) => (c.checks ? 8 : 1);

/** Lanes hands out lane numbers, one case per lane at a time. */
class Lanes {
  private readonly free: number[];
  private readonly waiting: ((lane: number) => void)[] = [];
  constructor(n: number) {
    this.free = Array.from({ length: n }, (_, i) => i);
  }
  async with<T>(fn: (lane: number) => Promise<T>): Promise<T> {
    const lane = this.free.pop() ?? (await new Promise<number>((res) => this.waiting.push(res)));
    try {
      return await fn(lane);
    } finally {
      const next = this.waiting.shift();
      if (next) next(lane);
      else this.free.push(lane);
    }
  }
}

describe.skipIf(skip !== undefined)('ipvsadm -Sn: keepvip equals keepalived 2.2.7', () => {
  let guest: UmlGuest;
  const ka: GuestContext[] = [];
  const kv: GuestContext[] = [];
  const lanes = new Lanes(LANES);

  beforeAll(async () => {
    await ensureDist();
    guest = await bootGuest({
      name: 'lvsdiff',
      modules: [...IPVS_MODULES, 'veth'],
      mem: '1536M',
      timeoutMs: 2_400_000,
    });
    for (let i = 0; i < LANES; i++) {
      ka.push(await GuestContext.open(guest, `ka${i}`));
      kv.push(await GuestContext.open(guest, `kv${i}`));
    }
    await Promise.all([...ka, ...kv].map((c) => c.check(NETWORK, { timeoutMs: 300_000 })));
    await Promise.all(kv.map((c, i) => c.check(startKeepvip(i), { timeoutMs: 300_000 })));
  }, 900_000);
  afterAll(async () => {
    await guest?.destroy();
  });

  it('has at least 15 cases besides the seeds', () => {
    expect(CASES.filter((c) => !c.name.startsWith('seed')).length).toBeGreaterThanOrEqual(15);
  });

  CASES.forEach((c, i) => {
    it.concurrent(c.name, async () => {
      const read = (f: string) => guest.readResult(f);
      await lanes.with(async (lane) => {
        const [rk, rv] = await Promise.all([
          ka[lane]!.run(keepaliveScript(i, c), { timeoutMs: 240_000 }),
          kv[lane]!.run(keepvipScript(i, c), { timeoutMs: 240_000 }),
        ]);
        expect(rk.exitCode, `${rk.stderr}\n${read(`ka${i}.log`).slice(-2000)}`).toBe(0);
        expect(rv.exitCode, `${rv.stderr}\n${read(`keepvip${lane}.log`).slice(-2000)}`).toBe(0);
      });
      const ka0 = read(`case${i}.keepalived`);
      expect(ka0.trim(), `keepalived programmed nothing:\n${read(`ka${i}.log`).slice(-2000)}`).not.toBe('');
      expect(read(`case${i}.after-keepalived`)).toBe('');
      expect(read(`case${i}.keepvip`)).toBe(ka0);
    }, 600_000);
  });
});
