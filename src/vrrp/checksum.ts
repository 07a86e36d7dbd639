/**
 * The Internet checksum (RFC 1071) and the pseudo-header sums VRRPv3 adds to it: RFC 5798 5.2.8
 * says the checksum covers "the entire VRRP message starting with the version field and a
 * pseudo-header as defined in Section 8.1 of [RFC2460]". keepalived 2.2.7 applies that to IPv4 too
 * (src, dst, zero, protocol 112, VRRP length — the IPv4 TCP/UDP pseudo-header), with the real
 * destination, unicast or multicast; the captures in test/fixtures/vrrp show it.
 */
import type { AddressFamily } from '../config/model.js';
import { addressBytes } from './address.js';
import { IPPROTO_VRRP } from './packet.js';

/**
 * onesComplementSum adds the 16-bit big-endian words of buf[start, end) to acc (RFC 1071 4.1);
 * an odd last byte is padded with zero. The result is a partial sum, folded to 16 bits.
 */
export function onesComplementSum(buf: Uint8Array, acc = 0, start = 0, end = buf.length): number {
  let sum = acc;
  let i = start;
  for (; i + 1 < end; i += 2) sum += ((buf[i] ?? 0) << 8) | (buf[i + 1] ?? 0);
  if (i < end) sum += (buf[i] ?? 0) << 8;
  // Fold the carries back in (end-around carry); two rounds are enough for < 2^31 bytes.
  sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  sum = (sum & 0xffff) + (sum >>> 16);
  return sum & 0xffff;
}

/**
 * internetChecksum is the one's complement of the one's complement sum of buf[start, end), plus a
 * partial sum acc.
 */
export function internetChecksum(buf: Uint8Array, acc = 0, start = 0, end = buf.length): number {
  return ~onesComplementSum(buf, acc, start, end) & 0xffff;
}

/**
 * pseudoHeaderSum is the partial sum of the upper-layer pseudo-header: for IPv6 the one of RFC 8200
 * 8.1 (src, dst, 32-bit length, 24 zero bits, next header), for IPv4 the one of RFC 793 / 768
 * (src, dst, zero, protocol, 16-bit length). It returns undefined if an address is not of the family.
 */
export function pseudoHeaderSum(
  family: AddressFamily,
  srcAddress: string,
  dstAddress: string,
  upperLayerLength: number,
  protocol = IPPROTO_VRRP,
): number | undefined {
  const src = addressBytes(family, srcAddress);
  const dst = addressBytes(family, dstAddress);
  if (!src || !dst) return undefined;
  let sum = onesComplementSum(src);
  sum = onesComplementSum(dst, sum);
  if (family === 'inet') {
    sum += protocol + (upperLayerLength & 0xffff);
  } else {
    sum += Math.floor(upperLayerLength / 0x10000) + (upperLayerLength & 0xffff) + protocol;
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum & 0xffff) + (sum >>> 16);
}
