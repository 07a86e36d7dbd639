/**
 * IPv4 header parse and build (RFC 791) for the VRRP raw socket. keepalived 2.2.7 opens its IPv4
 * send socket with IP_HDRINCL and builds the header itself (vrrp_build_ip4): TOS 0xc0, no
 * fragment flags, TTL 255, protocol 112, an id counting up from 1; keepvip does the same, so the
 * runner sends whole datagrams and receives whole datagrams, header included.
 */
import { KeepvipError } from '../util/errors.js';
import { addressBytes, formatIpv4 } from './address.js';
import { internetChecksum, onesComplementSum } from './checksum.js';
import { type Decoded, IPPROTO_VRRP, type ReceivedDatagram, reject, VRRP_TOS } from './packet.js';

/** IPV4_HEADER_LENGTH is the length of an IPv4 header without options. */
export const IPV4_HEADER_LENGTH = 20;

/** Ipv4DatagramFields are the fields encodeIpv4Datagram writes. */
export interface Ipv4DatagramFields {
  srcAddress: string;
  dstAddress: string;
  ttl: number;
  protocol: number;
  payload: Uint8Array;
  /** id is the Identification field; 0 (the default) lets the kernel choose one under IP_HDRINCL. */
  id?: number;
  /** tos defaults to 0xc0, what keepalived sends. */
  tos?: number;
}

/**
 * decodeIpv4Datagram parses a whole IPv4 datagram as a raw socket returns it and hands over the
 * VRRP message. The kernel has already reassembled and verified the header; the checks are
 * repeated because a length from the wire is never trusted.
 */
export function decodeIpv4Datagram(buf: Uint8Array): Decoded<ReceivedDatagram> {
  if (buf.length < IPV4_HEADER_LENGTH) {
    return reject(
      'ip-too-short',
      `datagram of ${buf.length} bytes, an IPv4 header needs ${IPV4_HEADER_LENGTH}`,
    );
  }
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = b[0]! >> 4;
  const headerLength = (b[0]! & 0x0f) * 4;
  if (version !== 4) return reject('ip-header', `IP version ${version}, expected 4`);
  if (headerLength < IPV4_HEADER_LENGTH || headerLength > b.length) {
    return reject('ip-header', `IPv4 header length ${headerLength} in a ${b.length}-byte datagram`);
  }
  // keepalived: "ip_tot_len mismatch against received length" (vrrp_check_packet).
  const totalLength = b.readUInt16BE(2);
  if (totalLength !== b.length) {
    return reject('ip-header', `IPv4 total length ${totalLength}, received ${b.length} bytes`);
  }
  const fragment = b.readUInt16BE(6);
  if ((fragment & 0x3fff) !== 0) {
    return reject('ip-header', `IPv4 fragment (flags/offset 0x${fragment.toString(16)})`);
  }
  if (onesComplementSum(b, 0, 0, headerLength) !== 0xffff) {
    return reject('ip-header', 'IPv4 header checksum does not verify');
  }
  const protocol = b[9]!;
  if (protocol !== IPPROTO_VRRP)
    return reject('ip-protocol', `IP protocol ${protocol}, expected ${IPPROTO_VRRP}`);
  return {
    ok: true,
    value: {
      family: 'inet',
      srcAddress: formatIpv4(b, 12),
      dstAddress: formatIpv4(b, 16),
      ttl: b[8]!,
      payload: b.subarray(headerLength, totalLength),
    },
  };
}

/**
 * encodeIpv4Datagram builds an IPv4 header without options in front of payload, with its header
 * checksum filled in (the kernel rewrites it under IP_HDRINCL anyway). It throws on values that
 * do not fit: those come from our own configuration, not from the network.
 */
export function encodeIpv4Datagram(p: Ipv4DatagramFields): Buffer {
  const src = addressBytes('inet', p.srcAddress);
  const dst = addressBytes('inet', p.dstAddress);
  if (!src || !dst)
    throw new KeepvipError('E_VRRP_ENCODE', `not IPv4 addresses: ${p.srcAddress} > ${p.dstAddress}`);
  const totalLength = IPV4_HEADER_LENGTH + p.payload.length;
  const id = p.id ?? 0;
  const tos = p.tos ?? VRRP_TOS;
  if (totalLength > 0xffff) throw new KeepvipError('E_VRRP_ENCODE', `IPv4 datagram of ${totalLength} bytes`);
  for (const [name, value, max] of [
    ['ttl', p.ttl, 0xff],
    ['protocol', p.protocol, 0xff],
    ['id', id, 0xffff],
    ['tos', tos, 0xff],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new KeepvipError('E_VRRP_ENCODE', `IPv4 ${name} ${value} outside 0..${max}`);
    }
  }
  const out = Buffer.alloc(totalLength);
  out[0] = 0x45; // version 4, IHL 5
  out[1] = tos;
  out.writeUInt16BE(totalLength, 2);
  out.writeUInt16BE(id, 4);
  out.writeUInt16BE(0, 6); // no flags: keepalived leaves DF clear
  out[8] = p.ttl;
  out[9] = p.protocol;
  src.copy(out, 12);
  dst.copy(out, 16);
  out.writeUInt16BE(internetChecksum(out.subarray(0, IPV4_HEADER_LENGTH)), 10);
  out.set(p.payload, IPV4_HEADER_LENGTH);
  return out;
}
