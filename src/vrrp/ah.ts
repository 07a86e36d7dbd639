/**
 * RFC 2338 section 5.3.6.3 / RFC 2402 IP Authentication Header for VRRPv2, as keepalived 2.2.7
 * builds and checks it (vrrp.c vrrp_build_ipsecah, vrrp_in_chk_ipsecah): IP protocol 51, an
 * AH header with Next Header 112, Payload Len 4, SPI = the sender's IPv4 address and a sequence
 * number, and a 96-bit ICV: HMAC-MD5 (RFC 2104) keyed with the 8-byte auth_pass over the whole
 * datagram with the mutable IP fields (TOS, flags/fragment offset, header checksum; the TTL only
 * for unicast) and the ICV itself zeroed. The VRRP header carries Auth Type 2 and zero auth data.
 * Pure: bytes in, bytes or a typed rejection out; vectors are captured from keepalived. The
 * runner sends and receives through it on the interface's protocol-51 socket (kernel/ah-socket.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { internetChecksum } from './checksum.js';
import { IPV4_HEADER_LENGTH } from './ipv4.js';
import { IPPROTO_VRRP } from './packet.js';

/** IPPROTO_AH is the IP protocol number of the Authentication Header (RFC 2402). */
export const IPPROTO_AH = 51;
/** AH_LENGTH is the AH header with a 96-bit ICV: 12 fixed bytes + 12 ICV bytes. */
export const AH_LENGTH = 24;
/** AH_PAYLOAD_LEN is the Payload Len field: AH length in 32-bit words minus 2 (RFC 2402 2.2). */
export const AH_PAYLOAD_LEN = AH_LENGTH / 4 - 2;
/** AH_ICV_LENGTH is HMAC-MD5-96's truncated digest (RFC 2403). */
export const AH_ICV_LENGTH = 12;
const ICV_OFFSET = IPV4_HEADER_LENGTH + 12;

/** ahKey is the HMAC key keepalived uses: the password in its 8-byte auth_data (zero padded, truncated). */
export function ahKey(password: string): Buffer {
  const key = Buffer.alloc(8);
  Buffer.from(password).copy(key, 0, 0, 8);
  return key;
}

/** ahIcv computes the 96-bit ICV of an AH datagram (any ICV in it is ignored). */
export function ahIcv(datagram: Uint8Array, key: Buffer, unicast: boolean): Buffer {
  const d = Buffer.from(datagram);
  d[1] = 0; // TOS
  d.writeUInt16BE(0, 6); // flags / fragment offset
  if (unicast) d[8] = 0; // TTL: keepalived zeroes it only with unicast peers
  d.writeUInt16BE(0, 10); // header checksum
  d.fill(0, ICV_OFFSET, ICV_OFFSET + AH_ICV_LENGTH);
  return createHmac('md5', key).update(d).digest().subarray(0, AH_ICV_LENGTH);
}

/** AhDatagramFields are what encodeAhDatagram needs besides the VRRP message. */
export interface AhDatagramFields {
  srcAddress: string;
  dstAddress: string;
  /** id is the IPv4 identification (keepalived counts it up per advert, skipping 0). */
  id: number;
  /** seq is the AH sequence number. */
  seq: number;
  key: Buffer;
  unicast: boolean;
  /** vrrp is the VRRPv2 message with Auth Type 2 and zero auth data (checksum computed). */
  vrrp: Buffer;
}

function ipv4Bytes(address: string): Buffer {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new RangeError(`not an IPv4 address: ${address}`);
  return Buffer.from(parts);
}

/** encodeAhDatagram builds IPv4 header + AH + VRRP exactly as keepalived 2.2.7 puts it on the wire. */
export function encodeAhDatagram(f: AhDatagramFields): Buffer {
  const out = Buffer.alloc(IPV4_HEADER_LENGTH + AH_LENGTH + f.vrrp.length);
  out[0] = 0x45;
  out[1] = 0xc0; // internetwork control, as keepalived
  out.writeUInt16BE(out.length, 2);
  out.writeUInt16BE(f.id & 0xffff, 4);
  out[8] = 255; // RFC 3768 5.2.3 / 7.1: TTL 255
  out[9] = IPPROTO_AH;
  ipv4Bytes(f.srcAddress).copy(out, 12);
  ipv4Bytes(f.dstAddress).copy(out, 16);
  const ah = IPV4_HEADER_LENGTH;
  out[ah] = IPPROTO_VRRP; // Next Header
  out[ah + 1] = AH_PAYLOAD_LEN;
  ipv4Bytes(f.srcAddress).copy(out, ah + 4); // SPI: the sender's address (keepalived's choice)
  out.writeUInt32BE(f.seq >>> 0, ah + 8);
  f.vrrp.copy(out, ah + AH_LENGTH);
  ahIcv(out, f.key, f.unicast).copy(out, ICV_OFFSET);
  out.writeUInt16BE(internetChecksum(out.subarray(0, IPV4_HEADER_LENGTH)), 10);
  return out;
}

/** AhRejection names why an AH datagram is refused (keepalived vrrp_in_chk_ipsecah logs each). */
export type AhRejection = 'ah-header' | 'ah-spi' | 'ah-icv';

/** AhDecoded is the VRRP message inside a verified AH datagram, with its sequence number. */
export type AhDecoded =
  | { ok: true; vrrp: Buffer; seq: number; spi: number }
  | { ok: false; reason: AhRejection; detail: string };

/**
 * decodeAhDatagram checks an IPv4 datagram with protocol 51 (header already validated by the
 * caller's IPv4 decoder): Next Header 112, Payload Len 4, SPI equal to the source address, ICV
 * (constant-time compare). The anti-replay sequence check is the caller's (it is per sender).
 */
export function decodeAhDatagram(datagram: Uint8Array, key: Buffer, unicast: boolean): AhDecoded {
  const d = Buffer.from(datagram);
  if (d.length < IPV4_HEADER_LENGTH + AH_LENGTH || d[9] !== IPPROTO_AH)
    return {
      ok: false,
      reason: 'ah-header',
      detail: `not an AH datagram (${d.length} bytes, protocol ${d[9]})`,
    };
  const ah = IPV4_HEADER_LENGTH;
  if (d[ah] !== IPPROTO_VRRP || d[ah + 1] !== AH_PAYLOAD_LEN)
    return { ok: false, reason: 'ah-header', detail: `next header ${d[ah]}, payload len ${d[ah + 1]}` };
  const spi = d.readUInt32BE(ah + 4);
  if (spi !== d.readUInt32BE(12))
    return { ok: false, reason: 'ah-spi', detail: `SPI 0x${spi.toString(16)} is not the source address` };
  const want = ahIcv(d, key, unicast);
  if (!timingSafeEqual(want, d.subarray(ICV_OFFSET, ICV_OFFSET + AH_ICV_LENGTH)))
    return { ok: false, reason: 'ah-icv', detail: 'HMAC-MD5-96 ICV does not verify' };
  return { ok: true, vrrp: d.subarray(ah + AH_LENGTH), seq: d.readUInt32BE(ah + 8), spi };
}
