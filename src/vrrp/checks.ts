/**
 * The receive checks that need the receiving instance's settings (RFC 3768 7.1, RFC 5798 7.1),
 * applied to an advert decodeAdvert accepted. keepalived 2.2.7 (vrrp_check_packet) refuses an
 * advert on each of them; keepvip does the same so that a mixed pair behaves alike.
 */
import { timingSafeEqual } from 'node:crypto';
import { canonicalAddress } from './address.js';
import { authDataFromPassword } from './codec.js';
import { type Rejected, reject, type VrrpAdvert, VrrpAuthTypes, type VrrpVersion } from './packet.js';

/** InstanceForChecks is what checkAdvertForInstance needs to know about the receiving instance. */
export interface InstanceForChecks {
  vrid: number;
  version: VrrpVersion;
  advertIntervalMs: number;
  authentication?: { type: 'PASS' | 'AH'; password: string };
  /** addresses are the instance's virtual_ipaddress entries (without prefix length). */
  addresses: string[];
}

/** checkAdvertForInstance applies the per-instance rules of RFC 3768 7.1 / RFC 5798 7.1. */
export function checkAdvertForInstance(a: VrrpAdvert, inst: InstanceForChecks): { ok: true } | Rejected {
  // RFC 3768 7.1 / RFC 5798 7.1: "MUST verify that the VRID is configured on the receiving
  // interface and the local router is not the IPvX address owner". The owner part is the state
  // machine's (it never is a backup); here a VRID 0 or another instance's VRID is refused.
  if (a.vrid !== inst.vrid)
    return reject('unknown-vrid', `VRID ${a.vrid}, this instance is VRID ${inst.vrid}`);
  // keepalived: "wrong version. Received %d and expect %d".
  if (a.version !== inst.version)
    return reject('version', `VRRPv${a.version} advert, instance runs VRRPv${inst.version}`);
  if (a.version === 2) {
    // RFC 3768 7.1 (as RFC 2338 7.1, which keepalived keeps): "MUST perform authentication
    // specified by Auth Type" - the type must be the configured one, then the password match.
    const want = inst.authentication;
    // Auth Type AH (2) reaches here only from a datagram whose AH ICV the runner verified with
    // this instance's key (vrrp/ah.ts); the runner refuses Auth Type 2 from the plain VRRP socket.
    const wantType = want?.type === 'AH' ? VrrpAuthTypes.AH : want ? VrrpAuthTypes.PASS : VrrpAuthTypes.NONE;
    if (a.authType !== wantType) return reject('auth-type', `auth type ${a.authType}, expected ${wantType}`);
    if (want?.type === 'PASS') {
      const expected = authDataFromPassword(want.password);
      // keepalived compares the 8 bytes in constant time (memcmp_constant_time).
      if (!a.authData || a.authData.length !== expected.length || !timingSafeEqual(a.authData, expected)) {
        return reject('auth', 'simple password does not match');
      }
    }
    // RFC 3768 7.1: "MUST verify that the Adver Interval in the packet is the same as the locally
    // configured for this virtual router". keepalived drops such adverts and logs
    // "advertisement interval mismatch". (VRRPv3 backups adopt the master's interval instead.)
    if (a.advertIntervalMs !== inst.advertIntervalMs) {
      return reject(
        'interval',
        `advert interval ${a.advertIntervalMs} ms, configured ${inst.advertIntervalMs} ms`,
      );
    }
  }
  // RFC 3768 7.1 / RFC 5798 7.1: "MAY verify that the IP address(es) associated with the VRID are
  // valid" and, if not, "SHOULD log". keepalived 2.2.7 goes further and refuses the advert: the
  // count must equal its own ("expected %u VIPs but received %u") and each of its addresses must
  // be in the advert, in any order ("ip address associated with VRID %d not present in MASTER
  // advert"). keepvip follows keepalived, so a misconfigured pair fails the same way on both sides.
  if (a.addresses.length !== inst.addresses.length) {
    return reject('address-count', `${a.addresses.length} addresses, instance has ${inst.addresses.length}`);
  }
  const advertised = new Set(a.addresses);
  for (const address of inst.addresses) {
    const canonical = canonicalAddress(address) ?? address;
    if (!advertised.has(canonical)) return reject('addresses', `${canonical} is not in the advert`);
  }
  return { ok: true };
}
