/** RFC 2338 AH for VRRPv2 (src/vrrp/ah.ts) against adverts captured from keepalived 2.2.7. */
import { describe, expect, it } from 'vitest';
import { ahIcv, ahKey, decodeAhDatagram, encodeAhDatagram } from '../../../src/vrrp/ah.js';
import { decodeIpv4Datagram } from '../../../src/vrrp/ipv4.js';
import { loadCapture } from './codec-fixtures.js';

const captures = loadCapture('v2-ah-ipv4');
const key = ahKey('secret12');

/** setByte returns b with byte i set to v (a mutation for the refusal cases). */
function setByte(b: Buffer, i: number, v: number): Buffer {
  b[i] = v;
  return b;
}

describe('AH (keepalived 2.2.7 captures)', () => {
  it('has the three captured adverts', () => {
    expect(captures.map((c) => c.label)).toEqual(['seq-1', 'seq-2', 'seq-3']);
  });

  it.each(captures.map((c) => [c.label, c.bytes] as const))(
    '%s: the ICV is HMAC-MD5-96 over the datagram with mutable fields zeroed',
    (_label, bytes) => {
      expect(ahIcv(bytes, key, false).toString('hex')).toBe(bytes.subarray(32, 44).toString('hex'));
      const d = decodeAhDatagram(bytes, key, false);
      expect(d).toMatchObject({ ok: true, spi: 0xc0000201 });
      if (d.ok) expect(d.vrrp.toString('hex')).toBe(bytes.subarray(44).toString('hex'));
    },
  );

  it.each(captures.map((c, i) => [c.label, c.bytes, i + 1] as const))(
    '%s: encodeAhDatagram rebuilds the captured bytes',
    (_label, bytes, seq) => {
      const out = encodeAhDatagram({
        srcAddress: '192.0.2.1',
        dstAddress: '224.0.0.18',
        id: seq,
        seq,
        key,
        unicast: false,
        vrrp: bytes.subarray(44),
      });
      expect(out.toString('hex')).toBe(bytes.toString('hex'));
      expect(decodeIpv4Datagram(out).ok).toBe(false); // protocol 51 is not VRRP: the AH path must unwrap it first
    },
  );

  it.each([
    ['wrong password', (b: Buffer) => b, ahKey('secret13'), 'ah-icv'],
    ['flipped priority', (b: Buffer) => setByte(b, 46, 100), key, 'ah-icv'],
    ['SPI not the source', (b: Buffer) => setByte(b, 27, 9), key, 'ah-spi'],
    ['next header not VRRP', (b: Buffer) => setByte(b, 20, 6), key, 'ah-header'],
    ['truncated', (b: Buffer) => b.subarray(0, 40), key, 'ah-header'],
  ])('%s is refused', (_name, mutate, k, reason) => {
    const bytes = mutate(Buffer.from(captures[0]!.bytes));
    expect(decodeAhDatagram(bytes, k, false)).toMatchObject({ ok: false, reason });
  });

  it('the mutable fields do not change the ICV (TOS, fragment, checksum), the TTL only for unicast', () => {
    const b = Buffer.from(captures[0]!.bytes);
    b[1] = 0;
    b.writeUInt16BE(0x4000, 6);
    b.writeUInt16BE(0x1234, 10);
    expect(decodeAhDatagram(b, key, false).ok).toBe(true);
    b[8] = 64;
    expect(decodeAhDatagram(b, key, false).ok).toBe(false);
    expect(ahIcv(b, key, true).equals(ahIcv(captures[0]!.bytes, key, true))).toBe(true);
  });

  it('ahKey is the 8-byte auth_data: zero padded, truncated', () => {
    expect(ahKey('abc').toString('hex')).toBe('6162630000000000');
    expect(ahKey('123456789').toString()).toBe('12345678');
  });
});
