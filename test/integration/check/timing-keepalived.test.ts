import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest, IPVS_MODULES, REPO_ROOT, type UmlGuest, umlSkipReason } from '../../helpers/uml.js';
import { ensureDist } from '../../helpers/dist.js';

// The checkers' timing against keepalived 2.2.7 on the same configuration and the same real
// servers. keepalived's checker process exits without IPVS, which this host's kernel lacks, so
// both daemons run `-C` (checkers only) inside a user-mode-linux guest that has ip_vs; the real
// servers listen on the guest's loopback (fixtures/timing-servers.mjs; MISC_CHECK reads a file).
// The two daemons check the same real servers under two virtual addresses. All three real
// servers fail at one instant and recover at another; each daemon's "Removing service" and
// "Adding service" lines, stamped on arrival, give its times, which must agree within one
// delay_loop (both daemons spread their first runs over a random warmup).
const skipReason = umlSkipReason();
if (skipReason) console.warn(`[check/timing-keepalived.test] SKIPPED: ${skipReason}`);

const DELAY_LOOP_S = 3;
const CHECKS = `        connect_timeout 1
        retry 2
        delay_before_retry 1`;

const config = (vip: string, dir: string) => `global_defs {
    router_id timing
}
virtual_server ${vip} 80 {
    delay_loop ${DELAY_LOOP_S}
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.1 7101 {
        TCP_CHECK {
${CHECKS}
        }
    }
    real_server 127.0.0.1 7102 {
        HTTP_GET {
            url {
                path /
                status_code 200
            }
${CHECKS}
        }
    }
    real_server 127.0.0.1 7103 {
        MISC_CHECK {
            misc_path "/bin/sh -c 'exit $(cat ${dir}/misc-exit)'"
${CHECKS}
        }
    }
}
`;

/** require_ asserts every event was seen by both daemons and their times agree within one delay_loop. */
function require_(
  ka: string,
  kv: string,
  checks: { label: string; a: number | undefined; b: number | undefined }[],
): void {
  for (const c of checks) {
    expect(c.a, `keepalived ${c.label}\n${ka}`).toBeDefined();
    expect(c.b, `keepvip ${c.label}\n${kv}`).toBeDefined();
    expect(Math.abs(c.a! - c.b!), c.label).toBeLessThanOrEqual(DELAY_LOOP_S);
  }
}

/** stamp prefixes every line with the guest's clock in seconds (perl Time::HiRes). */
const STAMP = `perl -MTime::HiRes=time -ne '$|=1; printf "%.3f %s", time, $_'`;

describe.skipIf(skipReason !== undefined)(
  'checker timing against keepalived 2.2.7 (UML guest with IPVS)',
  () => {
    let guest: UmlGuest;

    beforeAll(async () => {
      await ensureDist();
      guest = await bootGuest({ name: 'check-timing', modules: IPVS_MODULES, timeoutMs: 5 * 60_000 });
    }, 180_000);

    afterAll(async () => {
      await guest?.destroy();
    });

    it('failure → removal and recovery → return agree within one delay_loop for TCP_CHECK, HTTP_GET and MISC_CHECK', async () => {
      const d = guest.resultsDir;
      const script = `set -e
ip link set lo up
cd ${d}
echo 0 > misc-exit
echo 200 > http-status
cat > ka.conf <<'KAEOF'
${config('10.1.1.1', d)}KAEOF
cat > kv.conf <<'KVEOF'
${config('10.1.1.2', d)}KVEOF
node ${REPO_ROOT}/test/integration/check/fixtures/timing-servers.mjs ${d} > servers.log 2>&1 &
SERVERS=$!
sleep 1
keepalived -f ${d}/ka.conf -n -l -D -C -p ${d}/ka.pid -c ${d}/kac.pid -r ${d}/kav.pid -b ${d}/kab.pid -G 2>&1 | ${STAMP} > ka.log &
node ${REPO_ROOT}/bin/keepvip -f ${d}/kv.conf -n -l -D -C -p ${d}/kv.pid --control ${d}/kv.sock 2>&1 | ${STAMP} > kv.log &
# Both daemons must have seen all three servers up before anything fails (UML is slow to start node).
for i in $(seq 1 120); do
  a=$(grep -cE 'TCP connection to .*7101 success|Remote Web server .*7102 succeed|Misc check for .*7103.* succeeded' ka.log || true)
  b=$(grep -cE 'TCP connection to .*7101 success|Remote Web server .*7102 succeed|Misc check for .*7103.* succeeded' kv.log || true)
  [ "$a" -ge 3 ] && [ "$b" -ge 3 ] && break
  sleep 0.5
done
sleep ${DELAY_LOOP_S + 1}
perl -MTime::HiRes=time -e 'printf "%.3f\\n", time' > t-fail
touch tcp-down; echo 500 > http-status; echo 1 > misc-exit
sleep 16
perl -MTime::HiRes=time -e 'printf "%.3f\\n", time' > t-recover
rm tcp-down; echo 200 > http-status; echo 0 > misc-exit
sleep 12
kill $(cat ka.pid) $(cat kv.pid) 2>/dev/null || true
sleep 3
kill $SERVERS 2>/dev/null || true
`;
      const r = await guest.run(script, { timeoutMs: 120_000 });
      const ka = guest.readResult('ka.log');
      const kv = guest.readResult('kv.log');
      if (r.exitCode !== 0) console.log(r.stdout, r.stderr, ka, kv);
      expect(r.exitCode).toBe(0);
      const tFail = Number(guest.readResult('t-fail'));
      const tRecover = Number(guest.readResult('t-recover'));
      const at = (log: string, re: RegExp, after: number) => {
        for (const line of log.split('\n')) {
          const m = /^(\d+\.\d+) (.*)$/.exec(line);
          if (m && Number(m[1]) >= after && re.test(m[2]!)) return Number(m[1]);
        }
        return undefined;
      };
      const rows: string[] = [];
      const checks: { label: string; a: number | undefined; b: number | undefined }[] = [];
      for (const [kind, port] of [
        ['TCP_CHECK', 7101],
        ['HTTP_GET', 7102],
        ['MISC_CHECK', 7103],
      ] as const) {
        for (const [what, verb, since] of [
          ['failure → removal', 'Removing', tFail],
          ['recovery → return', 'Adding', tRecover],
        ] as const) {
          const re = (vip: string) =>
            new RegExp(
              `${verb} service \\[127\\.0\\.0\\.1\\]:tcp:${port} (from|to) VS \\[${vip.replace(/\./g, '\\.')}\\]:tcp:80`,
            );
          const a = at(ka, re('10.1.1.1'), since);
          const b = at(kv, re('10.1.1.2'), since);
          rows.push(
            `${kind.padEnd(10)} ${what}: keepalived ${a === undefined ? '-' : `${(a - since).toFixed(2)} s`}, keepvip ${b === undefined ? '-' : `${(b - since).toFixed(2)} s`}`,
          );
          checks.push({ label: `${kind} ${what}`, a, b });
        }
      }
      console.log(
        `[check/timing] delay_loop ${DELAY_LOOP_S} s, retry 2, delay_before_retry 1 s, connect_timeout 1 s\n${rows.join('\n')}`,
      );
      const events = (log: string) =>
        log
          .split('\n')
          .filter((l) => /:710[123]/.test(l) && !/Activating|Deactivating/.test(l))
          .map((l) => l.replace(/^(\d+\.\d+)/, (t) => `+${(Number(t) - tFail).toFixed(2)}`))
          .join('\n');
      if (checks.some((c) => c.a === undefined || c.b === undefined || Math.abs(c.a - c.b) > DELAY_LOOP_S))
        console.log(`[check/timing] keepalived:\n${events(ka)}\n[check/timing] keepvip:\n${events(kv)}`);
      require_(ka, kv, checks);
    }, 240_000);
  },
);
