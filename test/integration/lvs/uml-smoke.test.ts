import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest, IPVS_MODULES, type UmlGuest, umlSkipReason } from '../../helpers/uml.js';

// The user-mode-linux harness itself: one boot, ip_vs and every scheduler loaded, several
// steps (bash and node) in the same guest, results handed back through the job directory, and
// nothing left behind on the host.
const skipReason = umlSkipReason();
if (skipReason) console.warn(`[uml-smoke.test] SKIPPED: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('user-mode-linux guest with IPVS', () => {
  let guest: UmlGuest;

  beforeAll(async () => {
    guest = await bootGuest({ name: 'smoke', modules: IPVS_MODULES });
  });

  afterAll(async () => {
    const dir = guest?.dir;
    await guest?.destroy();
    if (dir) expect(existsSync(dir)).toBe(false);
    if (guest) {
      // The whole process group is gone.
      expect(() => process.kill(-guest.pid, 0)).toThrow();
    }
  });

  it('round-trips a service through ipvsadm', async () => {
    const r = await guest.check('ipvsadm -A -t 10.1.1.1:80 -s rr\nipvsadm -Sn\n');
    expect(r.stdout).toBe('-A -t 10.1.1.1:80 -s rr\n');
  });

  it('runs node steps, concurrent steps and keeps host paths apart', async () => {
    const [a, b] = await Promise.all([
      guest.run('console.log(process.version, require === undefined)', { lang: 'node' }),
      guest.run('echo "$KV_STEP $FOO" > step.txt; uname -r; exit 3', { env: { FOO: "it's" } }),
    ]);
    // An ES module has no `require`.
    expect(a.exitCode).toBe(1);
    expect(b.exitCode).toBe(3);
    expect(b.stdout.trim()).toMatch(/^6\./);
    expect(guest.readResult('step.txt')).toMatch(/^\d+ it's\n$/);
    // The guest's /tmp is its own tmpfs: a file written there never reaches the host.
    await guest.check('echo x > /tmp/kv-uml-smoke-leak');
    expect(existsSync('/tmp/kv-uml-smoke-leak')).toBe(false);
  });

  it('runs a timed-out step to an end', async () => {
    const r = await guest.run('sleep 30', { timeoutMs: 1000 });
    expect(r.exitCode).toBe(124);
  });
});
