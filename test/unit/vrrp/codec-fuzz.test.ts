/**
 * Properties of the codec (after mdlayher/ndp fuzz.go): decoding never throws, whatever the bytes;
 * for every accepted packet encode(decode(x)) is stable; any valid advert survives a round trip.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMulticast } from '../../../src/vrrp/address.js';
import { decodeAdvert, encodeAdvert } from '../../../src/vrrp/codec.js';
import { decodeIpv4Datagram } from '../../../src/vrrp/ipv4.js';
import type { ReceivedDatagram, VrrpAdvert } from '../../../src/vrrp/packet.js';
import { ipv6Received, loadCapture } from './codec-fixtures.js';

const CAPTURES = [
  'v2-pass-ipv4',
  'v2-noauth-3vips',
  'v2-ipv4-unicast',
  'v3-ipv4',
  'v3-ipv4-100ms',
  'v3-ipv4-unicast',
  'v3-ipv6',
  'v3-ipv6-unicast',
];
const SEEDS = CAPTURES.flatMap((name) => loadCapture(name).map((p) => p.bytes));

/** receive runs the bytes through the path a socket's bytes take. */
function receive(bytes: Buffer): ReturnType<typeof decodeIpv4Datagram> {
  if (bytes.length >= 40 && bytes[0]! >> 4 === 6) return { ok: true, value: ipv6Received(bytes) };
  return decodeIpv4Datagram(bytes);
}

/** expectStable checks that an accepted packet re-encodes to a message that decodes the same. */
function expectStable(d: ReceivedDatagram): void {
  const decoded = decodeAdvert(d);
  if (!decoded.ok) return;
  const message = encodeAdvert(decoded.value, d);
  const again = decodeAdvert({ ...d, payload: message });
  expect(again).toEqual(decoded);
  if (again.ok) expect(encodeAdvert(again.value, d).equals(message)).toBe(true);
}

/** mutate applies random byte edits, truncation and extension to a seed. */
const mutated = fc
  .record({
    seed: fc.constantFrom(...SEEDS),
    edits: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    extra: fc.uint8Array({ maxLength: 20 }),
  })
  .map(({ seed, edits, cut, extra }) => {
    let b = Buffer.from(seed);
    for (const e of edits) b[e.at % b.length] = e.value;
    if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
    return extra.length % 3 === 0 ? Buffer.concat([b, extra]) : b;
  });

const ipv4Address = fc.ipV4();
const ipv6Address = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) =>
  new URL(
    `http://[${Buffer.from(b)
      .toString('hex')
      .replace(/(.{4})(?!$)/g, '$1:')}]/`,
  ).hostname.slice(1, -1),
);

const randomDatagram: fc.Arbitrary<ReceivedDatagram> = fc.oneof(
  fc.record({
    family: fc.constant('inet' as const),
    srcAddress: fc.oneof(ipv4Address, fc.string()),
    dstAddress: fc.oneof(ipv4Address, fc.constant('224.0.0.18'), fc.string()),
    ttl: fc.oneof(fc.constant(255), fc.integer({ min: 0, max: 255 })),
    payload: fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)),
  }),
  fc.record({
    family: fc.constant('inet6' as const),
    srcAddress: fc.oneof(ipv6Address, fc.string()),
    dstAddress: fc.oneof(ipv6Address, fc.constant('ff02::12')),
    ttl: fc.oneof(fc.constant(255), fc.integer({ min: 0, max: 255 })),
    payload: fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b)),
  }),
);

describe('codec properties', () => {
  it('decodeIpv4Datagram and decodeAdvert never throw on 20,000 random datagrams', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const d = decodeIpv4Datagram(bytes);
        if (d.ok) expectStable(d.value);
      }),
      { numRuns: 20_000 },
    );
  });

  it('decodeAdvert never throws on 20,000 random messages with random IP fields', () => {
    let accepted = 0;
    fc.assert(
      fc.property(randomDatagram, (d) => {
        const r = decodeAdvert(d);
        if (r.ok) accepted++;
        expectStable(d);
      }),
      { numRuns: 20_000 },
    );
    // Random bytes almost never carry a valid checksum; the mutation test covers acceptance.
    expect(accepted).toBeLessThan(200);
  });

  it('never throws on 20,000 mutations of keepalived captures, and what it accepts re-encodes stably', () => {
    const outcomes = new Map<string, number>();
    fc.assert(
      fc.property(mutated, (bytes) => {
        const d = receive(bytes);
        const key = d.ok ? (decodeAdvert(d.value).ok ? 'ok' : 'advert-rejected') : d.reason;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        if (d.ok) expectStable(d.value);
      }),
      { numRuns: 20_000 },
    );
    // The mutations reach both sides of the decoder.
    expect(outcomes.get('ok')).toBeGreaterThan(0);
    expect(outcomes.get('advert-rejected')).toBeGreaterThan(0);
  });

  const advert: fc.Arbitrary<{ advert: VrrpAdvert; ip: ReceivedDatagram }> = fc.oneof(
    fc
      .record({
        vrid: fc.integer({ min: 1, max: 255 }),
        priority: fc.integer({ min: 0, max: 255 }),
        seconds: fc.integer({ min: 1, max: 255 }),
        addresses: fc.array(ipv4Address, { maxLength: 20 }),
        password: fc.option(fc.uint8Array({ minLength: 8, maxLength: 8 }), { nil: undefined }),
        src: ipv4Address,
      })
      .map(({ vrid, priority, seconds, addresses, password, src }) => ({
        advert: {
          version: 2 as const,
          vrid,
          priority,
          advertIntervalMs: seconds * 1000,
          addresses,
          authType: password ? (1 as const) : (0 as const),
          ...(password ? { authData: Buffer.from(password) } : {}),
        },
        ip: {
          family: 'inet' as const,
          srcAddress: src,
          dstAddress: '224.0.0.18',
          ttl: 255,
          payload: Buffer.alloc(0),
        },
      })),
    fc
      .record({
        family: fc.constantFrom('inet' as const, 'inet6' as const),
        vrid: fc.integer({ min: 1, max: 255 }),
        priority: fc.integer({ min: 0, max: 255 }),
        centiseconds: fc.integer({ min: 1, max: 4095 }),
        v4: fc.array(ipv4Address, { maxLength: 20 }),
        v6: fc.array(ipv6Address, { maxLength: 20 }),
        src4: ipv4Address,
        src6: ipv6Address,
        dst4: fc.oneof(fc.constant('224.0.0.18'), ipv4Address),
        legacy: fc.boolean(),
      })
      .map(({ family, vrid, priority, centiseconds, v4, v6, src4, src6, dst4, legacy }) => {
        const inet = family === 'inet';
        // The legacy checksum is only recognised on unicast IPv4, where keepalived uses it.
        const unicast = inet && !isMulticast(dst4);
        return {
          advert: {
            version: 3 as const,
            vrid,
            priority,
            advertIntervalMs: centiseconds * 10,
            addresses: inet ? v4 : v6,
            authType: 0 as const,
            ...(legacy && unicast ? { legacyUnicastChecksum: true as const } : {}),
          },
          ip: {
            family,
            srcAddress: inet ? src4 : src6,
            dstAddress: inet ? dst4 : 'ff02::12',
            ttl: 255,
            payload: Buffer.alloc(0),
          },
        };
      }),
  );

  it('decode(encode(a)) is a for any valid advert', () => {
    fc.assert(
      fc.property(advert, ({ advert: a, ip }) => {
        const payload = encodeAdvert(a, ip);
        const d = decodeAdvert({ ...ip, payload });
        // A legacy checksum that happens to equal the modern one decodes as modern.
        if (d.ok && a.legacyUnicastChecksum && !d.value.legacyUnicastChecksum) {
          expect(d.value).toEqual({ ...a, legacyUnicastChecksum: undefined, authData: undefined });
          return;
        }
        expect(d).toEqual({ ok: true, value: a });
      }),
      { numRuns: 5_000 },
    );
  });
});
