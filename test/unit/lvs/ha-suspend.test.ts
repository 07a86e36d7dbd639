import { describe, expect, it } from 'vitest';
import { CheckScheduler } from '../../../src/check/scheduler.js';
import type { AddressChange } from '../../../src/kernel/address-watch.js';
import type { InstalledAddress } from '../../../src/kernel/addresses.js';
import { HaSuspend, suspendedVirtualServers } from '../../../src/lvs/ha-suspend.js';
import type { Logger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { lvsConfig } from './helpers.js';

const TWO = `
virtual_server 10.0.0.100 80 {
  delay_loop 10
  protocol TCP
  ha_suspend
  real_server 10.0.0.1 80 {
    TCP_CHECK {
    }
  }
}
virtual_server 10.0.0.101 80 {
  delay_loop 10
  protocol TCP
  real_server 10.0.0.1 80 {
    TCP_CHECK {
    }
  }
}
virtual_server_group G6 {
  fd00::10-12 443
}
virtual_server group G6 {
  protocol TCP
  ha_suspend
  real_server fd00::1 443 {
  }
}
`;

function addr(address: string, index = 2): InstalledAddress {
  return {
    address,
    family: address.includes(':') ? 'inet6' : 'inet',
    prefixLength: 32,
    dev: 'eth0',
    index,
    scope: 'global',
    flags: {},
  };
}

function lines(): { log: Logger; out: string[] } {
  const out: string[] = [];
  const put = (m: string) => out.push(m);
  return { log: { info: put, warn: put, error: put, debug: () => {} }, out };
}

describe('ha_suspend rule (keepalived update_checker_activity)', () => {
  it('an ha_suspend block is suspended unless one of its addresses is local; others never are', () => {
    const c = lvsConfig(TWO);
    expect(suspendedVirtualServers(c, () => false)).toEqual(['[10.0.0.100]:tcp:80', '[G6]:0']);
    expect(suspendedVirtualServers(c, (a) => a === '10.0.0.100' || a === 'fd00::11')).toEqual([]);
  });
});

describe('HaSuspend follows the addresses of the host', () => {
  function setup(initial: InstalledAddress[]) {
    let emit!: (c: AddressChange) => void;
    let fail!: (e: Error) => void;
    let list = initial;
    const reported: string[][] = [];
    const { log, out } = lines();
    let closed = 0;
    const h = new HaSuspend({
      log,
      listAddresses: async () => list,
      watchAddresses: (onChange, onError) => {
        emit = onChange;
        fail = onError;
        return { close: () => closed++ };
      },
      onChange: (s) => reported.push(s),
    });
    return {
      h,
      reported,
      out,
      emit: (c: AddressChange) => emit(c),
      fail: (e: Error) => fail(e),
      setList: (l: InstalledAddress[]) => {
        list = l;
      },
      closed: () => closed,
    };
  }

  it('suspended at start when the VIP is away; activated when the runner adds it; suspended when it goes', async () => {
    const t = setup([addr('192.168.1.5')]);
    await t.h.configure(lvsConfig(TWO));
    expect(t.reported).toEqual([['[10.0.0.100]:tcp:80', '[G6]:0']]);
    t.emit({ address: addr('10.0.0.100'), added: true });
    expect(t.reported.at(-1)).toEqual(['[G6]:0']);
    t.emit({ address: addr('fd00::12'), added: true });
    expect(t.reported.at(-1)).toEqual([]);
    // The same address on a second interface: removing one copy keeps it local.
    t.emit({ address: addr('10.0.0.100', 3), added: true });
    t.emit({ address: addr('10.0.0.100', 2), added: false });
    expect(t.reported).toHaveLength(3);
    t.emit({ address: addr('10.0.0.100', 3), added: false });
    expect(t.reported.at(-1)).toEqual(['[10.0.0.100]:tcp:80']);
    expect(t.out).toEqual([
      'Suspending healthchecker for service [10.0.0.100]:tcp:80',
      'Suspending healthchecker for service [G6]:0',
      'Activating healthchecker for service [10.0.0.100]:tcp:80',
      'Activating healthchecker for service [G6]:0',
      'Suspending healthchecker for service [10.0.0.100]:tcp:80',
    ]);
  });

  it('a lost notification (ENOBUFS) re-reads the addresses', async () => {
    const t = setup([]);
    await t.h.configure(lvsConfig(TWO));
    t.setList([addr('10.0.0.100'), addr('fd00::10')]);
    t.fail(new Error('address notifications: ENOBUFS'));
    await new Promise((r) => setImmediate(r));
    expect(t.reported.at(-1)).toEqual([]);
  });

  it('a configuration without ha_suspend watches nothing and suspends nothing', async () => {
    const t = setup([]);
    await t.h.configure(lvsConfig(TWO));
    await t.h.configure(lvsConfig(TWO.replaceAll('ha_suspend', '')));
    expect(t.closed()).toBe(1);
    expect(t.reported.at(-1)).toEqual([]);
    expect(t.h.suspended).toEqual([]);
  });
});

describe('CheckScheduler.suspend', () => {
  it('a suspended virtual server runs no check; resumed, it runs within delay_loop; its verdict stays meanwhile', async () => {
    const clock = new ManualClock();
    const runs: string[] = [];
    let ok = true;
    const s = new CheckScheduler({
      config: lvsConfig(TWO),
      clock,
      log: lines().log,
      random: () => 0.5,
      watchFiles: false,
      probeFor: (_c, vs) => () => {
        runs.push(vs.address ?? vs.group ?? '');
        return Promise.resolve({ ok, reason: ok ? 'ok' : 'refused' });
      },
    });
    s.suspend(['[10.0.0.100]:tcp:80']);
    s.start();
    await clock.advanceSettled(60_000);
    expect(runs.filter((r) => r === '10.0.0.100')).toEqual([]);
    expect(runs.filter((r) => r === '10.0.0.101').length).toBeGreaterThanOrEqual(6);
    s.suspend([]);
    runs.length = 0;
    await clock.advanceSettled(10_000);
    expect(runs.filter((r) => r === '10.0.0.100')).toHaveLength(1);
    // Suspended again while failing: no run, so the verdict does not move.
    s.suspend(['[10.0.0.100]:tcp:80']);
    ok = false;
    runs.length = 0;
    await clock.advanceSettled(60_000);
    expect(runs.filter((r) => r === '10.0.0.100')).toEqual([]);
    expect(s.get('[10.0.0.100]:tcp:80 -> [10.0.0.1]:tcp:80')?.alive).toBe(true);
    expect(s.get('[10.0.0.101]:tcp:80 -> [10.0.0.1]:tcp:80')?.alive).toBe(false);
    s.stop();
  });
});
