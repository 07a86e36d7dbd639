/**
 * The receive pipeline (runner/receive.ts) from bytes, through the real VrrpRunner on the fake
 * kernel: every drop reason counted once, on the instance when the VRID byte names one and on
 * the runner otherwise; our own adverts ignored; drop log lines rate-limited per reason.
 */
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../../src/util/logger.js';
import { encodeAdvert } from '../../../src/vrrp/codec.js';
import { encodeIpv4Datagram } from '../../../src/vrrp/ipv4.js';
import { IPPROTO_VRRP } from '../../../src/vrrp/packet.js';
import { VrrpRunner } from '../../../src/runner/vrrp-runner.js';
import { Notifier } from '../../../src/notify/notifier.js';
import { loadConfigText } from '../../../src/config/load.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { sameDatagram } from '../../../src/runner/receive.js';
import { FakeKernel, ONE_INSTANCE_V3, runnerOn, stopOn } from './fake-kernel.js';

interface AdvertBytes {
  vrid?: number;
  priority?: number;
  src?: string;
  dst?: string;
  ttl?: number;
  protocol?: number;
  addresses?: string[];
  /** mutate changes the VRRP message after encoding (the checksum no longer matches unless redone). */
  mutate?: (vrrp: Buffer) => Buffer;
}

/** bytes is a whole IPv4 datagram carrying a VRRPv3 advert, as the VRRP socket delivers it. */
function bytes(o: AdvertBytes & { id?: number } = {}): Buffer {
  const src = o.src ?? '10.0.0.1';
  const dst = o.dst ?? '224.0.0.18';
  let vrrp = encodeAdvert(
    {
      version: 3,
      vrid: o.vrid ?? 7,
      priority: o.priority ?? 200,
      advertIntervalMs: 1000,
      addresses: o.addresses ?? ['10.0.0.7'],
      authType: 0,
    },
    { family: 'inet', srcAddress: src, dstAddress: dst },
  );
  if (o.mutate) vrrp = o.mutate(Buffer.from(vrrp));
  return encodeIpv4Datagram({
    srcAddress: src,
    dstAddress: dst,
    ttl: o.ttl ?? 255,
    protocol: o.protocol ?? IPPROTO_VRRP,
    payload: vrrp,
    ...(o.id !== undefined && { id: o.id }),
  });
}

/** CASES: one bad datagram each, the reason it must be counted under, and where. */
const CASES: { name: string; data: () => Buffer; reason: string; on: 'instance' | 'runner' }[] = [
  {
    name: 'shorter than an IPv4 header',
    data: () => bytes().subarray(0, 10),
    reason: 'ip-too-short',
    on: 'runner',
  },
  {
    name: 'IP version 6 in an IPv4 socket',
    data: () => {
      const b = bytes();
      b[0] = 0x65;
      return b;
    },
    reason: 'ip-header',
    on: 'runner',
  },
  { name: 'IP protocol 6', data: () => bytes({ protocol: 6 }), reason: 'ip-protocol', on: 'runner' },
  {
    name: 'VRRP message shorter than its fixed header',
    data: () => bytes({ mutate: (v) => v.subarray(0, 4) }),
    reason: 'too-short',
    on: 'instance',
  },
  { name: 'multicast TTL 64 (RFC 5798 7.1)', data: () => bytes({ ttl: 64 }), reason: 'ttl', on: 'instance' },
  {
    name: 'unicast TTL 64 without unicast_peer (keepalived vrrp_check_packet)',
    data: () => bytes({ dst: '10.0.0.2', ttl: 64 }),
    reason: 'ttl',
    on: 'instance',
  },
  {
    name: 'VRRP version 4',
    data: () =>
      bytes({
        mutate: (v) => {
          v[0] = 0x41;
          return v;
        },
      }),
    reason: 'version',
    on: 'instance',
  },
  {
    name: 'checksum broken by a changed VIP byte',
    data: () =>
      bytes({
        mutate: (v) => {
          v[v.length - 1]! ^= 0xff;
          return v;
        },
      }),
    reason: 'checksum',
    on: 'instance',
  },
  { name: 'VRID no instance runs', data: () => bytes({ vrid: 9 }), reason: 'unknown-vrid', on: 'runner' },
  {
    name: 'a VIP the instance does not have',
    data: () => bytes({ addresses: ['10.0.0.99'] }),
    reason: 'addresses',
    on: 'instance',
  },
  {
    name: 'more VIPs than the instance has',
    data: () => bytes({ addresses: ['10.0.0.7', '10.0.0.8'] }),
    reason: 'address-count',
    on: 'instance',
  },
];

/** RecordingLogger keeps every line. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (m: string) => void lines.push(m);
  return { lines, error: put, warn: put, info: put, debug: put };
}

describe('receive path from bytes', () => {
  for (const c of CASES) {
    it(`counts "${c.reason}" on the ${c.on}: ${c.name}`, async () => {
      const kernel = new FakeKernel();
      const { runner, clock } = runnerOn(kernel);
      await runner.start();
      const driver = runner.drivers.get('VI_1')!;
      kernel.sockets[0]!.deliver({ family: 'inet', data: c.data() });
      expect(c.on === 'runner' ? runner.drops : driver.counters.drops).toEqual({ [c.reason]: 1 });
      expect(c.on === 'runner' ? driver.counters.drops : runner.drops).toEqual({});
      expect(driver.counters.advertsReceived).toBe(0);
      clock.advance(1);
      await runner.stop();
    });
  }

  it('a good advert reaches the instance; our own advert looped back is neither received nor counted', async () => {
    const kernel = new FakeKernel('10.0.0.2');
    const { runner, clock } = runnerOn(kernel);
    await runner.start();
    const driver = runner.drivers.get('VI_1')!;
    kernel.sockets[0]!.deliver({ family: 'inet', data: bytes({ src: '10.0.0.2' }) });
    expect(driver.counters.advertsReceived).toBe(0);
    kernel.sockets[0]!.deliver({ family: 'inet', data: bytes() });
    expect(driver.counters.advertsReceived).toBe(1);
    expect(runner.drops).toEqual({});
    expect(driver.counters.drops).toEqual({});
    clock.advance(1);
    await runner.stop();
  });

  it('a repeated advert (another IP identification) is received again; any other changed byte goes the whole way', async () => {
    const kernel = new FakeKernel();
    const { runner, clock } = runnerOn(kernel);
    await runner.start();
    const driver = runner.drivers.get('VI_1')!;
    const deliver = (data: Buffer) => kernel.sockets[0]!.deliver({ family: 'inet', data });
    const first = bytes({ id: 1 });
    const again = bytes({ id: 2 });
    expect(first.equals(again)).toBe(false);
    expect(sameDatagram(first, again)).toBe(true);
    deliver(first);
    deliver(again);
    deliver(again);
    expect(driver.counters.advertsReceived).toBe(3);
    // After an accepted advert, the same one with TTL 64 or a broken checksum is still dropped.
    deliver(bytes({ id: 3, ttl: 64 }));
    const broken = (v: Buffer) => {
      v[v.length - 1]! ^= 0xff;
      return v;
    };
    deliver(bytes({ id: 4, mutate: broken }));
    expect(driver.counters.drops).toEqual({ ttl: 1, checksum: 1 });
    // A changed priority is decoded afresh and reaches the instance.
    deliver(bytes({ id: 5, priority: 150 }));
    expect(driver.counters.advertsReceived).toBe(4);
    // The same advert from our own address (now local) is ours looped back: ignored.
    kernel.sockets[0]!.deliver({ family: 'inet', data: bytes({ id: 6, src: '10.0.0.2' }) });
    expect(driver.counters.advertsReceived).toBe(4);
    clock.advance(1);
    await runner.stop();
  });

  it('unicast_peer min_ttl / max_ttl bound the peer TTL', async () => {
    const text = ONE_INSTANCE_V3.replace(
      '  advert_int 1\n',
      '  advert_int 1\n  unicast_peer {\n    10.0.0.1 min_ttl 250 max_ttl 254\n  }\n',
    );
    const kernel = new FakeKernel();
    const { runner, clock } = runnerOn(kernel, text);
    await runner.start();
    const driver = runner.drivers.get('VI_1')!;
    const deliver = (ttl: number) =>
      kernel.sockets[0]!.deliver({ family: 'inet', data: bytes({ dst: '10.0.0.2', ttl }) });
    deliver(249);
    deliver(255);
    expect(driver.counters.drops).toEqual({ ttl: 2 });
    deliver(250);
    expect(driver.counters.advertsReceived).toBe(1);
    clock.advance(1);
    await runner.stop();
  });

  it('drop log lines are rate-limited to one per reason and interface every 10 s', async () => {
    const config = loadConfigText(ONE_INSTANCE_V3, 'test.conf').config!;
    const clock = new ManualClock(1000);
    const kernel = new FakeKernel();
    const log = recordingLogger();
    const runner = new VrrpRunner({
      config,
      kernel,
      clock,
      log,
      notifier: new Notifier(config, log, { clock, prober: null }),
    });
    await runner.start();
    const bad = () => kernel.sockets[0]!.deliver({ family: 'inet', data: bytes({ vrid: 9 }) });
    const logged = () => log.lines.filter((l) => l.includes('bad VRRP packet')).length;
    bad();
    clock.advance(9_999);
    bad();
    expect(logged()).toBe(1);
    kernel.sockets[0]!.deliver({ family: 'inet', data: bytes({ ttl: 1 }) }); // another reason logs at once
    expect(logged()).toBe(2);
    clock.advance(1);
    bad();
    expect(logged()).toBe(3);
    expect(runner.drops).toEqual({ 'unknown-vrid': 3 });
    await stopOn(runner, clock); // MASTER by now: a fast-mode stop waits on the clock
  });
});
