/** The Internet checksum (RFC 1071) and the IPv4 / IPv6 pseudo-header sums, on published vectors. */
import { describe, expect, it } from 'vitest';
import { internetChecksum, onesComplementSum, pseudoHeaderSum } from '../../../src/vrrp/checksum.js';
import { hex } from './codec-fixtures.js';

describe('onesComplementSum / internetChecksum', () => {
  it('RFC 1071 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2', () => {
    const bytes = hex('00 01 f2 03 f4 f5 f6 f7');
    expect(onesComplementSum(bytes)).toBe(0xddf2);
    expect(internetChecksum(bytes)).toBe(0x220d);
  });

  it('pads an odd last byte with zero', () => {
    expect(onesComplementSum(hex('00 01 f2'))).toBe(0xf201);
  });

  it('verifies an IPv4 header whose checksum field is set (sum is ffff)', () => {
    // The classic example header: 192.168.0.1 > 192.168.0.199, UDP, checksum b861.
    const header = hex('45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7');
    expect(onesComplementSum(header)).toBe(0xffff);
    header.writeUInt16BE(0, 10);
    expect(internetChecksum(header)).toBe(0xb861);
  });

  it('folds carries of long all-ones input', () => {
    expect(onesComplementSum(Buffer.alloc(70000, 0xff))).toBe(0xffff);
  });

  it('sums a sub-range', () => {
    expect(onesComplementSum(hex('ff ff 00 01 f2 03 ff'), 0, 2, 6)).toBe(0xf204);
  });
});

describe('pseudoHeaderSum', () => {
  it('IPv4: src, dst, zero, protocol 112, 16-bit length', () => {
    // 192.0.2.1 > 224.0.0.18, length 12: c000 + 0201 + e000 + 0012 + 0070 + 000c
    const expected = (0xc000 + 0x0201 + 0xe000 + 0x0012 + 0x0070 + 0x000c) % 0xffff;
    expect(pseudoHeaderSum('inet', '192.0.2.1', '224.0.0.18', 12)).toBe(expected);
  });

  it('IPv6: src, dst, 32-bit length, next header 112 (RFC 8200 8.1)', () => {
    // fe80::1 > ff02::12, length 24: fe80 + 0001 + ff02 + 0012 + 0018 + 0070
    const expected = (0xfe80 + 0x0001 + 0xff02 + 0x0012 + 0x0018 + 0x0070) % 0xffff;
    expect(pseudoHeaderSum('inet6', 'fe80::1', 'ff02::12', 24)).toBe(expected);
  });

  it('refuses addresses of the other family', () => {
    expect(pseudoHeaderSum('inet', 'fe80::1', '224.0.0.18', 12)).toBeUndefined();
    expect(pseudoHeaderSum('inet6', '192.0.2.1', 'ff02::12', 12)).toBeUndefined();
  });
});
