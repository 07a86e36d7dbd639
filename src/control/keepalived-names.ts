/**
 * keepalived's numbers and counter names, shared by the keepalived-exporter metrics and the
 * SIGJSON dump: the state codes of keepalived/include/vrrp.h and the vrrp_stats fields that
 * vrrp_check_packet increments, mapped from keepvip's RejectReasons (src/vrrp/packet.ts).
 */

/** KEEPALIVED_STATE is vrrp.h's VRRP_STATE_INIT 0, _BACK 1, _MAST 2, _FAULT 3, _STOP 98. */
export const KEEPALIVED_STATE: Record<string, number> = {
  INIT: 0,
  BACKUP: 1,
  MASTER: 2,
  FAULT: 3,
  STOPPED: 98,
};

/** KeepalivedStatsField names a vrrp_stats counter (vrrp.h) as keepalived's JSON dump spells it. */
export type KeepalivedStatsField =
  | 'packet_len_err'
  | 'advert_interval_err'
  | 'ip_ttl_err'
  | 'invalid_type_rcvd'
  | 'addr_list_err'
  | 'invalid_authtype'
  | 'authtype_mismatch'
  | 'auth_failure';

/**
 * STATS_FIELD_OF_REASON says which keepalived counter a keepvip drop reason adds to. keepvip has
 * one reason for an unknown and a mismatched Auth Type; it counts as authtype_mismatch.
 * Reasons keepalived does not count (checksum, version, family, ip-protocol) stay keepvip-only.
 */
export const STATS_FIELD_OF_REASON: Record<string, KeepalivedStatsField> = {
  'ip-too-short': 'packet_len_err',
  'ip-header': 'packet_len_err',
  'too-short': 'packet_len_err',
  length: 'packet_len_err',
  interval: 'advert_interval_err',
  ttl: 'ip_ttl_err',
  type: 'invalid_type_rcvd',
  'address-count': 'addr_list_err',
  addresses: 'addr_list_err',
  'auth-type': 'authtype_mismatch',
  auth: 'auth_failure',
};

/** keepalivedStats folds keepvip's drops by reason into keepalived's counters (all present, zero by default). */
export function keepalivedStats(drops: Record<string, number>): Record<KeepalivedStatsField, number> {
  const out: Record<KeepalivedStatsField, number> = {
    packet_len_err: 0,
    advert_interval_err: 0,
    ip_ttl_err: 0,
    invalid_type_rcvd: 0,
    addr_list_err: 0,
    invalid_authtype: 0,
    authtype_mismatch: 0,
    auth_failure: 0,
  };
  for (const [reason, n] of Object.entries(drops)) {
    const f = STATS_FIELD_OF_REASON[reason];
    if (f) out[f] += n;
  }
  return out;
}
