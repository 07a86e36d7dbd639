/**
 * Shared pieces of the IPVS attribute codec: the decode result, families, addresses, protocol
 * and forwarding numbers, IPv4 netmasks. Pure.
 */
import { formatAddress, parseIpv4, parseIpv6 } from '../../vrrp/address.js';
import * as K from './constants.js';
import type { IpvsForward, IpvsProtocol } from './types.js';

/** Decoded is a decoder's answer: the value, or why the bytes could not be read. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

/** PROTOCOLS maps protocol names to IPVS_SVC_ATTR_PROTOCOL values. */
export const PROTOCOLS: Record<IpvsProtocol, number> = {
  tcp: K.IPPROTO_TCP,
  udp: K.IPPROTO_UDP,
  sctp: K.IPPROTO_SCTP,
};
/** FORWARDS maps forwarding methods to IPVS_DEST_ATTR_FWD_METHOD values. */
export const FORWARDS: Record<IpvsForward, number> = {
  nat: K.IP_VS_CONN_F_MASQ,
  dr: K.IP_VS_CONN_F_DROUTE,
  tun: K.IP_VS_CONN_F_TUNNEL,
};
/** TUN_TYPES are IP_VS_CONN_F_TUNNEL_TYPE_* by value (ipip 0, gue 1, gre 2). */
export const TUN_TYPES = ['ipip', 'gue', 'gre'] as const;

/** familyOf maps AF_INET / AF_INET6 to 'inet' / 'inet6'. */
export function familyOf(af: number | undefined): 'inet' | 'inet6' | undefined {
  return af === K.AF_INET ? 'inet' : af === K.AF_INET6 ? 'inet6' : undefined;
}
/** afOf maps 'inet' / 'inet6' to AF_INET / AF_INET6. */
export function afOf(family: 'inet' | 'inet6'): number {
  return family === 'inet' ? K.AF_INET : K.AF_INET6;
}

/** addressBytes16 encodes an address as union nf_inet_addr (16 bytes, IPv4 in the first 4). */
export function addressBytes16(family: 'inet' | 'inet6', address: string): Buffer {
  const raw = family === 'inet' ? parseIpv4(address) : parseIpv6(address);
  if (!raw) throw new RangeError(`not an ${family === 'inet' ? 'IPv4' : 'IPv6'} address: ${address}`);
  const out = Buffer.alloc(16);
  raw.copy(out);
  return out;
}
/** readAddress formats 4 or 16 address bytes, or undefined when too short. */
export function readAddress(family: 'inet' | 'inet6', d: Buffer): string | undefined {
  const n = family === 'inet' ? 4 : 16;
  return d.length >= n ? formatAddress(family, d) : undefined;
}

/** prefixToMask turns an IPv4 prefix length into its 32-bit mask (24 -> 0xffffff00). */
export function prefixToMask(prefix: number): number {
  const p = Math.max(0, Math.min(32, prefix));
  return p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
}
/** maskToPrefix counts a mask's leading ones (0xffffff00 -> 24). */
export function maskToPrefix(mask: number): number {
  let n = 0;
  for (let bit = 31; bit >= 0 && (mask >>> bit) & 1; bit--) n++;
  return n;
}

/** defaultNetmask is what ipvsadm sends without -M: 255.255.255.255 for IPv4, 128 for IPv6. */
export function defaultNetmask(family: 'inet' | 'inet6'): number {
  return family === 'inet' ? 32 : 128;
}
