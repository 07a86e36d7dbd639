/** decodeIpv4Datagram / encodeIpv4Datagram: the IPv4 header of the IP_HDRINCL socket. */
import { describe, expect, it } from 'vitest';
import { onesComplementSum } from '../../../src/vrrp/checksum.js';
import { decodeIpv4Datagram, encodeIpv4Datagram } from '../../../src/vrrp/ipv4.js';
import { IPPROTO_VRRP, type RejectReason } from '../../../src/vrrp/packet.js';
import { hex } from './codec-fixtures.js';

// keepalived's first v3-ipv4 advert (test/fixtures/vrrp/v3-ipv4.hex).
const KEEPALIVED = hex(`
  45        # IPv4, IHL 5
  c0        # TOS 0xc0 (DSCP CS6)
  00 20     # total length 32
  00 01     # id 1
  00 00     # no flags, offset 0
  ff        # TTL 255
  70        # protocol 112 (VRRP)
  18 99     # header checksum
  c0 00 02 01   # 192.0.2.1
  e0 00 00 12   # 224.0.0.18
  31 35 c8 01 00 64 a1 9e c0 00 02 35   # VRRPv3 message
`);

/** withHeader copies the datagram, applies f and fixes the header checksum. */
function withHeader(f: (b: Buffer) => void, base = KEEPALIVED): Buffer {
  const b = Buffer.from(base);
  f(b);
  const ihl = (b[0]! & 0x0f) * 4;
  if (ihl >= 20 && ihl <= b.length) {
    b.writeUInt16BE(0, 10);
    b.writeUInt16BE(~onesComplementSum(b, 0, 0, ihl) & 0xffff, 10);
  }
  return b;
}

describe('decodeIpv4Datagram', () => {
  it('hands over source, destination, TTL and the VRRP message', () => {
    const d = decodeIpv4Datagram(KEEPALIVED);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.value).toMatchObject({
      family: 'inet',
      srcAddress: '192.0.2.1',
      dstAddress: '224.0.0.18',
      ttl: 255,
    });
    expect(d.value.payload.toString('hex')).toBe('3135c8010064a19ec0000235');
  });

  it('skips IP options', () => {
    const options = Buffer.concat([KEEPALIVED.subarray(0, 20), hex('94 04 00 00'), KEEPALIVED.subarray(20)]);
    const b = withHeader((x) => {
      x[0] = 0x46;
      x.writeUInt16BE(x.length, 2);
    }, options);
    const d = decodeIpv4Datagram(b);
    expect(d.ok && d.value.payload.toString('hex')).toBe('3135c8010064a19ec0000235');
  });

  const rejects: [string, () => Uint8Array, RejectReason][] = [
    ['empty', () => Buffer.alloc(0), 'ip-too-short'],
    ['19 bytes', () => KEEPALIVED.subarray(0, 19), 'ip-too-short'],
    ['IPv6 version', () => withHeader((b) => void b.fill(0x65, 0, 1)), 'ip-header'],
    ['IHL 4', () => withHeader((b) => void b.fill(0x44, 0, 1)), 'ip-header'],
    ['IHL 15 past the end', () => withHeader((b) => void b.fill(0x4f, 0, 1)), 'ip-header'],
    ['total length longer than received', () => withHeader((b) => void b.writeUInt16BE(33, 2)), 'ip-header'],
    ['total length shorter than received', () => withHeader((b) => void b.writeUInt16BE(28, 2)), 'ip-header'],
    ['more fragments', () => withHeader((b) => void b.writeUInt16BE(0x2000, 6)), 'ip-header'],
    ['fragment offset', () => withHeader((b) => void b.writeUInt16BE(0x0001, 6)), 'ip-header'],
    ['bad header checksum', () => Buffer.from(KEEPALIVED).fill(0, 10, 12), 'ip-header'],
    ['protocol AH', () => withHeader((b) => void b.fill(51, 9, 10)), 'ip-protocol'],
    ['protocol UDP', () => withHeader((b) => void b.fill(17, 9, 10)), 'ip-protocol'],
  ];
  for (const [name, bytes, reason] of rejects) {
    it(`refuses ${name}: ${reason}`, () => {
      const d = decodeIpv4Datagram(bytes());
      expect(d.ok ? 'ok' : d.reason).toBe(reason);
    });
  }

  it('accepts DF (other senders set it)', () => {
    expect(decodeIpv4Datagram(withHeader((b) => void b.writeUInt16BE(0x4000, 6))).ok).toBe(true);
  });
});

describe('encodeIpv4Datagram', () => {
  const fields = {
    srcAddress: '192.0.2.1',
    dstAddress: '224.0.0.18',
    ttl: 255,
    protocol: IPPROTO_VRRP,
    id: 1,
    payload: KEEPALIVED.subarray(20),
  };

  it('builds keepalived’s header byte for byte', () => {
    expect(encodeIpv4Datagram(fields).toString('hex')).toBe(KEEPALIVED.toString('hex'));
  });

  it('leaves id 0 by default, for the kernel to fill in', () => {
    const b = encodeIpv4Datagram({ ...fields, id: undefined });
    expect(b.readUInt16BE(4)).toBe(0);
    expect(decodeIpv4Datagram(b).ok).toBe(true);
  });

  it.each([
    ['IPv6 source', { srcAddress: '2001:db8::1' }],
    ['TTL 256', { ttl: 256 }],
    ['id 65536', { id: 65536 }],
    ['protocol -1', { protocol: -1 }],
    ['oversized payload', { payload: Buffer.alloc(65516) }],
  ])('throws E_VRRP_ENCODE on %s', (_name, override) => {
    expect(() => encodeIpv4Datagram({ ...fields, ...override })).toThrow(
      expect.objectContaining({ code: 'E_VRRP_ENCODE' }),
    );
  });
});
