/**
 * node_exporter's ipvs names from a real kernel IPVS table, in a user-mode-linux guest (this
 * host's kernel has none): a director runs keepvip on seed 000 (LVS-DR, two real servers with
 * TCP_CHECK) with `--metrics unix:...`; the client makes requests through the VIP; /metrics must
 * agree with `ipvsadm -Ln` (weights, inactive connections) and carry the checkers' verdicts,
 * `keepvip status` shows the table with each real server's verdict; a stopped web server shows
 * up as DOWN in both.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from '../../helpers/dist.js';
import { bootGuest, IPVS_MODULES, REPO_ROOT, type UmlGuest, umlSkipReason } from '../../helpers/uml.js';

const skip = umlSkipReason();
if (skip) console.warn(`[control/ipvs-metrics.test] SKIPPED: ${skip}`);

const LAB = join(REPO_ROOT, 'test/fixtures/lvs/lab.sh');
const VIP = '192.168.23.20';
const RS = ['192.168.23.134', '192.168.23.135'];

const SCENARIO = `
. ${LAB}
out() { echo "$2" > "$KV_RESULTS/ipvs.$1"; }
scrape() { curl -s --max-time 3 --unix-socket /run/dir1.metrics http://keepvip/metrics; }
lab_up 192.168.23 ${VIP} 134 135 || exit 10
cat > /run/dir1.conf <<'KEEPVIP_CONF'
${readFileSync(join(REPO_ROOT, 'test/fixtures/seed-configs/000-lvs01-dr-master.conf'), 'utf8').replaceAll('ens33', 'eth0')}
KEEPVIP_CONF
ip netns exec dir1 $KEEPVIP -f /run/dir1.conf -n -l -D -p /run/dir1.pid --control /run/dir1.sock \\
  --metrics unix:/run/dir1.metrics >>"$KV_RESULTS/dir1.log" 2>&1 &
lab_wait_file /run/dir1.metrics 60 || exit 11
lab_wait_dests dir1 2 60 || exit 12
lab_wait_log dir1 'Entering MASTER STATE' 30 || exit 13
out served "$(lab_curl ${VIP} 8 | sort | uniq -c)"
# Connection counts move while the last connections close (slowly on a loaded guest), and the
# 6.1 kernel copies its per-CPU totals into the exported ones on the estimator's 2 s timer:
# compare the metrics with ipvsadm only once three reads a second apart (over 2 s) agree.
prev=
same=0
for i in $(seq 1 20); do
  sleep 1
  cur=$(lab_ns dir1 ipvsadm -Ln; lab_ns dir1 ipvsadm -Ln --stats)
  if [ "$cur" = "$prev" ]; then same=$((same + 1)); else same=0; fi
  [ $same -ge 2 ] && break
  prev=$cur
done
out metrics "$(scrape)"
out ipvsadm "$(lab_ns dir1 ipvsadm -Ln)"
out stats "$(lab_ns dir1 ipvsadm -Ln --stats)"
out status "$(lab_ns dir1 $KEEPVIP status --control /run/dir1.sock)"
lab_web_stop rs1
lab_wait_dests dir1 1 60; out down-rc $?
# The verdict reaches IPVS and the metrics by separate paths: scrape until it shows (at most 5 s).
for i in $(seq 1 25); do m=$(scrape); case "$m" in *'real_server="[${RS[0]}]:tcp:80"} 0'*) break;; esac; sleep 0.2; done
out metrics-down "$m"
out status-down "$(lab_ns dir1 $KEEPVIP status --control /run/dir1.sock)"
lab_stop dir1 || exit 15
lab_down
`;

describe.skipIf(skip !== undefined)('node_ipvs_* from a real IPVS table (UML guest)', () => {
  let guest: UmlGuest;
  let exitCode = -1;
  let stderr = '';
  const read = (what: string) => {
    try {
      return guest.readResult(`ipvs.${what}`).trim();
    } catch {
      return '';
    }
  };

  beforeAll(async () => {
    await ensureDist();
    guest = await bootGuest({
      name: 'ipvsmet',
      modules: [...IPVS_MODULES, 'bridge', 'veth'],
      timeoutMs: 1_800_000,
    });
    const r = await guest.run(SCENARIO, { timeoutMs: 480_000 });
    exitCode = r.exitCode;
    stderr = r.stderr;
  }, 900_000);
  afterAll(async () => {
    await guest?.destroy();
  });

  it('metrics agree with ipvsadm: weights, inactive connections, totals', () => {
    let log = '';
    try {
      log = guest.readResult('dir1.log');
    } catch {}
    expect(exitCode, `${stderr}\n${log.slice(-3000)}`).toBe(0);
    const metrics = read('metrics');
    const ipvsadm = read('ipvsadm');
    console.log(`[ipvs-metrics] served:\n${read('served')}\nipvsadm -Ln:\n${ipvsadm}`);
    console.log(
      metrics
        .split('\n')
        .filter((l) => l.startsWith('node_ipvs_') || l.startsWith('keepvip_real_server'))
        .join('\n'),
    );
    for (const rs of RS) {
      // ipvsadm -Ln: "  -> 192.168.23.134:80   Route   1   0   4"
      const m = new RegExp(`-> ${rs.replaceAll('.', '\\.')}:80\\s+Route\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)`).exec(
        ipvsadm,
      );
      expect(m, `${rs} in ipvsadm -Ln`).not.toBeNull();
      const labels = `local_address="${VIP}",local_port="80",remote_address="${rs}",remote_port="80",proto="TCP",local_mark=""`;
      expect(metrics).toContain(`node_ipvs_backend_weight{${labels}} ${m![1]}`);
      expect(metrics).toContain(`node_ipvs_backend_connections_active{${labels}} ${m![2]}`);
      expect(metrics).toContain(`node_ipvs_backend_connections_inactive{${labels}} ${m![3]}`);
      expect(metrics).toContain(
        `keepvip_real_server_alive{virtual_server="[${VIP}]:tcp:80",real_server="[${rs}]:tcp:80"} 1`,
      );
    }
    const conns = Number(/^node_ipvs_connections_total (\d+)$/m.exec(metrics)?.[1]);
    console.log(`[ipvs-metrics] node_ipvs_connections_total ${conns}; ipvsadm --stats:\n${read('stats')}`);
    expect(conns).toBeGreaterThanOrEqual(8);
    expect(metrics).toMatch(/^node_ipvs_incoming_packets_total [1-9]\d*$/m);
    expect(metrics).toContain(
      `keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="51",ip_address="${VIP}/24"} 2`,
    );
  });

  it('keepvip status shows the table with verdicts; a stopped web server is DOWN in status and metrics', () => {
    const status = read('status');
    console.log(
      `[ipvs-metrics] keepvip status:\n${status}\n--- after rs1's web server stopped:\n${read('status-down')}`,
    );
    expect(status).toContain(`IPVS:\n  TCP [${VIP}]:80 rr`);
    expect(status).toMatch(new RegExp(`-> \\[${RS[0]!.replaceAll('.', '\\.')}\\]:80 dr weight 1 .* alive`));
    expect(read('down-rc')).toBe('0');
    expect(read('status-down')).toMatch(
      new RegExp(
        `\\[${RS[0]!.replaceAll('.', '\\.')}\\]:tcp:80 of \\[${VIP.replaceAll('.', '\\.')}\\]:tcp:80: DOWN`,
      ),
    );
    expect(read('metrics-down')).toContain(
      `keepvip_real_server_alive{virtual_server="[${VIP}]:tcp:80",real_server="[${RS[0]}]:tcp:80"} 0`,
    );
    expect(read('metrics-down')).not.toContain(`remote_address="${RS[0]}"`);
  });
});
