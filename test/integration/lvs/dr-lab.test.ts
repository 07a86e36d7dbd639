/**
 * The LVS-DR lab of issue 13 in one user-mode-linux guest (real IPVS kernel): a client, a
 * director running keepvip with a seed configuration (interface and addresses adapted only:
 * ens33 -> eth0), two real servers set up with `keepvip realserver up` and a web server each, on
 * one bridge. For each seed LVS configuration (000, 002, 004): the client is served through the
 * VIP by both real servers; stopping one real server's web server takes it out of the table
 * (TCP_CHECK) and restarting brings it back; a SIGHUP changes nothing; SIGTERM removes what
 * keepvip programmed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from '../../helpers/dist.js';
import { bootGuest, IPVS_MODULES, REPO_ROOT, type UmlGuest, umlSkipReason } from '../../helpers/uml.js';

const skip = umlSkipReason();
if (skip) console.warn(`[lvs/dr-lab.test] SKIPPED: ${skip}`);

const SEEDS = join(REPO_ROOT, 'test/fixtures/seed-configs');
const LAB = join(REPO_ROOT, 'test/fixtures/lvs/lab.sh');

interface Seed {
  file: string;
  subnet: string;
  vip: string;
  rs: [number, number];
}

const CASES: Seed[] = [
  { file: '000-lvs01-dr-master.conf', subnet: '192.168.23', vip: '192.168.23.20', rs: [134, 135] },
  { file: '002-dir1-dr-wlc.conf', subnet: '192.168.188', vip: '192.168.188.120', rs: [107, 110] },
  { file: '004-lvs01-dr-rr.conf', subnet: '192.168.154', vip: '192.168.154.188', rs: [12, 13] },
];

/** adapt changes only the interface name (the seeds' ens33 is eth0 in the lab). */
function adapt(text: string): string {
  return text.replaceAll('ens33', 'eth0');
}

function scenario(c: Seed): string {
  const conf = adapt(readFileSync(join(SEEDS, c.file), 'utf8'));
  return `
. ${LAB}
out() { echo "$2" > "$KV_RESULTS/${c.file}.$1"; }
lab_up ${c.subnet} ${c.vip} ${c.rs[0]} ${c.rs[1]} || exit 10
cat > /run/dir1.conf <<'KEEPVIP_CONF'
${conf}
KEEPVIP_CONF
lab_keepvip dir1 /run/dir1.conf dir1 || exit 11
lab_wait_dests dir1 2 60 || exit 12
lab_wait_log dir1 'Entering MASTER STATE' 30 || exit 13
out table "$(lab_ns dir1 ipvsadm -Sn)"
out served "$(lab_curl ${c.vip} 6 | sort | uniq -c)"
# SIGHUP: same file, nothing may change (table, weights).
kill -HUP "$(cat /run/dir1.pid)"
lab_wait_log dir1 'Reloading configuration' 30 || exit 14
sleep 2
out table-after-hup "$(lab_ns dir1 ipvsadm -Sn)"
# A real server's web server stops: TCP_CHECK takes it out; started again, it is back.
lab_web_stop rs1
lab_wait_dests dir1 1 60; out down-rc $?
out table-rs1-down "$(lab_ns dir1 ipvsadm -Sn)"
out served-rs1-down "$(lab_curl ${c.vip} 4 | sort | uniq -c)"
lab_web rs1
lab_wait_dests dir1 2 60; out up-rc $?
out status "$(lab_ns dir1 $KEEPVIP status --control /run/dir1.sock --json)"
# SIGTERM: what keepvip programmed goes.
lab_stop dir1 || exit 15
out table-after-stop "$(lab_ns dir1 ipvsadm -Sn)"
lab_down
`;
}

describe.skipIf(skip !== undefined)('LVS-DR lab: seed configurations through keepvip', () => {
  let guest: UmlGuest;

  beforeAll(async () => {
    await ensureDist();
    guest = await bootGuest({
      name: 'drlab',
      modules: [...IPVS_MODULES, 'bridge', 'veth'],
      timeoutMs: 1_800_000,
    });
  }, 240_000);
  afterAll(async () => {
    await guest?.destroy();
  });

  for (const c of CASES) {
    it(`${c.file}: both real servers serve the client; TCP_CHECK removes and restores; SIGHUP changes nothing; SIGTERM removes the service`, async () => {
      const r = await guest.run(scenario(c), { timeoutMs: 480_000 });
      const read = (what: string) => {
        try {
          return guest.readResult(`${c.file}.${what}`).trim();
        } catch {
          return '';
        }
      };
      const log = (() => {
        try {
          return guest.readResult('dir1.log');
        } catch {
          return '';
        }
      })();
      expect(r.exitCode, `${r.stderr}\n${log.slice(-3000)}`).toBe(0);
      const [a, b] = c.rs.map((n) => `${c.subnet}.${n}`);
      const weight = c.file.startsWith('002') ? 100 : 1;
      const sched = c.file.startsWith('002') ? 'wlc' : 'rr';
      expect(read('table')).toBe(
        [
          `-A -t ${c.vip}:80 -s ${sched}`,
          `-a -t ${c.vip}:80 -r ${a}:80 -g -w ${weight}`,
          `-a -t ${c.vip}:80 -r ${b}:80 -g -w ${weight}`,
        ].join('\n'),
      );
      // Both real servers answered through the VIP, no request failed.
      const served = read('served');
      expect(served).toMatch(/\d+ rs1/);
      expect(served).toMatch(/\d+ rs2/);
      expect(served).not.toMatch(/FAIL/);
      expect(read('table-after-hup')).toBe(read('table'));
      expect(read('down-rc')).toBe('0');
      expect(read('table-rs1-down')).not.toContain(`${a}:80`);
      expect(read('served-rs1-down')).toMatch(/^4 rs2$/);
      expect(read('up-rc')).toBe('0');
      const status = JSON.parse(read('status')) as {
        lvs: { state: string; virtualServers: { realServers: { alive: boolean }[] }[] };
      };
      expect(status.lvs.state).toBe('programmed');
      expect(status.lvs.virtualServers[0]!.realServers.map((s) => s.alive)).toEqual([true, true]);
      expect(read('table-after-stop')).toBe('');
    }, 600_000);
  }
});
