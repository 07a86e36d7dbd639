/**
 * InstanceDriver on the manual clock with a fake kernel port: adverts on time, VIPs added and
 * removed in order, GARP bursts scheduled and cancelled, and the GARP defect of issue 11 (timers
 * armed after the asynchronous VIP add were never cancelled by a fast MASTER -> BACKUP change).
 */
import { describe, expect, it } from 'vitest';
import type { VrrpInstance } from '../../../src/config/model.js';
import { loadConfigText } from '../../../src/config/load.js';
import { InstanceDriver } from '../../../src/runner/instance.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import type { VrrpAdvert } from '../../../src/vrrp/packet.js';
import { silentLogger } from '../../../src/util/logger.js';
import { FakeKernel, settle } from './fake-kernel.js';

function instanceOf(extra = ''): {
  inst: VrrpInstance;
  globals: ReturnType<typeof loadConfigText>['config'];
} {
  const text = `global_defs {\n  router_id t\n  vrrp_version 3\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 7\n  priority 100\n  advert_int 1\n  virtual_ipaddress {\n    10.0.0.100/32\n  }\n${extra}}\n`;
  const loaded = loadConfigText(text, 'test.conf');
  if (!loaded.config) throw new Error(JSON.stringify(loaded.diagnostics));
  return { inst: loaded.config.vrrpInstances[0]!, globals: loaded.config };
}

function driverFor(extra = '') {
  const { inst, globals } = instanceOf(extra);
  const clock = new ManualClock(1000);
  const kernel = new FakeKernel();
  const sentAt: number[] = [];
  const driver = new InstanceDriver({
    instance: inst,
    globals: globals!.globalDefs,
    localAddress: '10.0.0.2',
    io: {
      send: async () => {
        sentAt.push(clock.nowMs());
      },
      addAddress: (v) => kernel.addAddress(v),
      deleteAddress: (v) => kernel.deleteAddress(v),
      announce: (ifname, vips, repeat) => kernel.announce(ifname, vips, repeat),
    },
    clock,
    log: silentLogger,
    handoff: 'fast',
  });
  return { driver, clock, kernel, sentAt };
}

const higher: VrrpAdvert = {
  version: 3,
  vrid: 7,
  priority: 200,
  advertIntervalMs: 1000,
  addresses: ['10.0.0.100'],
  authType: 0,
};

/** peerAdvertises has the priority-200 peer advertise once a second for `seconds`. */
async function peerAdvertises(driver: InstanceDriver, clock: ManualClock, seconds: number): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    clock.advance(1000);
    driver.receive(higher, '10.0.0.1');
    await settle();
  }
}

describe('InstanceDriver', () => {
  it('a backup takes over after Master_Down_Interval and then advertises every advert_int', async () => {
    const { driver, clock, kernel, sentAt } = driverFor();
    driver.start();
    // RFC 5798 6.1: Master_Down_Interval = 3 * 1000 + Skew_Time ((256 - 100) * 1000 / 256 = 609.375).
    clock.advance(3609);
    expect(driver.stateName).toBe('BACKUP');
    clock.advance(1);
    expect(driver.stateName).toBe('MASTER');
    await settle();
    clock.advance(3000);
    // The takeover advert at Master_Down_Interval (3609.375 ms), then every advert_int at VRID 7's
    // advert phase, 70 ms into the second (vrrp/timers.ts advertPhaseMs): 4070, 5070, 6070.
    expect(sentAt.map((t) => Math.round(t - sentAt[0]!))).toEqual([0, 461, 1461, 2461]);
    expect(kernel.calls.filter((c) => c.op !== 'announce')).toEqual([{ op: 'add', address: '10.0.0.100' }]);
  });

  it("a takeover's advert is flushed to the wire before the VIPs are added; periodic adverts wait for the turn's batch", async () => {
    const { inst, globals } = instanceOf();
    const clock = new ManualClock(1000);
    const order: string[] = [];
    const driver = new InstanceDriver({
      instance: inst,
      globals: globals!.globalDefs,
      localAddress: '10.0.0.2',
      io: {
        send: async () => void order.push('send'),
        flush: () => void order.push('flush'),
        addAddress: async () => void order.push('add'),
        deleteAddress: async () => {},
        announce: async () => {},
      },
      clock,
      log: silentLogger,
      handoff: 'fast',
    });
    driver.start();
    clock.advance(3610);
    expect(driver.stateName).toBe('MASTER');
    await settle();
    expect(order.slice(0, 3)).toEqual(['send', 'flush', 'add']);
    order.length = 0;
    clock.advance(2000);
    expect(order).toEqual(['send', 'send']);
    // A priority change is a hand-off signal: its advert leaves at once too.
    driver.setPriority(50);
    expect(order.slice(2)).toEqual(['send', 'flush']);
  });

  it('GARP: a burst on becoming MASTER and another after garp_master_delay (5 s); none after leaving MASTER', async () => {
    const { driver, clock, kernel } = driverFor();
    driver.start();
    clock.advance(3610);
    await settle();
    expect(kernel.announces).toBe(1);
    clock.advance(5000);
    expect(kernel.announces).toBe(2);
    driver.receive(higher, '10.0.0.1');
    await settle();
    expect(driver.stateName).toBe('BACKUP');
    await peerAdvertises(driver, clock, 20);
    expect(kernel.announces).toBe(2);
    expect(kernel.addresses.has('10.0.0.100')).toBe(false);
  });

  it('GARP timers armed after the async VIP add are cancelled by a fast MASTER -> BACKUP change (issue 11)', async () => {
    const { driver, clock, kernel } = driverFor();
    kernel.holdAddresses();
    driver.start();
    clock.advance(3610);
    expect(driver.stateName).toBe('MASTER');
    // The peer with priority 200 appears while our VIP add is still in the kernel.
    driver.receive(higher, '10.0.0.1');
    expect(driver.stateName).toBe('BACKUP');
    kernel.releaseAddresses();
    await settle();
    const before = kernel.announces;
    await peerAdvertises(driver, clock, 6); // past garp_master_delay: the old code sent a burst for the peer's VIP here
    expect(kernel.announces - before).toBe(0);
    expect(kernel.addresses.has('10.0.0.100')).toBe(false);
  });

  it('garp_master_refresh: one pending refresh timer at a time, cancelled when leaving MASTER', async () => {
    const { driver, clock, kernel } = driverFor('  garp_master_refresh 1\n  garp_master_delay 0\n');
    driver.start();
    clock.advance(3610);
    await settle();
    clock.advance(10_000);
    expect(kernel.announces).toBe(11); // the first burst and ten refreshes
    expect(clock.pending).toBeLessThanOrEqual(2); // the advert timer and one refresh
    driver.receive(higher, '10.0.0.1');
    await settle();
    await peerAdvertises(driver, clock, 10);
    expect(kernel.announces).toBe(11);
  });

  it('stop sends priority 0 and removes the VIPs after the add that was in flight', async () => {
    const { driver, clock, kernel } = driverFor();
    driver.start();
    clock.advance(3610);
    await settle();
    const stopping = driver.stop(0);
    await settle();
    clock.advance(1);
    await stopping;
    expect(kernel.calls.filter((c) => c.op !== 'announce')).toEqual([
      { op: 'add', address: '10.0.0.100' },
      { op: 'delete', address: '10.0.0.100' },
    ]);
    expect(driver.counters.priorityZeroSent).toBe(1);
  });
});
