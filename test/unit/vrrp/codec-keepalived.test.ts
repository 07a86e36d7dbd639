/**
 * Interop vectors: advertisements captured from real keepalived 2.2.7 (test/fixtures/vrrp/*.hex,
 * made by capture.sh in network namespaces). Each is decoded through the same path as a socket's
 * bytes, and re-encoded from the decoded fields: the VRRP message must be byte-identical, and for
 * IPv4 the whole datagram too when given keepalived's IP id.
 */
import { describe, expect, it } from 'vitest';
import { checkAdvertForInstance } from '../../../src/vrrp/checks.js';
import { authDataFromPassword, decodeAdvert, encodeAdvert } from '../../../src/vrrp/codec.js';
import { decodeIpv4Datagram, encodeIpv4Datagram } from '../../../src/vrrp/ipv4.js';
import {
  IPPROTO_VRRP,
  type ReceivedDatagram,
  type VrrpAdvert,
  type VrrpVersion,
} from '../../../src/vrrp/packet.js';
import { ipv6Received, loadCapture } from './codec-fixtures.js';

interface CaptureCase {
  name: string;
  family: 'inet' | 'inet6';
  version: VrrpVersion;
  vrid: number;
  priority: number;
  advertIntervalMs: number;
  addresses: string[];
  srcAddress?: string;
  dstAddress: string;
  ttl: number;
  password?: string;
}

// The fields written in each capture's keepalived configuration (see the comment in the file).
const cases: CaptureCase[] = [
  {
    name: 'v2-pass-ipv4',
    family: 'inet',
    version: 2,
    vrid: 51,
    priority: 100,
    advertIntervalMs: 1000,
    addresses: ['192.0.2.51'],
    srcAddress: '192.0.2.1',
    dstAddress: '224.0.0.18',
    ttl: 255,
    password: 'kvpass',
  },
  {
    name: 'v2-noauth-3vips',
    family: 'inet',
    version: 2,
    vrid: 52,
    priority: 150,
    advertIntervalMs: 1000,
    addresses: ['192.0.2.52', '192.0.2.152', '198.51.100.7'],
    srcAddress: '192.0.2.1',
    dstAddress: '224.0.0.18',
    ttl: 255,
  },
  {
    name: 'v2-ipv4-unicast',
    family: 'inet',
    version: 2,
    vrid: 57,
    priority: 110,
    advertIntervalMs: 2000,
    addresses: ['192.0.2.57'],
    srcAddress: '192.0.2.1',
    dstAddress: '192.0.2.2',
    ttl: 255,
  },
  {
    name: 'v3-ipv4',
    family: 'inet',
    version: 3,
    vrid: 53,
    priority: 200,
    advertIntervalMs: 1000,
    addresses: ['192.0.2.53'],
    srcAddress: '192.0.2.1',
    dstAddress: '224.0.0.18',
    ttl: 255,
  },
  {
    name: 'v3-ipv4-100ms',
    family: 'inet',
    version: 3,
    vrid: 54,
    priority: 254,
    advertIntervalMs: 100,
    addresses: ['192.0.2.54', '192.0.2.154'],
    srcAddress: '192.0.2.1',
    dstAddress: '224.0.0.18',
    ttl: 255,
  },
  {
    name: 'v3-ipv4-unicast',
    family: 'inet',
    version: 3,
    vrid: 56,
    priority: 120,
    advertIntervalMs: 1000,
    addresses: ['192.0.2.56'],
    srcAddress: '192.0.2.1',
    dstAddress: '192.0.2.2',
    ttl: 255,
  },
  {
    // keepalived sends IPv6 multicast adverts from the interface's link-local address.
    name: 'v3-ipv6',
    family: 'inet6',
    version: 3,
    vrid: 55,
    priority: 100,
    advertIntervalMs: 1000,
    addresses: ['fe80::55', '2001:db8:77::55', '2001:db8:77::a:55'],
    dstAddress: 'ff02::12',
    ttl: 255,
  },
  {
    // keepalived 2.2.7 leaves IPv6 unicast adverts at the default hop limit, 64.
    name: 'v3-ipv6-unicast',
    family: 'inet6',
    version: 3,
    vrid: 58,
    priority: 100,
    advertIntervalMs: 1000,
    addresses: ['2001:db8:77::58'],
    srcAddress: '2001:db8:77::1',
    dstAddress: '2001:db8:77::2',
    ttl: 64,
  },
];

function received(c: CaptureCase, bytes: Buffer): ReceivedDatagram {
  if (c.family === 'inet6') return ipv6Received(bytes);
  const d = decodeIpv4Datagram(bytes);
  if (!d.ok) throw new Error(`${c.name}: ${d.reason} ${d.detail}`);
  return d.value;
}

describe('keepalived 2.2.7 captures', () => {
  for (const c of cases) {
    describe(c.name, () => {
      const packets = loadCapture(c.name);

      it('holds the adverts and the priority-0 advert sent on SIGTERM', () => {
        expect(packets.map((p) => p.label)).toEqual(['advert-1', 'advert-2', 'priority-0']);
      });

      for (const packet of packets) {
        const priority = packet.label === 'priority-0' ? 0 : c.priority;

        it(`${packet.label}: decodes to the configured fields`, () => {
          const d = received(c, packet.bytes);
          expect(d.dstAddress).toBe(c.dstAddress);
          expect(d.ttl).toBe(c.ttl);
          if (c.srcAddress) expect(d.srcAddress).toBe(c.srcAddress);
          else expect(d.srcAddress).toMatch(/^fe80::/);
          const decoded = decodeAdvert(d);
          expect(decoded).toEqual({
            ok: true,
            value: {
              version: c.version,
              vrid: c.vrid,
              priority,
              advertIntervalMs: c.advertIntervalMs,
              addresses: c.addresses,
              authType: c.password ? 1 : 0,
              ...(c.password ? { authData: authDataFromPassword(c.password) } : {}),
            } satisfies VrrpAdvert,
          });
        });

        it(`${packet.label}: passes the checks of the instance it came from`, () => {
          const decoded = decodeAdvert(received(c, packet.bytes));
          if (!decoded.ok) throw new Error(decoded.detail);
          expect(
            checkAdvertForInstance(decoded.value, {
              vrid: c.vrid,
              version: c.version,
              advertIntervalMs: c.advertIntervalMs,
              addresses: c.addresses,
              ...(c.password ? { authentication: { type: 'PASS' as const, password: c.password } } : {}),
            }),
          ).toEqual({ ok: true });
        });

        it(`${packet.label}: re-encodes byte for byte`, () => {
          const d = received(c, packet.bytes);
          const decoded = decodeAdvert(d);
          if (!decoded.ok) throw new Error(decoded.detail);
          const message = encodeAdvert(decoded.value, d);
          expect(message.toString('hex')).toBe(d.payload.toString('hex'));
          if (c.family === 'inet') {
            // keepalived's IPv4 header: TOS 0xc0, no DF, TTL 255, its own id counting from 1.
            const datagram = encodeIpv4Datagram({
              srcAddress: d.srcAddress,
              dstAddress: d.dstAddress,
              ttl: 255,
              protocol: IPPROTO_VRRP,
              id: packet.bytes.readUInt16BE(4),
              payload: message,
            });
            expect(datagram.toString('hex')).toBe(packet.bytes.toString('hex'));
          }
        });
      }
    });
  }

  it('keepalived numbers IPv4 adverts 1, 2, ... in the IP id field', () => {
    const ids = loadCapture('v3-ipv4').map((p) => p.bytes.readUInt16BE(4));
    expect(ids.slice(0, 2)).toEqual([1, 2]);
  });

  it('keepalived 2.2.7 puts the real unicast destination in the v3 IPv4 pseudo-header', () => {
    const [advert] = loadCapture('v3-ipv4-unicast');
    const d = received(cases.find((c) => c.name === 'v3-ipv4-unicast')!, advert!.bytes);
    const decoded = decodeAdvert(d);
    if (!decoded.ok) throw new Error(decoded.detail);
    expect(decoded.value.legacyUnicastChecksum).toBeUndefined();
  });
});
