/**
 * Properties of the IPVS codec (fast-check): decode(encode(x)) = x for services and
 * destinations, encode(decode(x)) = x for every encoded message, and decoding never throws on
 * mutated kernel replies or random bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeDest,
  decodeIpvsMessage,
  decodeService,
  encodeIpvsMessage,
  type IpvsMessage,
} from '../../../../src/kernel/ipvs/codec.js';
import * as K from '../../../../src/kernel/ipvs/constants.js';
import type {
  IpvsDestination,
  IpvsService,
  IpvsServiceId,
  IpvsStats,
} from '../../../../src/kernel/ipvs/types.js';
import { formatAddress } from '../../../../src/vrrp/address.js';
import * as kernel from './kernel-replies.js';

const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => formatAddress('inet', b));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatAddress('inet6', b));
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const stats: fc.Arbitrary<IpvsStats> = fc.record({
  conns: u64,
  inPkts: u64,
  outPkts: u64,
  inBytes: u64,
  outBytes: u64,
  cps: u64,
  inPps: u64,
  outPps: u64,
  inBps: u64,
  outBps: u64,
});
const unknownMap = (min: number, max: number) =>
  fc.option(
    fc
      .uniqueArray(fc.integer({ min, max }), { minLength: 1, maxLength: 3 })
      .chain((types) =>
        fc
          .tuple(...types.map(() => fc.uint8Array({ maxLength: 9 })))
          .map((datas) => new Map(types.map((t, i) => [t, Buffer.from(datas[i] ?? [])]))),
      ),
    { nil: undefined },
  );
const serviceId: fc.Arbitrary<IpvsServiceId> = fc.oneof(
  fc.record({
    family: fc.constant('inet' as const),
    protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'sctp' as const),
    address: ipv4,
    port: fc.integer({ min: 0, max: 65535 }),
  }),
  fc.record({
    family: fc.constant('inet6' as const),
    protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'sctp' as const),
    address: ipv6,
    port: fc.integer({ min: 0, max: 65535 }),
  }),
  fc.record({
    family: fc.constantFrom('inet' as const, 'inet6' as const),
    fwmark: fc.integer({ min: 1, max: 0xffffffff }),
  }),
);
const service: fc.Arbitrary<IpvsService> = fc
  .record({
    id: serviceId,
    schedName: fc.constantFrom(
      'rr',
      'wrr',
      'lc',
      'wlc',
      'lblc',
      'lblcr',
      'dh',
      'sh',
      'sed',
      'nq',
      'fo',
      'ovf',
      'mh',
    ),
    flags: fc.integer({ min: 0, max: 0x3f }),
    timeout: u32,
    v4mask: fc.integer({ min: 0, max: 32 }),
    v6mask: fc.integer({ min: 1, max: 128 }),
    peName: fc.option(fc.constant('sip'), { nil: undefined }),
    stats: fc.option(stats, { nil: undefined }),
    unknown: unknownMap(13, 300),
  })
  .map(({ v4mask, v6mask, peName, stats: st, unknown, ...rest }) => {
    const s: IpvsService = { ...rest, netmask: rest.id.family === 'inet' ? v4mask : v6mask };
    if (peName !== undefined) s.peName = peName;
    if (st !== undefined) s.stats = st;
    if (unknown !== undefined) s.unknown = unknown;
    return s;
  });
const dest: fc.Arbitrary<IpvsDestination> = fc
  .record({
    family: fc.constantFrom('inet' as const, 'inet6' as const),
    v4: ipv4,
    v6: ipv6,
    port: fc.integer({ min: 0, max: 65535 }),
    forward: fc.constantFrom('nat' as const, 'dr' as const, 'tun' as const),
    weight: fc.integer({ min: 0, max: 65535 }),
    upperThreshold: u32,
    lowerThreshold: u32,
    tunType: fc.constantFrom('ipip' as const, 'gue' as const, 'gre' as const),
    tunPort: fc.integer({ min: 0, max: 65535 }),
    tunFlags: fc.integer({ min: 0, max: 3 }),
    conns: fc.option(fc.tuple(u32, u32, u32), { nil: undefined }),
    stats: fc.option(stats, { nil: undefined }),
    unknown: unknownMap(16, 300),
  })
  .map(({ v4, v6, tunType, tunPort, tunFlags, conns, stats: st, unknown, ...rest }) => {
    const d: IpvsDestination = { ...rest, address: rest.family === 'inet' ? v4 : v6 };
    if (rest.forward === 'tun') Object.assign(d, { tunType, tunPort, tunFlags });
    if (conns) Object.assign(d, { activeConns: conns[0], inactConns: conns[1], persistConns: conns[2] });
    if (st) d.stats = st;
    if (unknown) d.unknown = unknown;
    return d;
  });

describe('IPVS codec properties', () => {
  it('decode(encode(service)) = service, with or without 64-bit pads', () => {
    fc.assert(
      fc.property(service, fc.boolean(), (s, pad64) => {
        const m: IpvsMessage = { cmd: K.IPVS_CMD_NEW_SERVICE, version: 1, service: s };
        expect(decodeIpvsMessage(encodeIpvsMessage(m, { pad64 }))).toEqual({ ok: true, value: m });
      }),
    );
  });

  it('decode(encode(destination)) = destination', () => {
    fc.assert(
      fc.property(dest, fc.boolean(), (d, pad64) => {
        const m: IpvsMessage = { cmd: K.IPVS_CMD_NEW_DEST, version: 1, dest: d };
        expect(decodeIpvsMessage(encodeIpvsMessage(m, { pad64 }))).toEqual({ ok: true, value: m });
      }),
    );
  });

  it('encode(decode(x)) = x for every encoded message', () => {
    fc.assert(
      fc.property(service, dest, (s, d) => {
        const bytes = encodeIpvsMessage(
          { cmd: K.IPVS_CMD_NEW_DEST, version: 1, service: s, dest: d },
          { pad64: true },
        );
        const m = decodeIpvsMessage(bytes);
        expect(m.ok).toBe(true);
        if (m.ok) expect(encodeIpvsMessage(m.value, { pad64: true }).equals(bytes)).toBe(true);
      }),
    );
  });

  it('never throws on mutated kernel replies', () => {
    const samples = Object.values(kernel);
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(),
        (sample, flips, cut) => {
          const b = Buffer.from(sample);
          for (const [at, v] of flips) b[at % b.length] = v;
          const mutated = b.subarray(0, cut % (b.length + 1));
          expect(() => decodeIpvsMessage(mutated)).not.toThrow();
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const b = Buffer.from(bytes);
        expect(() => decodeIpvsMessage(b)).not.toThrow();
        expect(() => decodeService(b)).not.toThrow();
        expect(() => decodeDest(b)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });
});
