/**
 * InstanceDriver parts on the manual clock: a graceful stop waits on the injected clock (the
 * release bound, RELEASE_GRACE_MS), VIPs, routes, rules and the no_accept set are applied and
 * taken back in order (vip-queue.ts), garp_lower_prio_* bursts (garp-schedule.ts), and the
 * start-up wait for an interface address (primary-address.ts) on the clock.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/config/load.js';
import { InstanceDriver, type InstanceIo, RELEASE_GRACE_MS } from '../../../src/runner/instance.js';
import {
  ADDRESS_RETRY_MS,
  ADDRESS_WAIT_MS,
  waitForLocalAddress,
} from '../../../src/runner/primary-address.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import type { VrrpAdvert } from '../../../src/vrrp/packet.js';
import { FakeKernel, ONE_INSTANCE_V3, settle } from './fake-kernel.js';

/** recordingIo records every kernel call of the driver by name and argument. */
function recordingIo(calls: string[]): InstanceIo {
  const rec = (what: string) => async () => void calls.push(what);
  return {
    send: async () => undefined,
    addAddress: async (v) => void calls.push(`add ${v.address}`),
    deleteAddress: async (v) => void calls.push(`delete ${v.address}`),
    announce: async (dev, vips, repeat) =>
      void calls.push(`announce ${dev} ${vips.map((v) => v.address)} x${repeat}`),
    addRoute: async (r) => void calls.push(`add route ${r.dst}/${r.dstPrefixLength}`),
    deleteRoute: async (r) => void calls.push(`delete route ${r.dst}/${r.dstPrefixLength}`),
    addRule: rec('add rule'),
    deleteRule: rec('delete rule'),
    blockVips: async (a) => void calls.push(`block ${a}`),
    unblockVips: async (a) => void calls.push(`unblock ${a}`),
  };
}

function driverOn(extra = '', handoff: 'fast' | 'rfc' = 'fast', drain?: () => void) {
  const text = ONE_INSTANCE_V3.replace('  advert_int 1\n', `  advert_int 1\n${extra}`);
  const loaded = loadConfigText(text, 'test.conf');
  if (!loaded.config) throw new Error(JSON.stringify(loaded.diagnostics));
  const clock = new ManualClock(1000);
  const calls: string[] = [];
  const driver = new InstanceDriver({
    instance: loaded.config.vrrpInstances[0]!,
    globals: loaded.config.globalDefs,
    localAddress: '10.0.0.2',
    io: { ...recordingIo(calls), ...(drain && { drain }) },
    clock,
    log: silentLogger,
    handoff,
  });
  return { driver, clock, calls };
}

/** toMaster starts the driver and lets Master_Down_Interval pass (no peer). */
async function toMaster(d: ReturnType<typeof driverOn>): Promise<void> {
  d.driver.start();
  d.clock.advance(3610);
  await settle();
  expect(d.driver.stateName).toBe('MASTER');
}

const peer = (priority: number): VrrpAdvert => ({
  version: 3,
  vrid: 7,
  priority,
  advertIntervalMs: 1000,
  addresses: ['10.0.0.7'],
  authType: 0,
});

describe('InstanceDriver on the manual clock', () => {
  it('an advert waiting unread on the socket when Master_Down_Timer fires is read first and postpones the takeover', async () => {
    let queued: VrrpAdvert[] = [];
    let drains = 0;
    // The io's drain hands what "arrived while the loop was busy" to the driver, as the socket would.
    const d = driverOn('', 'fast', () => {
      drains++;
      for (const a of queued.splice(0)) d.driver.receive(a, '10.0.0.1');
    });
    d.driver.start(); // BACKUP, Master_Down_Interval 3609.4 ms
    queued = [peer(200)];
    d.clock.advance(3610); // the timer fires: the queued advert is read first
    expect(drains).toBe(1);
    expect(d.driver.stateName).toBe('BACKUP');
    d.clock.advance(3600); // nothing more heard: the takeover comes 3609.4 ms after that advert
    expect(d.driver.stateName).toBe('BACKUP');
    d.clock.advance(20);
    await settle();
    expect(d.driver.stateName).toBe('MASTER');
    expect(drains).toBe(2);
    // A queued priority-0 advert (the master stopping) re-arms for Skew_Time instead of now.
    const e = driverOn('', 'fast', () => {
      for (const a of queued.splice(0)) e.driver.receive(a, '10.0.0.1');
    });
    e.driver.start();
    queued = [peer(0)];
    e.clock.advance(3610);
    expect(e.driver.stateName).toBe('BACKUP');
    e.clock.advance(700); // Skew_Time (256 - 100) / 256 s = 609 ms
    await settle();
    expect(e.driver.stateName).toBe('MASTER');
  });

  it('an advert heard in the last milliseconds of Master_Down_Interval (the precise phase) postpones the takeover', async () => {
    const d = driverOn();
    d.driver.start(); // BACKUP: Master_Down_Interval 3 x 1000 + (256 - 100) x 1000 / 256 = 3609.4 ms
    d.clock.advance(3607); // past the coarse wake-up (5 ms early): the precise timer is armed
    expect(d.driver.stateName).toBe('BACKUP');
    d.driver.receive(peer(200), '10.0.0.1');
    d.clock.advance(10); // the old deadline passes
    expect(d.driver.stateName).toBe('BACKUP');
    d.clock.advance(3590); // 3607 ms after the advert: not yet
    expect(d.driver.stateName).toBe('BACKUP');
    d.clock.advance(10); // past 3609.4 ms after the advert
    await settle();
    expect(d.driver.stateName).toBe('MASTER');
  });

  it('stop of a fast-mode MASTER with no successor resolves only when the release bound passed on the clock', async () => {
    const d = driverOn();
    await toMaster(d);
    let stopped = false;
    const stopping = d.driver.stop().then(() => {
      stopped = true;
    });
    await d.clock.advanceSettled(1000); // within the release bound: VIPs still held
    expect(stopped).toBe(false);
    expect(d.calls).not.toContain('delete 10.0.0.7');
    await d.clock.advanceSettled(5000);
    await stopping;
    expect(d.driver.stateName).toBe('STOPPED');
    expect(d.calls).toEqual(['add 10.0.0.7', 'announce eth0 10.0.0.7 x5', 'delete 10.0.0.7']);
  });

  it('stop that hears the new master keeps the VIPs RELEASE_GRACE_MS more, on the clock', async () => {
    const d = driverOn();
    await toMaster(d);
    let stopped = false;
    const stopping = d.driver.stop().then(() => {
      stopped = true;
    });
    d.clock.advance(100);
    d.driver.receive(peer(100), '10.0.0.1'); // the new master's first advert
    await settle();
    expect(d.driver.stateName).toBe('STOPPED');
    expect(d.calls).not.toContain('delete 10.0.0.7');
    await d.clock.advanceSettled(RELEASE_GRACE_MS - 1);
    expect(d.calls).not.toContain('delete 10.0.0.7');
    await d.clock.advanceSettled(1);
    await stopping;
    expect(stopped).toBe(true);
    expect(d.calls).toContain('delete 10.0.0.7');
  });

  it('VIPs, routes, rules and the no_accept set are added and removed in order', async () => {
    const d = driverOn(
      '  no_accept\n  virtual_routes {\n    192.168.10.0/24 via 10.0.0.1\n  }\n  virtual_rules {\n    from 10.0.0.7 table 100\n  }\n  virtual_ipaddress_excluded {\n    10.0.0.70/32\n  }\n',
      'rfc',
    );
    await toMaster(d);
    d.driver.receive(peer(200), '10.0.0.1'); // a better peer: BACKUP, VIPs released at once (rfc)
    await settle();
    expect(d.calls.filter((c) => !c.startsWith('announce'))).toEqual([
      'block 10.0.0.7,10.0.0.70',
      'add 10.0.0.7',
      'add 10.0.0.70',
      'add route 192.168.10.0/24',
      'add rule',
      'delete rule',
      'delete route 192.168.10.0/24',
      'delete 10.0.0.7',
      'delete 10.0.0.70',
      'unblock 10.0.0.7,10.0.0.70',
    ]);
    // The GARP burst follows the addresses, before the routes.
    expect(d.calls.indexOf('announce eth0 10.0.0.7,10.0.0.70 x5')).toBe(3);
  });

  it('garp_lower_prio_repeat / garp_lower_prio_delay: a burst at once and one after the delay, while still MASTER', async () => {
    const d = driverOn(
      '  garp_master_delay 0\n  garp_lower_prio_repeat 2\n  garp_lower_prio_delay 3\n',
      'rfc',
    );
    await toMaster(d);
    const lower = () => d.calls.filter((c) => c.endsWith(' x2')).length;
    d.driver.receive(peer(50), '10.0.0.1');
    expect(lower()).toBe(1);
    await d.clock.advanceSettled(2999);
    expect(lower()).toBe(1);
    await d.clock.advanceSettled(1);
    expect(lower()).toBe(2);
    // Heard again, then leaving MASTER before the delay: the delayed burst is cancelled.
    d.driver.receive(peer(50), '10.0.0.1');
    expect(lower()).toBe(3);
    d.driver.receive(peer(200), '10.0.0.1');
    expect(d.driver.stateName).toBe('BACKUP');
    await d.clock.advanceSettled(5000);
    expect(lower()).toBe(3);
    expect(d.driver.garpTimersPending).toBe(0);
  });
});

describe('waitForLocalAddress', () => {
  const inst = loadConfigText(ONE_INSTANCE_V3, 'test.conf').config!.vrrpInstances[0]!;

  it('asks again every ADDRESS_RETRY_MS on the clock until the interface has an address', async () => {
    const kernel = new FakeKernel();
    let asked = 0;
    kernel.getPrimaryAddress = async () => (++asked < 3 ? undefined : '10.0.0.2');
    const clock = new ManualClock(0);
    let got: string | undefined;
    void waitForLocalAddress(kernel, clock, silentLogger, inst).then((a) => {
      got = a;
    });
    await settle();
    expect(asked).toBe(1);
    await clock.advanceSettled(ADDRESS_RETRY_MS);
    expect(asked).toBe(2);
    await clock.advanceSettled(ADDRESS_RETRY_MS);
    expect(got).toBe('10.0.0.2');
  });

  it('gives up after ADDRESS_WAIT_MS on the clock', async () => {
    const kernel = new FakeKernel();
    kernel.getPrimaryAddress = async () => undefined;
    const clock = new ManualClock(0);
    let error: Error | undefined;
    void waitForLocalAddress(kernel, clock, silentLogger, inst).catch((e: Error) => {
      error = e;
    });
    for (let t = 0; t < ADDRESS_WAIT_MS && !error; t += ADDRESS_RETRY_MS)
      await clock.advanceSettled(ADDRESS_RETRY_MS);
    expect(error?.message).toBe('(VI_1) interface eth0 has no usable inet address');
    expect(clock.nowMs()).toBe(ADDRESS_WAIT_MS);
  });
});
