/**
 * The reconciler against a real IPVS kernel (UML guest, DR lab of lab.sh): 20 SIGHUPs under
 * client load fail no request and change no weight (no IPVS operation at all); a destination
 * deleted by hand with `ipvsadm -d` is back within one delay_loop; a daemon restart
 * (keepalived's -I, --dont-release-ipvs) changes no entry: the table and its connection counters
 * are the same before and after, and the new process sends no add, edit or delete; a service
 * dropped from the configuration while the daemon was down is removed at the next start (the
 * owned services are recorded beside the pid file), and only that one.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest, IPVS_MODULES, REPO_ROOT, type UmlGuest, umlSkipReason } from '../../helpers/uml.js';
import { ensureDist } from '../../helpers/dist.js';

const skip = umlSkipReason();
if (skip) console.warn(`[lvs/reconciler.test] SKIPPED: ${skip}`);

const LAB = join(REPO_ROOT, 'test/fixtures/lvs/lab.sh');
const VIP = '192.168.23.20';

const CONF = `global_defs {
  router_id dir1
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress {
    ${VIP}/24 dev eth0
  }
}
virtual_server ${VIP} 80 {
  delay_loop 3
  lb_algo wrr
  lb_kind DR
  protocol TCP
  real_server 192.168.23.134 80 {
    weight 3
    TCP_CHECK {
      connect_timeout 3
    }
  }
  real_server 192.168.23.135 80 {
    weight 5
    TCP_CHECK {
      connect_timeout 3
    }
  }
}
`;

const ops = 'grep -cE \'IPVS: (add|edit|delete)-\' "$KV_RESULTS/dir1.log"';

describe.skipIf(skip !== undefined)('IPVS reconciler in a real kernel', () => {
  let guest: UmlGuest;
  const read = (f: string) => {
    try {
      return guest.readResult(f).trim();
    } catch {
      return '';
    }
  };

  beforeAll(async () => {
    await ensureDist();
    guest = await bootGuest({
      name: 'lvsrec',
      modules: [...IPVS_MODULES, 'bridge', 'veth'],
      timeoutMs: 1_800_000,
    });
    await guest.check(
      `. ${LAB}
lab_up 192.168.23 ${VIP} 134 135 || exit 1
cat > /run/dir1.conf <<'CONF'
${CONF}
CONF
KEEPVIP="$KEEPVIP -I" lab_keepvip dir1 /run/dir1.conf dir1 || exit 2
lab_wait_dests dir1 2 60 || exit 3
lab_wait_log dir1 'Entering MASTER STATE' 30 || exit 4
`,
      { timeoutMs: 300_000 },
    );
  }, 420_000);
  afterAll(async () => {
    await guest?.destroy();
  });

  it('20 SIGHUPs under client load: 0 failed requests, no weight change, no IPVS operation', async () => {
    const r = await guest.run(
      `. ${LAB}
before=$(lab_ns dir1 ipvsadm -Sn); ops0=$(${ops})
( while [ ! -e /run/stop-load ]; do lab_ns client curl -s --max-time 3 http://${VIP}/ || echo FAIL; done > $KV_RESULTS/load.txt ) &
load=$!
sleep 2
for i in $(seq 20); do
  kill -HUP "$(cat /run/dir1.pid)"
  lab_wait_log dir1 "Reloading configuration" 10
  sleep 0.5
done
sleep 3
touch /run/stop-load; wait $load
echo "$before" > $KV_RESULTS/hup.before
lab_ns dir1 ipvsadm -Sn > $KV_RESULTS/hup.after
echo $(( $(${ops}) - ops0 )) > $KV_RESULTS/hup.ops
grep -c 'Reloading configuration' $KV_RESULTS/dir1.log > $KV_RESULTS/hup.reloads
`,
      { timeoutMs: 300_000 },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const load = read('load.txt').split('\n');
    expect(load.length).toBeGreaterThan(10);
    expect(load.filter((l) => l === 'FAIL')).toEqual([]);
    console.info(`[lvs/reconciler] 20 SIGHUPs: ${load.length} requests through the VIP, 0 failed`);
    expect(new Set(load)).toEqual(new Set(['rs1', 'rs2']));
    expect(Number(read('hup.reloads'))).toBeGreaterThanOrEqual(20);
    expect(read('hup.after')).toBe(read('hup.before'));
    expect(read('hup.before')).toContain('-r 192.168.23.134:80 -g -w 3');
    expect(read('hup.ops')).toBe('0');
  }, 400_000);

  it('a destination deleted with ipvsadm -d is back within one delay_loop (3 s)', async () => {
    const r = await guest.run(
      `. ${LAB}
ops0=$(${ops})
lab_ns dir1 ipvsadm -d -t ${VIP}:80 -r 192.168.23.134:80 || exit 1
sleep 3.5
lab_ns dir1 ipvsadm -Sn > $KV_RESULTS/del.after
grep -E 'IPVS: (add|edit|delete)-' $KV_RESULTS/dir1.log | tail -n +$((ops0 + 1)) > $KV_RESULTS/del.ops
`,
      { timeoutMs: 120_000 },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    // The reconciler put back exactly the deleted destination (one add), at its weight.
    expect(read('del.ops')).toMatch(
      /^[^\n]*add-destination inet tcp \[192\.168\.23\.20\]:80 -> \[192\.168\.23\.134\]:80 weight 3$/,
    );
    expect(read('del.after')).toContain('-a -t 192.168.23.20:80 -r 192.168.23.134:80 -g -w 3');
  }, 200_000);

  it('a daemon restart changes no entry: same table, same connection counters, no IPVS operation', async () => {
    const r = await guest.run(
      `. ${LAB}
lab_curl ${VIP} 6 > /dev/null
# The counters settle once the last connections' closing packets are through (slow on a loaded
# guest): take the "before" figures only when two reads a second apart agree.
prev=
for i in $(seq 1 15); do
  sleep 1
  cur=$(lab_ns dir1 ipvsadm -Ln --stats)
  [ "$cur" = "$prev" ] && break
  prev=$cur
done
lab_ns dir1 ipvsadm -Sn > $KV_RESULTS/rst.table.before
lab_ns dir1 ipvsadm -Ln --stats > $KV_RESULTS/rst.stats.before
lab_stop dir1 || exit 1
lab_ns dir1 ipvsadm -Sn > $KV_RESULTS/rst.table.stopped
ops0=$(${ops})
rm -f /run/dir1.sock
KEEPVIP="$KEEPVIP -I" lab_keepvip dir1 /run/dir1.conf dir1 || exit 2
lab_wait_log dir1 'Entering MASTER STATE' 60 || exit 3
sleep 4
lab_ns dir1 ipvsadm -Sn > $KV_RESULTS/rst.table.after
lab_ns dir1 ipvsadm -Ln --stats > $KV_RESULTS/rst.stats.after
echo $(( $(${ops}) - ops0 )) > $KV_RESULTS/rst.ops
# Ownership: a second service is added by SIGHUP, the daemon stops with -I (both stay), the
# service leaves the configuration, and the next start removes it (one delete, nothing else).
cp /run/dir1.conf /run/dir1.base.conf
printf 'virtual_server 192.168.23.21 80 {\n lb_kind DR\n protocol TCP\n real_server 192.168.23.134 80 {\n }\n}\n' >> /run/dir1.conf
n=$(grep -c 'Reloading configuration' $KV_RESULTS/dir1.log)
kill -HUP "$(cat /run/dir1.pid)"
for i in $(seq 1 100); do [ "$(lab_ns dir1 ipvsadm -Sn | grep -c 192.168.23.21)" -ge 2 ] && break; sleep 0.2; done
lab_ns dir1 ipvsadm -Sn > $KV_RESULTS/own.table.added
lab_stop dir1 || exit 4
cp /run/dir1.base.conf /run/dir1.conf
ops1=$(${ops})
rm -f /run/dir1.sock
KEEPVIP="$KEEPVIP -I" lab_keepvip dir1 /run/dir1.conf dir1 || exit 5
lab_wait_log dir1 'Entering MASTER STATE' 60 || exit 6
sleep 4
lab_ns dir1 ipvsadm -Sn > $KV_RESULTS/own.table.after
grep -E 'IPVS: (add|edit|delete)-' $KV_RESULTS/dir1.log | tail -n +$((ops1 + 1)) > $KV_RESULTS/own.ops
`,
      { timeoutMs: 300_000 },
    );
    expect(r.exitCode, `${r.stderr}\n${read('dir1.log').slice(-2000)}`).toBe(0);
    expect(read('rst.table.before')).toContain('192.168.23.134');
    expect(read('rst.table.stopped')).toBe(read('rst.table.before'));
    expect(read('rst.table.after')).toBe(read('rst.table.before'));
    expect(read('rst.stats.after')).toBe(read('rst.stats.before'));
    expect(read('rst.ops')).toBe('0');
    expect(read('own.table.added')).toContain('-A -t 192.168.23.21:80');
    expect(read('own.ops')).toMatch(/^[^\n]*delete-service inet tcp \[192\.168\.23\.21\]:80$/);
    expect(read('own.table.after')).toBe(read('rst.table.before'));
  }, 600_000);
});
