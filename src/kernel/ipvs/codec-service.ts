/** The IPVS_CMD_ATTR_SERVICE nest (IPVS_SVC_ATTR_*). Pure; decoding never throws. */
import * as K from './constants.js';
import {
  type Decoded,
  PROTOCOLS,
  familyOf,
  afOf,
  addressBytes16,
  readAddress,
  prefixToMask,
  maskToPrefix,
  defaultNetmask,
} from './codec-base.js';
import { writeStats, decodeStats } from './codec-stats.js';
import { type NlAttr, type NlWriter, parseAttrs, readBe16, readString, readU16, readU32 } from '../nlmsg.js';
import type { IpvsProtocol, IpvsService, IpvsServiceId } from './types.js';

/** isFullService tells an IpvsService (scheduler and all) from a bare IpvsServiceId. */
export function isFullService(s: IpvsService | IpvsServiceId): s is IpvsService {
  return (s as IpvsService).id !== undefined;
}

function writeServiceId(w: NlWriter, id: IpvsServiceId): void {
  w.u16(K.IPVS_SVC_ATTR_AF, afOf(id.family));
  if (id.fwmark !== undefined) {
    w.u32(K.IPVS_SVC_ATTR_FWMARK, id.fwmark);
  } else {
    w.u16(K.IPVS_SVC_ATTR_PROTOCOL, PROTOCOLS[id.protocol]);
    w.attr(K.IPVS_SVC_ATTR_ADDR, addressBytes16(id.family, id.address));
    w.be16(K.IPVS_SVC_ATTR_PORT, id.port);
  }
}

/**
 * writeService writes the IPVS_CMD_ATTR_SERVICE nest: only the identity for a bare
 * IpvsServiceId (DEL_SERVICE, NEW_DEST...), everything for an IpvsService (NEW/SET_SERVICE:
 * the kernel wants SCHED_NAME, FLAGS, TIMEOUT and NETMASK). Statistics are written only when
 * `stats` is present (kernel replies). Throws RangeError on an address that does not parse.
 */
export function writeService(w: NlWriter, s: IpvsService | IpvsServiceId): void {
  w.nest(K.IPVS_CMD_ATTR_SERVICE, () => {
    if (!isFullService(s)) {
      writeServiceId(w, s);
      return;
    }
    writeServiceId(w, s.id);
    w.string(K.IPVS_SVC_ATTR_SCHED_NAME, s.schedName);
    if (s.peName !== undefined) w.string(K.IPVS_SVC_ATTR_PE_NAME, s.peName);
    // struct ip_vs_flags: the mask ~0 makes the kernel take every flag bit as given.
    const flags = Buffer.alloc(8);
    flags.writeUInt32LE(s.flags >>> 0, 0);
    flags.writeUInt32LE(0xffffffff, 4);
    w.attr(K.IPVS_SVC_ATTR_FLAGS, flags);
    w.u32(K.IPVS_SVC_ATTR_TIMEOUT, s.timeout);
    // IPv4: a __be32 mask; IPv6: the prefix length as a host-order u32 (ip_vs_add_service checks 1..128).
    if (s.id.family === 'inet') w.be32(K.IPVS_SVC_ATTR_NETMASK, prefixToMask(s.netmask));
    else w.u32(K.IPVS_SVC_ATTR_NETMASK, s.netmask);
    if (s.stats) {
      writeStats(w, K.IPVS_SVC_ATTR_STATS, s.stats, false);
      writeStats(w, K.IPVS_SVC_ATTR_STATS64, s.stats, true);
    }
    if (s.unknown) for (const [t, d] of s.unknown) w.attr(t, d);
  });
}

/** decodeService reads the attributes inside an IPVS_CMD_ATTR_SERVICE nest. */
export function decodeService(data: Buffer): Decoded<IpvsService> {
  const { attrs, malformed } = parseAttrs(data);
  const by = new Map<number, NlAttr>();
  const unknown = new Map<number, Buffer>();
  for (const a of attrs) {
    if (a.type >= K.IPVS_SVC_ATTR_AF && a.type <= K.IPVS_SVC_ATTR_STATS64) by.set(a.type, a);
    else unknown.set(a.type, Buffer.from(a.data));
  }
  const get = (t: number) => by.get(t)?.data;
  const family = familyOf(readU16(get(K.IPVS_SVC_ATTR_AF) ?? Buffer.alloc(0)));
  if (!family) return { ok: false, reason: malformed ?? 'service without a known IPVS_SVC_ATTR_AF' };
  let id: IpvsServiceId;
  const fwmarkData = get(K.IPVS_SVC_ATTR_FWMARK);
  const fwmark = fwmarkData ? readU32(fwmarkData) : undefined;
  if (fwmark !== undefined && fwmark !== 0) {
    id = { family, fwmark };
  } else {
    const protoNum = readU16(get(K.IPVS_SVC_ATTR_PROTOCOL) ?? Buffer.alloc(0));
    const protocol = (Object.keys(PROTOCOLS) as IpvsProtocol[]).find((p) => PROTOCOLS[p] === protoNum);
    const address = readAddress(family, get(K.IPVS_SVC_ATTR_ADDR) ?? Buffer.alloc(0));
    const port = readBe16(get(K.IPVS_SVC_ATTR_PORT) ?? Buffer.alloc(0));
    if (!protocol)
      return { ok: false, reason: `service with unsupported IPVS_SVC_ATTR_PROTOCOL ${protoNum}` };
    if (address === undefined || port === undefined)
      return { ok: false, reason: malformed ?? 'service without IPVS_SVC_ATTR_ADDR/PORT or FWMARK' };
    id = { family, protocol, address, port };
  }
  const flagsData = get(K.IPVS_SVC_ATTR_FLAGS);
  const netmaskData = get(K.IPVS_SVC_ATTR_NETMASK);
  let netmask = defaultNetmask(family);
  if (netmaskData && netmaskData.length >= 4) {
    netmask = family === 'inet' ? maskToPrefix(netmaskData.readUInt32BE(0)) : netmaskData.readUInt32LE(0);
  }
  const s: IpvsService = {
    id,
    schedName: readString(get(K.IPVS_SVC_ATTR_SCHED_NAME) ?? Buffer.alloc(0)),
    flags: flagsData ? (readU32(flagsData) ?? 0) : 0,
    timeout: readU32(get(K.IPVS_SVC_ATTR_TIMEOUT) ?? Buffer.alloc(0)) ?? 0,
    netmask,
  };
  const pe = get(K.IPVS_SVC_ATTR_PE_NAME);
  if (pe) s.peName = readString(pe);
  const stats = get(K.IPVS_SVC_ATTR_STATS64) ?? get(K.IPVS_SVC_ATTR_STATS);
  if (stats) s.stats = decodeStats(stats);
  if (unknown.size > 0) s.unknown = unknown;
  return { ok: true, value: s };
}

/** serviceKey is a stable text key for a service identity (maps, messages): `tcp [::1]:80`, `fwmark 7 inet`. */
export function serviceKey(id: IpvsServiceId): string {
  if (id.fwmark !== undefined) return `fwmark ${id.fwmark} ${id.family}`;
  return id.family === 'inet6'
    ? `${id.protocol} [${id.address}]:${id.port}`
    : `${id.protocol} ${id.address}:${id.port}`;
}
