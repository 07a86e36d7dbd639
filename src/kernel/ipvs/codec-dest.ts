/** The IPVS_CMD_ATTR_DEST nest (IPVS_DEST_ATTR_*). Pure; decoding never throws. */
import * as K from './constants.js';
import { type Decoded, FORWARDS, TUN_TYPES, familyOf, afOf, addressBytes16 } from './codec-base.js';
import { writeStats, decodeStats } from './codec-stats.js';
import { AttrIndex, type NlWriter } from '../nlmsg.js';
import { formatAddress } from '../../vrrp/address.js';
import type { IpvsDestination, IpvsForward } from './types.js';

/**
 * writeDest writes the IPVS_CMD_ATTR_DEST nest. `full` (NEW/SET_DEST) adds FWD_METHOD,
 * WEIGHT, the tunnel attributes and the thresholds; without it only the identity
 * (DEL_DEST). Connection counters and statistics are written only when present (replies).
 */
export function writeDest(
  w: NlWriter,
  d: IpvsDestination | Pick<IpvsDestination, 'address' | 'port' | 'family'>,
  full = true,
): void {
  const dd = d as IpvsDestination;
  w.nest(K.IPVS_CMD_ATTR_DEST, () => {
    w.attr(K.IPVS_DEST_ATTR_ADDR, addressBytes16(d.family, d.address));
    w.be16(K.IPVS_DEST_ATTR_PORT, d.port);
    if (full) {
      w.u32(K.IPVS_DEST_ATTR_FWD_METHOD, dd.localNode ? K.IP_VS_CONN_F_LOCALNODE : FORWARDS[dd.forward]);
      w.u32(K.IPVS_DEST_ATTR_WEIGHT, dd.weight);
      w.u8(K.IPVS_DEST_ATTR_TUN_TYPE, TUN_TYPES.indexOf(dd.tunType ?? 'ipip'));
      w.be16(K.IPVS_DEST_ATTR_TUN_PORT, dd.tunPort ?? 0);
      w.u16(K.IPVS_DEST_ATTR_TUN_FLAGS, dd.tunFlags ?? 0);
      w.u32(K.IPVS_DEST_ATTR_U_THRESH, dd.upperThreshold);
      w.u32(K.IPVS_DEST_ATTR_L_THRESH, dd.lowerThreshold);
      if (dd.activeConns !== undefined) w.u32(K.IPVS_DEST_ATTR_ACTIVE_CONNS, dd.activeConns);
      if (dd.inactConns !== undefined) w.u32(K.IPVS_DEST_ATTR_INACT_CONNS, dd.inactConns);
      if (dd.persistConns !== undefined) w.u32(K.IPVS_DEST_ATTR_PERSIST_CONNS, dd.persistConns);
    }
    w.u16(K.IPVS_DEST_ATTR_ADDR_FAMILY, afOf(d.family));
    if (full && dd.stats) {
      writeStats(w, K.IPVS_DEST_ATTR_STATS, dd.stats, false);
      writeStats(w, K.IPVS_DEST_ATTR_STATS64, dd.stats, true);
    }
    if (full && dd.unknown) for (const [t, v] of dd.unknown) w.attr(t, v);
  });
}

/** DEST_ATTRS indexes a destination nest; decoding is synchronous, so one index serves every call. */
const DEST_ATTRS = new AttrIndex(K.IPVS_DEST_ATTR_TUN_FLAGS);

/** FORWARD_BY_NUM maps IP_VS_CONN_F_* forwarding numbers back to their names. */
const FORWARD_BY_NUM = new Map((Object.keys(FORWARDS) as IpvsForward[]).map((f) => [FORWARDS[f], f]));

/** decodeDest reads an IPVS_CMD_ATTR_DEST nest; `serviceFamily` is used when IPVS_DEST_ATTR_ADDR_FAMILY is absent. */
export function decodeDest(data: Buffer, serviceFamily: 'inet' | 'inet6' = 'inet'): Decoded<IpvsDestination> {
  const a = DEST_ATTRS.read(data);
  const family = a.has(K.IPVS_DEST_ATTR_ADDR_FAMILY)
    ? familyOf(a.u16(K.IPVS_DEST_ATTR_ADDR_FAMILY))
    : serviceFamily;
  if (!family) return { ok: false, reason: 'destination with unknown IPVS_DEST_ATTR_ADDR_FAMILY' };
  const addrAt =
    a.size(K.IPVS_DEST_ATTR_ADDR) >= (family === 'inet' ? 4 : 16) ? a.offset(K.IPVS_DEST_ATTR_ADDR) : -1;
  const port = a.be16(K.IPVS_DEST_ATTR_PORT);
  if (addrAt < 0 || port === undefined)
    return { ok: false, reason: a.malformed ?? 'destination without IPVS_DEST_ATTR_ADDR/PORT' };
  const address = formatAddress(family, data, addrAt);
  const fwdNum = (a.u32(K.IPVS_DEST_ATTR_FWD_METHOD) ?? 0) & K.IP_VS_CONN_F_FWD_MASK;
  const localNode = fwdNum === K.IP_VS_CONN_F_LOCALNODE;
  const forward = localNode ? 'dr' : FORWARD_BY_NUM.get(fwdNum);
  if (!forward)
    return { ok: false, reason: `destination with unsupported IPVS_DEST_ATTR_FWD_METHOD ${fwdNum}` };
  const d: IpvsDestination = {
    address,
    family,
    port,
    forward,
    weight: a.u32(K.IPVS_DEST_ATTR_WEIGHT) ?? 0,
    upperThreshold: a.u32(K.IPVS_DEST_ATTR_U_THRESH) ?? 0,
    lowerThreshold: a.u32(K.IPVS_DEST_ATTR_L_THRESH) ?? 0,
  };
  if (localNode) d.localNode = true;
  const tunTypeNum = a.u8(K.IPVS_DEST_ATTR_TUN_TYPE) ?? 0;
  const tunPort = a.be16(K.IPVS_DEST_ATTR_TUN_PORT) ?? 0;
  const tunFlags = a.u16(K.IPVS_DEST_ATTR_TUN_FLAGS) ?? 0;
  const tunType = TUN_TYPES[tunTypeNum];
  if (tunType === undefined)
    return { ok: false, reason: `destination with unknown IPVS_DEST_ATTR_TUN_TYPE ${tunTypeNum}` };
  // The kernel reports the tunnel fields for every destination; keep them where they mean something.
  if (forward === 'tun' || tunTypeNum !== 0 || tunPort !== 0 || tunFlags !== 0) {
    d.tunType = tunType;
    d.tunPort = tunPort;
    d.tunFlags = tunFlags;
  }
  const active = a.u32(K.IPVS_DEST_ATTR_ACTIVE_CONNS);
  const inact = a.u32(K.IPVS_DEST_ATTR_INACT_CONNS);
  const persist = a.u32(K.IPVS_DEST_ATTR_PERSIST_CONNS);
  if (active !== undefined) d.activeConns = active;
  if (inact !== undefined) d.inactConns = inact;
  if (persist !== undefined) d.persistConns = persist;
  // The unknown ones are taken before the stats nest is read (it has an index of its own).
  const unknown = a.unknown;
  const stats = a.data(K.IPVS_DEST_ATTR_STATS64) ?? a.data(K.IPVS_DEST_ATTR_STATS);
  if (stats) d.stats = decodeStats(stats);
  if (unknown) d.unknown = unknown;
  return { ok: true, value: d };
}

/** destKey is a stable text key for a destination within its service: `10.0.0.1:80`, `[fd00::1]:80`. */
export function destKey(d: Pick<IpvsDestination, 'address' | 'port' | 'family'>): string {
  return d.family === 'inet6' ? `[${d.address}]:${d.port}` : `${d.address}:${d.port}`;
}
