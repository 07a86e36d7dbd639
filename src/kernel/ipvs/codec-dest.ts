/** The IPVS_CMD_ATTR_DEST nest (IPVS_DEST_ATTR_*). Pure; decoding never throws. */
import * as K from './constants.js';
import {
  type Decoded,
  FORWARDS,
  TUN_TYPES,
  familyOf,
  afOf,
  addressBytes16,
  readAddress,
} from './codec-base.js';
import { writeStats, decodeStats } from './codec-stats.js';
import { type NlWriter, parseAttrs, readBe16, readU8, readU16, readU32 } from '../nlmsg.js';
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

/** decodeDest reads an IPVS_CMD_ATTR_DEST nest; `serviceFamily` is used when IPVS_DEST_ATTR_ADDR_FAMILY is absent. */
export function decodeDest(data: Buffer, serviceFamily: 'inet' | 'inet6' = 'inet'): Decoded<IpvsDestination> {
  const { attrs, malformed } = parseAttrs(data);
  const by = new Map<number, Buffer>();
  const unknown = new Map<number, Buffer>();
  for (const a of attrs) {
    if (a.type >= K.IPVS_DEST_ATTR_ADDR && a.type <= K.IPVS_DEST_ATTR_TUN_FLAGS) by.set(a.type, a.data);
    else unknown.set(a.type, Buffer.from(a.data));
  }
  const u32 = (t: number) => {
    const v = by.get(t);
    return v ? readU32(v) : undefined;
  };
  const afData = by.get(K.IPVS_DEST_ATTR_ADDR_FAMILY);
  const family = afData ? familyOf(readU16(afData)) : serviceFamily;
  if (!family) return { ok: false, reason: 'destination with unknown IPVS_DEST_ATTR_ADDR_FAMILY' };
  const address = readAddress(family, by.get(K.IPVS_DEST_ATTR_ADDR) ?? Buffer.alloc(0));
  const port = readBe16(by.get(K.IPVS_DEST_ATTR_PORT) ?? Buffer.alloc(0));
  if (address === undefined || port === undefined)
    return { ok: false, reason: malformed ?? 'destination without IPVS_DEST_ATTR_ADDR/PORT' };
  const fwdNum = (u32(K.IPVS_DEST_ATTR_FWD_METHOD) ?? 0) & K.IP_VS_CONN_F_FWD_MASK;
  const localNode = fwdNum === K.IP_VS_CONN_F_LOCALNODE;
  const forward = localNode
    ? 'dr'
    : (Object.keys(FORWARDS) as IpvsForward[]).find((f) => FORWARDS[f] === fwdNum);
  if (!forward)
    return { ok: false, reason: `destination with unsupported IPVS_DEST_ATTR_FWD_METHOD ${fwdNum}` };
  const d: IpvsDestination = {
    address,
    family,
    port,
    forward,
    weight: u32(K.IPVS_DEST_ATTR_WEIGHT) ?? 0,
    upperThreshold: u32(K.IPVS_DEST_ATTR_U_THRESH) ?? 0,
    lowerThreshold: u32(K.IPVS_DEST_ATTR_L_THRESH) ?? 0,
  };
  if (localNode) d.localNode = true;
  const tunTypeNum = readU8(by.get(K.IPVS_DEST_ATTR_TUN_TYPE) ?? Buffer.alloc(0)) ?? 0;
  const tunPort = readBe16(by.get(K.IPVS_DEST_ATTR_TUN_PORT) ?? Buffer.alloc(0)) ?? 0;
  const tunFlags = readU16(by.get(K.IPVS_DEST_ATTR_TUN_FLAGS) ?? Buffer.alloc(0)) ?? 0;
  const tunType = TUN_TYPES[tunTypeNum];
  if (tunType === undefined)
    return { ok: false, reason: `destination with unknown IPVS_DEST_ATTR_TUN_TYPE ${tunTypeNum}` };
  // The kernel reports the tunnel fields for every destination; keep them where they mean something.
  if (forward === 'tun' || tunTypeNum !== 0 || tunPort !== 0 || tunFlags !== 0) {
    d.tunType = tunType;
    d.tunPort = tunPort;
    d.tunFlags = tunFlags;
  }
  const active = u32(K.IPVS_DEST_ATTR_ACTIVE_CONNS);
  const inact = u32(K.IPVS_DEST_ATTR_INACT_CONNS);
  const persist = u32(K.IPVS_DEST_ATTR_PERSIST_CONNS);
  if (active !== undefined) d.activeConns = active;
  if (inact !== undefined) d.inactConns = inact;
  if (persist !== undefined) d.persistConns = persist;
  const stats = by.get(K.IPVS_DEST_ATTR_STATS64) ?? by.get(K.IPVS_DEST_ATTR_STATS);
  if (stats) d.stats = decodeStats(stats);
  if (unknown.size > 0) d.unknown = unknown;
  return { ok: true, value: d };
}

/** destKey is a stable text key for a destination within its service: `10.0.0.1:80`, `[fd00::1]:80`. */
export function destKey(d: Pick<IpvsDestination, 'address' | 'port' | 'family'>): string {
  return d.family === 'inet6' ? `[${d.address}]:${d.port}` : `${d.address}:${d.port}`;
}
