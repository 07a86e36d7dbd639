/**
 * Host-side types of the VRRP packet codec: what a socket hands over (ReceivedDatagram), what
 * the codec decodes it into (VrrpAdvert), and the stable reasons a packet is refused. Nothing
 * here touches a socket or the clock; see codec.ts for the wire format.
 */
import type { AddressFamily } from '../config/model.js';

/** VrrpVersion is the protocol version: 2 (RFC 3768, IPv4 only) or 3 (RFC 5798). */
export type VrrpVersion = 2 | 3;

/** IPPROTO_VRRP is the IP protocol number of VRRP (RFC 3768 5.2.4, RFC 5798 5.1.1.4). */
export const IPPROTO_VRRP = 112;

/** IPPROTO_AH is the IP protocol number of IPsec AH, used by keepalived's v2 `auth_type AH`. */
export const IPPROTO_AH = 51;

/** VRRP_TTL is the TTL / hop limit every multicast advert is sent and must be received with (RFC 5798 5.1.1.3). */
export const VRRP_TTL = 255;

/** VRRP_TYPE_ADVERTISEMENT is the only VRRP message type (RFC 3768 5.3.2, RFC 5798 5.2.2). */
export const VRRP_TYPE_ADVERTISEMENT = 1;

/** VRRP_HEADER_LENGTH is the fixed part of a VRRP message before the address list. */
export const VRRP_HEADER_LENGTH = 8;

/** VRRP_AUTH_DATA_LENGTH is the size of the v2 Authentication Data field (RFC 3768 5.3.10). */
export const VRRP_AUTH_DATA_LENGTH = 8;

/** VRRP_MCAST_GROUP4 is the IPv4 multicast group of VRRP (RFC 5798 5.1.1.2; keepalived vrrp_mcast_group4). */
export const VRRP_MCAST_GROUP4 = '224.0.0.18';

/** VRRP_MCAST_GROUP6 is the IPv6 multicast group of VRRP (RFC 5798 5.1.2.2; keepalived vrrp_mcast_group6). */
export const VRRP_MCAST_GROUP6 = 'ff02::12';

/** VRRP_TOS is the IPv4 TOS / IPv6 traffic class keepalived 2.2.7 sends with (0xc0, DSCP CS6, "network control"). */
export const VRRP_TOS = 0xc0;

/** VrrpAuthType is the v2 Auth Type field: 0 none, 1 simple text password, 2 IP Authentication Header (RFC 2338 5.3.6). */
export type VrrpAuthType = 0 | 1 | 2;

/** VrrpAuthTypes names the v2 Auth Type values as keepalived's VRRP_AUTH_* constants do. */
export const VrrpAuthTypes = { NONE: 0, PASS: 1, AH: 2 } as const;

/** VrrpAdvert is a decoded advertisement in host units. */
export interface VrrpAdvert {
  version: VrrpVersion;
  /** vrid is the Virtual Rtr ID, 1..255 on the wire (0 is decoded as-is and refused by the instance checks). */
  vrid: number;
  /** priority is 0..255; 0 means the master is leaving (RFC 3768 6.4.3), 255 the address owner. */
  priority: number;
  /** advertIntervalMs is v2 Adver Int (seconds) * 1000 or v3 Max Adver Int (centiseconds) * 10. */
  advertIntervalMs: number;
  /** addresses are the IPvX Address(es) in wire order, as canonical strings (IPv6 compressed lowercase). */
  addresses: string[];
  /** authType is the v2 Auth Type; always 0 for v3, which has no authentication (RFC 5798 9). */
  authType: VrrpAuthType;
  /** authData is the v2 Authentication Data (8 bytes, a copy) when authType is PASS. */
  authData?: Buffer;
  /**
   * legacyUnicastChecksum is set when a v3 IPv4 advert only verified with the multicast group in
   * the pseudo-header instead of its real destination: keepalived before 1.3.6 (and 2.2.7 with
   * `old_unicast_checksum`) sends unicast adverts like that, and 2.2.7 then switches to sending
   * them the same way itself.
   */
  legacyUnicastChecksum?: true;
}

/** ReceivedDatagram is what a socket hands over: the VRRP message plus the IP fields the checks need. */
export interface ReceivedDatagram {
  family: AddressFamily;
  srcAddress: string;
  dstAddress: string;
  /** ttl is the IPv4 TTL or the IPv6 hop limit (IPV6_RECVHOPLIMIT). */
  ttl: number;
  /** payload is the VRRP message: everything after the IPv4 header, or the IPv6 payload. */
  payload: Buffer;
}

/** RejectReason is a stable string naming why a packet was refused; the runner counts per reason. */
export type RejectReason =
  /** the datagram is shorter than an IPv4 header */
  | 'ip-too-short'
  /** bad IPv4 version, header length, total length, fragment or header checksum */
  | 'ip-header'
  /** the IPv4 protocol is not VRRP (112) */
  | 'ip-protocol'
  /** TTL / hop limit not 255: any multicast advert, and a unicast one to an instance without unicast_peer */
  | 'ttl'
  /** the VRRP message is shorter than its 8-byte fixed header */
  | 'too-short'
  /** the version nibble is not 2 or 3, or not the instance's version */
  | 'version'
  /** a VRRPv2 message over IPv6 */
  | 'family'
  /** the VRRP checksum does not verify */
  | 'checksum'
  /** the type nibble is not 1 (ADVERTISEMENT) */
  | 'type'
  /** the message is too short for its Count IPvX Addr, or the count differs from the instance's */
  | 'address-count'
  /** the message has bytes after its address list (and v2 authentication data) */
  | 'length'
  /** no instance has this VRID */
  | 'unknown-vrid'
  /** the v2 Auth Type is unknown or differs from the instance's */
  | 'auth-type'
  /** the v2 simple password differs from the instance's */
  | 'auth'
  /** v2 Adver Int differs from the instance's, or v3 Max Adver Int is 0 */
  | 'interval'
  /** the address list differs from the instance's virtual addresses */
  | 'addresses';

/** Decoded is the result of a decoder: a value, or a reason and a human detail. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: RejectReason; detail: string };

/** Rejected is the failing half of Decoded. */
export type Rejected = Extract<Decoded<unknown>, { ok: false }>;

/** reject builds the failing half of Decoded. */
export function reject(reason: RejectReason, detail: string): Rejected {
  return { ok: false, reason, detail };
}
