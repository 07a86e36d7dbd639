/**
 * decodeAdvert / encodeAdvert on hand-written vectors: every reject reason, the order the checks
 * run in (the first failing check names the packet), and the checksum variants keepalived 2.2.7
 * sends and accepts.
 */
import { describe, expect, it } from 'vitest';
import { internetChecksum, pseudoHeaderSum } from '../../../src/vrrp/checksum.js';
import { decodeAdvert, encodeAdvert } from '../../../src/vrrp/codec.js';
import type { ReceivedDatagram, RejectReason, VrrpAdvert } from '../../../src/vrrp/packet.js';
import { hex } from './codec-fixtures.js';

// keepalived's v3-ipv4 capture (test/fixtures/vrrp/v3-ipv4.hex), VRRP message only.
const V3_IPV4 = hex(`
  31        # version 3, type 1 (ADVERTISEMENT)
  35        # VRID 53
  c8        # priority 200
  01        # 1 address
  00 64     # rsvd 0, Max Adver Int 100 cs
  a1 9e     # checksum, with the IPv4 pseudo-header 192.0.2.1 > 224.0.0.18
  c0 00 02 35   # 192.0.2.53
`);

// keepalived's v2-pass-ipv4 capture (test/fixtures/vrrp/v2-pass-ipv4.hex), VRRP message only.
const V2_PASS = hex(`
  21        # version 2, type 1
  33        # VRID 51
  64        # priority 100
  01        # 1 address
  01        # auth type 1 (simple text password)
  01        # Adver Int 1 s
  68 4b     # checksum over the message alone
  c0 00 02 33               # 192.0.2.51
  6b 76 70 61 73 73 00 00   # "kvpass", zero padded to 8
`);

const MCAST4 = { family: 'inet', srcAddress: '192.0.2.1', dstAddress: '224.0.0.18', ttl: 255 } as const;
const MCAST6 = { family: 'inet6', srcAddress: 'fe80::1', dstAddress: 'ff02::12', ttl: 255 } as const;

function datagram(payload: Buffer, ip: Omit<ReceivedDatagram, 'payload'> = MCAST4): ReceivedDatagram {
  return { ...ip, payload };
}

/** edit copies a message, applies f, and recomputes its checksum so only the edit is wrong. */
function edit(
  message: Buffer,
  f: (b: Buffer) => Buffer | undefined,
  ip: Omit<ReceivedDatagram, 'payload'> = MCAST4,
) {
  const copy = Buffer.from(message);
  const b = f(copy) ?? copy;
  b.writeUInt16BE(0, 6);
  const version = b[0]! >> 4;
  const pseudo = version === 3 ? pseudoHeaderSum(ip.family, ip.srcAddress, ip.dstAddress, b.length) : 0;
  b.writeUInt16BE(internetChecksum(b, pseudo), 6);
  return b;
}

describe('decodeAdvert', () => {
  it('decodes a v3 IPv4 advert', () => {
    expect(decodeAdvert(datagram(V3_IPV4))).toEqual({
      ok: true,
      value: {
        version: 3,
        vrid: 53,
        priority: 200,
        advertIntervalMs: 1000,
        addresses: ['192.0.2.53'],
        authType: 0,
      },
    });
  });

  it('decodes a v2 advert with a simple password', () => {
    const d = decodeAdvert(datagram(V2_PASS));
    expect(d.ok && d.value.authData?.toString('latin1')).toBe('kvpass\0\0');
  });

  it('copies the auth data out of the receive buffer', () => {
    const payload = Buffer.from(V2_PASS);
    const d = decodeAdvert(datagram(payload));
    payload.fill(0);
    expect(d.ok && d.value.authData?.toString('latin1')).toBe('kvpass\0\0');
  });

  it('ignores the v3 rsvd bits (RFC 5798 5.2.4)', () => {
    const d = decodeAdvert(datagram(edit(V3_IPV4, (b) => b.fill(0xf0, 4, 5))));
    expect(d.ok && d.value.advertIntervalMs).toBe(1000);
  });

  it('accepts a unicast advert at any TTL, as keepalived does (its IPv6 unicast adverts have hop limit 64)', () => {
    const ip = { family: 'inet', srcAddress: '192.0.2.1', dstAddress: '192.0.2.2', ttl: 64 } as const;
    const d = decodeAdvert(
      datagram(
        edit(V3_IPV4, () => undefined, ip),
        ip,
      ),
    );
    expect(d.ok).toBe(true);
  });

  // Each case breaks one thing (the checksum is fixed up unless the case is about it).
  const rejects: {
    name: string;
    payload: () => Buffer;
    ip?: Omit<ReceivedDatagram, 'payload'>;
    reason: RejectReason;
  }[] = [
    { name: 'empty message', payload: () => Buffer.alloc(0), reason: 'too-short' },
    { name: '7-byte message', payload: () => V3_IPV4.subarray(0, 7), reason: 'too-short' },
    { name: 'multicast TTL 254', payload: () => V3_IPV4, ip: { ...MCAST4, ttl: 254 }, reason: 'ttl' },
    { name: 'multicast hop limit 1', payload: () => V3_IPV4, ip: { ...MCAST6, ttl: 1 }, reason: 'ttl' },
    { name: 'version 1', payload: () => edit(V3_IPV4, (b) => b.fill(0x11, 0, 1)), reason: 'version' },
    { name: 'version 4', payload: () => edit(V3_IPV4, (b) => b.fill(0x41, 0, 1)), reason: 'version' },
    { name: 'VRRPv2 over IPv6', payload: () => V2_PASS, ip: MCAST6, reason: 'family' },
    { name: 'flipped priority', payload: () => Buffer.from(V3_IPV4).fill(0x01, 2, 3), reason: 'checksum' },
    {
      name: 'v2 flipped password',
      payload: () => Buffer.from(V2_PASS).fill(0x41, 16, 17),
      reason: 'checksum',
    },
    {
      name: 'v3 checksum without pseudo-header (v3_checksum_as_v2, RFC 9568): keepalived 2.2.7 refuses it too',
      payload: () => {
        const b = Buffer.from(V3_IPV4).fill(0, 6, 8);
        b.writeUInt16BE(internetChecksum(b), 6);
        return b;
      },
      reason: 'checksum',
    },
    {
      name: 'v3 checksum over another source',
      payload: () => V3_IPV4,
      ip: { ...MCAST4, srcAddress: '192.0.2.9' },
      reason: 'checksum',
    },
    { name: 'type 2', payload: () => edit(V3_IPV4, (b) => b.fill(0x32, 0, 1)), reason: 'type' },
    { name: 'type 0', payload: () => edit(V3_IPV4, (b) => b.fill(0x30, 0, 1)), reason: 'type' },
    {
      name: 'count 2 with one address',
      payload: () => edit(V3_IPV4, (b) => b.fill(2, 3, 4)),
      reason: 'address-count',
    },
    { name: 'count 255', payload: () => edit(V3_IPV4, (b) => b.fill(255, 3, 4)), reason: 'address-count' },
    {
      name: 'v2 without auth data',
      payload: () => edit(V2_PASS, (b) => b.subarray(0, 12)),
      reason: 'address-count',
    },
    {
      name: 'count 0 with one address',
      payload: () => edit(V3_IPV4, (b) => b.fill(0, 3, 4)),
      reason: 'length',
    },
    {
      name: 'trailing bytes',
      payload: () => edit(V3_IPV4, (b) => Buffer.concat([b, Buffer.alloc(4)])),
      reason: 'length',
    },
    { name: 'v2 auth type 3', payload: () => edit(V2_PASS, (b) => b.fill(3, 4, 5)), reason: 'auth-type' },
    { name: 'v3 interval 0', payload: () => edit(V3_IPV4, (b) => b.fill(0, 4, 6)), reason: 'interval' },
    {
      name: 'v3 interval 0 with rsvd bits',
      payload: () => edit(V3_IPV4, (b) => b.fill(0xf0, 4, 5).fill(0, 5, 6)),
      reason: 'interval',
    },
    {
      name: 'source not an address',
      payload: () => V3_IPV4,
      ip: { ...MCAST4, srcAddress: 'x' },
      reason: 'family',
    },
    // Order: the first failing check names the packet.
    {
      name: 'short and bad TTL',
      payload: () => V3_IPV4.subarray(0, 4),
      ip: { ...MCAST4, ttl: 1 },
      reason: 'too-short',
    },
    {
      name: 'bad TTL and version',
      payload: () => Buffer.from(V3_IPV4).fill(0x51, 0, 1),
      ip: { ...MCAST4, ttl: 1 },
      reason: 'ttl',
    },
    {
      name: 'bad version and checksum',
      payload: () => Buffer.from(V3_IPV4).fill(0x51, 0, 1),
      reason: 'version',
    },
    {
      name: 'bad checksum and type',
      payload: () => Buffer.from(V3_IPV4).fill(0x35, 0, 1),
      reason: 'checksum',
    },
    {
      name: 'bad type and count',
      payload: () => edit(V3_IPV4, (b) => b.fill(0x33, 0, 1).fill(9, 3, 4)),
      reason: 'type',
    },
    {
      name: 'bad count and auth type',
      payload: () => edit(V2_PASS, (b) => b.fill(9, 3, 5)),
      reason: 'address-count',
    },
  ];
  for (const c of rejects) {
    it(`refuses ${c.name}: ${c.reason}`, () => {
      const d = decodeAdvert(datagram(Buffer.from(c.payload()), c.ip));
      expect(d.ok).toBe(false);
      if (!d.ok) {
        expect(d.reason).toBe(c.reason);
        expect(d.detail).not.toBe('');
      }
    });
  }
});

describe('encodeAdvert', () => {
  const v3: VrrpAdvert = {
    version: 3,
    vrid: 53,
    priority: 200,
    advertIntervalMs: 1000,
    addresses: ['192.0.2.53'],
    authType: 0,
  };

  it('builds the keepalived v3 IPv4 message', () => {
    expect(encodeAdvert(v3, MCAST4).toString('hex')).toBe(V3_IPV4.toString('hex'));
  });

  it('writes the legacy unicast checksum (multicast group in the pseudo-header) when asked, and decode spots it', () => {
    const ip = { family: 'inet', srcAddress: '192.0.2.1', dstAddress: '192.0.2.2', ttl: 255 } as const;
    const legacy = encodeAdvert({ ...v3, legacyUnicastChecksum: true }, ip);
    // Same message as the multicast one: only the pseudo-header destination decides the checksum.
    expect(legacy.toString('hex')).toBe(V3_IPV4.toString('hex'));
    const d = decodeAdvert(datagram(legacy, ip));
    expect(d.ok && d.value.legacyUnicastChecksum).toBe(true);
    const modern = decodeAdvert(datagram(encodeAdvert(v3, ip), ip));
    expect(modern.ok && modern.value.legacyUnicastChecksum).toBe(undefined);
  });

  it('honours a configured vrrp_mcast_group4 for the legacy checksum', () => {
    const ip = { family: 'inet', srcAddress: '192.0.2.1', dstAddress: '192.0.2.2', ttl: 255 } as const;
    const legacy = encodeAdvert({ ...v3, legacyUnicastChecksum: true }, { ...ip, mcastGroup4: '224.0.0.99' });
    expect(decodeAdvert(datagram(legacy, ip)).ok).toBe(false);
    const d = decodeAdvert(datagram(legacy, ip), { mcastGroup4: '224.0.0.99' });
    expect(d.ok && d.value.legacyUnicastChecksum).toBe(true);
  });

  it('zero-fills the v2 auth data without PASS and pads a short password', () => {
    const none = encodeAdvert({ ...v3, version: 2, authType: 0, authData: Buffer.from('ignored!') }, MCAST4);
    expect(none.subarray(12).toString('hex')).toBe('0000000000000000');
    const pass = encodeAdvert({ ...v3, version: 2, authType: 1, authData: Buffer.from('ab') }, MCAST4);
    expect(pass.subarray(12).toString('hex')).toBe('6162000000000000');
  });

  it('encodes 0.01 s and 40.95 s, the v3 interval bounds', () => {
    expect(encodeAdvert({ ...v3, advertIntervalMs: 10 }, MCAST4).readUInt16BE(4)).toBe(1);
    expect(encodeAdvert({ ...v3, advertIntervalMs: 40950 }, MCAST4).readUInt16BE(4)).toBe(4095);
  });

  const bad: { name: string; advert: VrrpAdvert; family?: 'inet' | 'inet6' }[] = [
    { name: 'VRID 0', advert: { ...v3, vrid: 0 } },
    { name: 'VRID 256', advert: { ...v3, vrid: 256 } },
    { name: 'priority 256', advert: { ...v3, priority: 256 } },
    { name: 'priority 1.5', advert: { ...v3, priority: 1.5 } },
    { name: 'v3 interval 5 ms', advert: { ...v3, advertIntervalMs: 5 } },
    { name: 'v3 interval 0', advert: { ...v3, advertIntervalMs: 0 } },
    { name: 'v3 interval 40960 ms', advert: { ...v3, advertIntervalMs: 40960 } },
    { name: 'v2 interval 1.5 s', advert: { ...v3, version: 2, advertIntervalMs: 1500 } },
    { name: 'v2 interval 256 s', advert: { ...v3, version: 2, advertIntervalMs: 256000 } },
    { name: 'v2 PASS without data', advert: { ...v3, version: 2, authType: 1 } },
    { name: 'v2 AH', advert: { ...v3, version: 2, authType: 2 } },
    { name: 'v3 with auth', advert: { ...v3, authType: 1, authData: Buffer.alloc(8) } },
    { name: 'v2 over IPv6', advert: { ...v3, version: 2, addresses: ['2001:db8::1'] }, family: 'inet6' },
    { name: 'IPv6 address in IPv4 advert', advert: { ...v3, addresses: ['2001:db8::1'] } },
    { name: '256 addresses', advert: { ...v3, addresses: new Array(256).fill('192.0.2.1') } },
  ];
  for (const c of bad) {
    it(`throws E_VRRP_ENCODE on ${c.name}`, () => {
      const ip = c.family === 'inet6' ? MCAST6 : MCAST4;
      expect(() => encodeAdvert(c.advert, ip)).toThrow(expect.objectContaining({ code: 'E_VRRP_ENCODE' }));
    });
  }
});
