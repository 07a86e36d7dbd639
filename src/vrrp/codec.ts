/**
 * Encode and decode of the VRRP advertisement message, v2 (RFC 3768 5.3) and v3 (RFC 5798 5.2):
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |Version| Type  | Virtual Rtr ID|   Priority    | Count IPvX Addr|
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    v2: |  Auth Type  |  Adver Int  |          Checksum               |
 *    v3: |(rsvd) |   Max Adver Int (centiseconds) |    Checksum        |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                 IPvX Address(es), 4 or 16 bytes each          |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    v2 only: |            Authentication Data (8 bytes)             |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Decoding validates in a fixed order, as FRR's vrrp_pkt_parse_datagram and keepalived's
 * vrrp_check_packet do, and returns a reason instead of throwing: a bad packet is ordinary input.
 * Checks that need the receiving instance (VRID, auth, interval, addresses) are in checks.ts.
 */
import type { AddressFamily } from '../config/model.js';
import { KeepvipError } from '../util/errors.js';
import { addressBytes, addressLength, formatAddress, isMulticast } from './address.js';
import { internetChecksum, onesComplementSum, pseudoHeaderSum } from './checksum.js';
import {
  type Decoded,
  type ReceivedDatagram,
  reject,
  VRRP_AUTH_DATA_LENGTH,
  VRRP_HEADER_LENGTH,
  VRRP_MCAST_GROUP4,
  VRRP_TTL,
  VRRP_TYPE_ADVERTISEMENT,
  type VrrpAdvert,
  VrrpAuthTypes,
} from './packet.js';

/** DecodeOptions tune decodeAdvert to the configuration. */
export interface DecodeOptions {
  /** mcastGroup4 is keepalived's vrrp_mcast_group4, used by the legacy v3 unicast checksum (default 224.0.0.18). */
  mcastGroup4?: string;
}

/** AdvertIpFields are the IP fields encodeAdvert needs for the v3 pseudo-header. */
export interface AdvertIpFields {
  family: AddressFamily;
  srcAddress: string;
  dstAddress: string;
  /** mcastGroup4 replaces dstAddress in the pseudo-header when the advert has legacyUnicastChecksum. */
  mcastGroup4?: string;
}

/** V3_MAX_ADVER_INT_CS is the largest v3 Max Adver Int: 12 bits of centiseconds (RFC 5798 5.2.7). */
export const V3_MAX_ADVER_INT_CS = 0x0fff;

/** messageLength is the exact size of a VRRP message with count addresses. */
export function messageLength(version: number, family: AddressFamily, count: number): number {
  return VRRP_HEADER_LENGTH + count * addressLength(family) + (version === 2 ? VRRP_AUTH_DATA_LENGTH : 0);
}

/**
 * authDataFromPassword is the 8-byte v2 Authentication Data for a password the way keepalived
 * stores `auth_pass`: its bytes, truncated to 8 and padded with zeros (RFC 2338 5.3.10).
 */
export function authDataFromPassword(password: string): Buffer {
  const out = Buffer.alloc(VRRP_AUTH_DATA_LENGTH);
  Buffer.from(password, 'utf8').copy(out, 0, 0, VRRP_AUTH_DATA_LENGTH);
  return out;
}

type ChecksumResult = 'ok' | 'legacy' | 'bad' | 'bad-address';

/** verifyChecksum sums the message (checksum field included) and the pseudo-header when v3 has one. */
function verifyChecksum(d: ReceivedDatagram, version: number, mcastGroup4: string): ChecksumResult {
  const p = d.payload;
  if (version === 2) return onesComplementSum(p) === 0xffff ? 'ok' : 'bad';
  const pseudo = pseudoHeaderSum(d.family, d.srcAddress, d.dstAddress, p.length);
  if (pseudo === undefined) return 'bad-address';
  if (onesComplementSum(p, pseudo) === 0xffff) return 'ok';
  // keepalived 2.2.7 (OLD_CHKSUM_COMPAT): a v3 IPv4 unicast advert that fails is tried again with
  // the multicast group as pseudo-header destination, what keepalived < 1.3.6 sent.
  if (d.family === 'inet' && !isMulticast(d.dstAddress) && d.dstAddress !== mcastGroup4) {
    const legacy = pseudoHeaderSum('inet', d.srcAddress, mcastGroup4, p.length);
    if (legacy !== undefined && onesComplementSum(p, legacy) === 0xffff) return 'legacy';
  }
  return 'bad';
}

/**
 * decodeAdvert validates in a fixed order (length, TTL 255, version, checksum, type, address count
 * vs length, auth type, interval) and decodes. It never throws, whatever the payload.
 */
export function decodeAdvert(d: ReceivedDatagram, opts: DecodeOptions = {}): Decoded<VrrpAdvert> {
  const p = d.payload;
  // RFC 5798 7.1: "MUST verify that the received packet contains the complete VRRP packet
  // (including fixed fields, and IPvX address(es))". The fixed fields first; addresses below.
  if (p.length < VRRP_HEADER_LENGTH) {
    return reject(
      'too-short',
      `VRRP message of ${p.length} bytes, the fixed header is ${VRRP_HEADER_LENGTH}`,
    );
  }
  // RFC 3768 7.1 / RFC 5798 7.1: "MUST verify that the IP TTL is 255" ("IPv6 Hop Limit" for v3).
  // Deviation, as keepalived: only for multicast adverts. keepalived 2.2.7 sends IPv6 unicast
  // adverts with the default hop limit (64), and unicast_ttl / min_ttl are per-peer settings.
  if (isMulticast(d.dstAddress) && d.ttl !== VRRP_TTL) {
    return reject(
      'ttl',
      `${d.family === 'inet' ? 'TTL' : 'hop limit'} ${d.ttl} on a multicast advert, expected 255`,
    );
  }
  // RFC 3768 7.1 / RFC 5798 7.1: "MUST verify the VRRP version field".
  const version = p[0]! >> 4;
  if (version !== 2 && version !== 3) return reject('version', `VRRP version ${version}`);
  // RFC 3768 is IPv4 only; keepalived forces version 3 for IPv6 instances.
  if (version === 2 && d.family !== 'inet') return reject('family', 'VRRPv2 advert over IPv6');
  // RFC 3768 7.1 / RFC 5798 7.1: "MUST verify that the VRRP checksum is correct".
  const checksum = verifyChecksum(d, version, opts.mcastGroup4 ?? VRRP_MCAST_GROUP4);
  if (checksum === 'bad-address') {
    return reject('family', `addresses ${d.srcAddress} > ${d.dstAddress} are not ${d.family}`);
  }
  if (checksum === 'bad') {
    return reject('checksum', `VRRPv${version} checksum 0x${p.readUInt16BE(6).toString(16)} does not verify`);
  }
  // RFC 3768 5.3.2 / RFC 5798 5.2.2: "A packet with unknown type MUST be discarded."
  const type = p[0]! & 0x0f;
  if (type !== VRRP_TYPE_ADVERTISEMENT)
    return reject('type', `VRRP type ${type}, expected 1 (ADVERTISEMENT)`);
  // RFC 3768 7.1 / RFC 5798 7.1: the packet must hold the complete address list. As keepalived
  // ("vrrp packet too long"), any bytes beyond it are refused too.
  const count = p[3]!;
  const expected = messageLength(version, d.family, count);
  if (p.length < expected) {
    return reject(
      'address-count',
      `${count} addresses need a ${expected}-byte message, received ${p.length}`,
    );
  }
  if (p.length > expected) {
    return reject('length', `${count} addresses make a ${expected}-byte message, received ${p.length}`);
  }
  let authType: 0 | 1 | 2 = 0;
  let advertIntervalMs: number;
  if (version === 2) {
    // RFC 2338 5.3.6 (kept by keepalived with VRRP_AUTH): Auth Type is 0, 1 (PASS) or 2 (AH).
    const wireAuthType = p[4]!;
    if (wireAuthType > VrrpAuthTypes.AH) return reject('auth-type', `VRRPv2 auth type ${wireAuthType}`);
    authType = wireAuthType as 0 | 1 | 2;
    advertIntervalMs = p[5]! * 1000;
  } else {
    // RFC 5798 5.2.4: rsvd "MUST be set to zero on transmission and ignored on reception".
    const centiseconds = p.readUInt16BE(4) & V3_MAX_ADVER_INT_CS;
    // Deviation: RFC 5798 sets no lower bound, but an interval of 0 would make the Master_Down
    // timer of every backup expire at once; keepalived cannot be configured below 1 cs.
    if (centiseconds === 0) return reject('interval', 'VRRPv3 Max Adver Int of 0');
    advertIntervalMs = centiseconds * 10;
  }
  const addresses: string[] = [];
  const size = addressLength(d.family);
  for (let i = 0; i < count; i++) addresses.push(formatAddress(d.family, p, VRRP_HEADER_LENGTH + i * size));
  const value: VrrpAdvert = { version, vrid: p[1]!, priority: p[2]!, advertIntervalMs, addresses, authType };
  if (authType === VrrpAuthTypes.PASS) {
    const at = VRRP_HEADER_LENGTH + count * size;
    value.authData = Buffer.from(p.subarray(at, at + VRRP_AUTH_DATA_LENGTH));
  }
  if (checksum === 'legacy') value.legacyUnicastChecksum = true;
  return { ok: true, value };
}

function encodeError(detail: string): KeepvipError {
  return new KeepvipError('E_VRRP_ENCODE', `cannot encode VRRP advert: ${detail}`);
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw encodeError(`${name} ${value} outside ${min}..${max}`);
}

/**
 * encodeAdvert builds the VRRP message with its checksum (v3: over the pseudo-header of src/dst).
 * It throws KeepvipError E_VRRP_ENCODE on fields that cannot go on the wire: they come from our
 * own configuration, so that is a bug, not input.
 */
export function encodeAdvert(a: VrrpAdvert, ip: AdvertIpFields): Buffer {
  const { family } = ip;
  if (a.version !== 2 && a.version !== 3) throw encodeError(`version ${a.version}`);
  if (a.version === 2 && family !== 'inet') throw encodeError('VRRPv2 is IPv4 only (RFC 3768)');
  checkRange('vrid', a.vrid, 1, 255);
  checkRange('priority', a.priority, 0, 255);
  checkRange('address count', a.addresses.length, 0, 255);
  const out = Buffer.alloc(messageLength(a.version, family, a.addresses.length));
  out[0] = (a.version << 4) | VRRP_TYPE_ADVERTISEMENT;
  out[1] = a.vrid;
  out[2] = a.priority;
  out[3] = a.addresses.length;
  const size = addressLength(family);
  a.addresses.forEach((text, i) => {
    const bytes = addressBytes(family, text);
    if (!bytes) throw encodeError(`${text} is not an ${family} address`);
    bytes.copy(out, VRRP_HEADER_LENGTH + i * size);
  });
  if (a.version === 2) {
    // RFC 3768 5.3.7: Adver Int is in whole seconds, one byte.
    if (a.advertIntervalMs % 1000 !== 0)
      throw encodeError(`VRRPv2 interval ${a.advertIntervalMs} ms is not whole seconds`);
    checkRange('VRRPv2 interval (s)', a.advertIntervalMs / 1000, 1, 255);
    checkRange('auth type', a.authType, 0, 1);
    out[4] = a.authType;
    out[5] = a.advertIntervalMs / 1000;
    // RFC 3768 5.3.10: Authentication Data "MUST be set to zero on transmission" without PASS.
    if (a.authType === VrrpAuthTypes.PASS) {
      if (!a.authData || a.authData.length > VRRP_AUTH_DATA_LENGTH)
        throw encodeError('PASS needs up to 8 bytes of auth data');
      out.set(a.authData, VRRP_HEADER_LENGTH + a.addresses.length * size);
    }
    out.writeUInt16BE(internetChecksum(out), 6);
    return out;
  }
  // RFC 5798 5.2.7: Max Adver Int is 12 bits of centiseconds; rsvd is zero (5.2.4).
  if (a.advertIntervalMs % 10 !== 0)
    throw encodeError(`VRRPv3 interval ${a.advertIntervalMs} ms is not whole centiseconds`);
  checkRange('VRRPv3 interval (cs)', a.advertIntervalMs / 10, 1, V3_MAX_ADVER_INT_CS);
  if (a.authType !== 0) throw encodeError('VRRPv3 has no authentication (RFC 5798 9)');
  out.writeUInt16BE(a.advertIntervalMs / 10, 4);
  const pseudoDst =
    a.legacyUnicastChecksum && family === 'inet' ? (ip.mcastGroup4 ?? VRRP_MCAST_GROUP4) : ip.dstAddress;
  const pseudo = pseudoHeaderSum(family, ip.srcAddress, pseudoDst, out.length);
  if (pseudo === undefined) throw encodeError(`${ip.srcAddress} > ${pseudoDst} are not ${family} addresses`);
  out.writeUInt16BE(internetChecksum(out, pseudo), 6);
  return out;
}
