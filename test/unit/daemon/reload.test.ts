/**
 * SIGHUP and ha_suspend (daemon/reload.ts): the ha_suspend set of the new configuration reaches
 * the checkers before the new configuration does. The address dump HaSuspend makes when a
 * configuration first needs it takes time (a netlink round trip; the checker thread runs
 * meanwhile), modelled here by a dump that lets the manual clock run: had the checkers taken the
 * new configuration first, they would arm and run first checks for a virtual server whose VIP
 * is not on this director.
 */
import { describe, expect, it } from 'vitest';
import { CheckScheduler } from '../../../src/check/scheduler.js';
import type { KeepvipConfig } from '../../../src/config/model.js';
import type { InstalledAddress } from '../../../src/kernel/addresses.js';
import { DaemonLvs } from '../../../src/daemon/lvs.js';
import { applyReload } from '../../../src/daemon/reload.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { FakeIpvs } from '../lvs/fake-ipvs.js';
import { lvsConfig } from '../lvs/helpers.js';

const VS = (address: string, haSuspend: boolean) => `
virtual_server ${address} 80 {
  delay_loop 10
  protocol TCP
  lb_kind DR
${haSuspend ? '  ha_suspend\n' : ''}  real_server 10.0.1.1 80 {
    TCP_CHECK {
    }
  }
}
`;

/** director runs the checkers and the LVS side of one director whose addresses never include the VIPs. */
async function director(first: KeepvipConfig) {
  const clock = new ManualClock();
  const runs: string[] = [];
  /** taken: the checkers have the new configuration; runs from then on are `afterReload`. */
  let taken = false;
  const afterReload: string[] = [];
  const checks = new CheckScheduler({
    config: first,
    clock,
    log: silentLogger,
    random: () => 0.5,
    watchFiles: false,
    probeFor: (_c, vs) => () => {
      runs.push(vs.address ?? '');
      if (taken) afterReload.push(vs.address ?? '');
      return Promise.resolve({ ok: true, reason: 'ok' });
    },
  });
  /** dumpMs is how long the address dump takes (the clock runs meanwhile). */
  let dumpMs = 0;
  const lvs = new DaemonLvs({
    config: first,
    clock,
    log: silentLogger,
    port: new FakeIpvs(),
    addresses: {
      listAddresses: async (): Promise<InstalledAddress[]> => {
        if (dumpMs > 0) await clock.advanceSettled(dumpMs);
        return [];
      },
      watchAddresses: () => ({ close: () => {} }),
    },
  });
  await lvs.startHaSuspend((keys) => checks.suspend(keys));
  checks.start();
  await lvs.start();
  const targets = {
    runner: { reload: async () => {} },
    checks: {
      reload: (c: KeepvipConfig) => {
        taken = true;
        checks.reload(c);
      },
    },
    checkAlerts: { reconfigure: () => {} },
    nginx: { rerender: async () => {} },
    lvs,
  };
  return {
    clock,
    runs,
    afterReload,
    lvs,
    reload: async (next: KeepvipConfig) => {
      dumpMs = 30_000;
      await applyReload(targets, next, 'both');
      dumpMs = 0;
    },
    stop: async () => {
      checks.stop();
      await lvs.stop();
    },
  };
}

describe('SIGHUP hands the ha_suspend set to the checkers before their new configuration', () => {
  it('a virtual server added with ha_suspend while its VIP is elsewhere never runs a first check', async () => {
    const d = await director(lvsConfig(VS('10.0.0.101', false)));
    await d.clock.advanceSettled(30_000);
    expect(d.runs.filter((a) => a === '10.0.0.101').length).toBeGreaterThan(0);
    await d.reload(lvsConfig(VS('10.0.0.101', false) + VS('10.0.0.100', true)));
    await d.clock.advanceSettled(60_000);
    expect(d.runs.filter((a) => a === '10.0.0.100')).toEqual([]);
    expect(d.afterReload.filter((a) => a === '10.0.0.101').length).toBeGreaterThan(0);
    expect(d.lvs.status().haSuspended).toEqual(['[10.0.0.100]:tcp:80']);
    await d.stop();
  });

  it('a virtual server newly given ha_suspend stops checking at the reload', async () => {
    const d = await director(lvsConfig(VS('10.0.0.100', false)));
    await d.clock.advanceSettled(30_000);
    expect(d.runs.length).toBeGreaterThan(0);
    // While the dump runs the old configuration (no ha_suspend) still checks; the new one never does.
    await d.reload(lvsConfig(VS('10.0.0.100', true)));
    await d.clock.advanceSettled(60_000);
    expect(d.afterReload).toEqual([]);
    expect(d.lvs.status().haSuspended).toEqual(['[10.0.0.100]:tcp:80']);
    await d.stop();
  });

  it('ha_suspend taken away resumes the checks', async () => {
    const d = await director(lvsConfig(VS('10.0.0.100', true)));
    await d.clock.advanceSettled(30_000);
    expect(d.runs).toEqual([]);
    await d.reload(lvsConfig(VS('10.0.0.100', false)));
    await d.clock.advanceSettled(30_000);
    expect(d.runs.length).toBeGreaterThan(0);
    expect(d.lvs.status().haSuspended).toBeUndefined();
    await d.stop();
  });
});
