/**
 * The IPVS generic netlink attribute codec: services, destinations, statistics, sync daemons,
 * timeouts and info, between host types (types.ts) and the nested attributes of linux/ip_vs.h.
 * Pure. Attributes are written in the order the kernel's ip_vs_genl_fill_* functions write
 * them, so a kernel reply decodes and re-encodes to the same bytes; unknown attributes are kept
 * in `unknown`; decoding never throws and reports what it could not read.
 */
import { formatAddress, parseIpv4, parseIpv6 } from '../../vrrp/address.js';
import * as K from './constants.js';
import { GENL_HDRLEN, NLMSG_HDRLEN } from './constants.js';
import {
  decodeGenl,
  encodeGenl,
  type NlAttr,
  NlWriter,
  parseAttrs,
  readBe16,
  readString,
  readU8,
  readU16,
  readU32,
  readU64,
} from './nlmsg.js';
import type {
  IpvsDestination,
  IpvsForward,
  IpvsInfo,
  IpvsProtocol,
  IpvsService,
  IpvsServiceId,
  IpvsStats,
  IpvsSyncDaemon,
  IpvsTimeouts,
} from './types.js';

/** Decoded is a decoder's answer: the value, or why the bytes could not be read. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

const PROTOCOLS: Record<IpvsProtocol, number> = {
  tcp: K.IPPROTO_TCP,
  udp: K.IPPROTO_UDP,
  sctp: K.IPPROTO_SCTP,
};
const FORWARDS: Record<IpvsForward, number> = {
  nat: K.IP_VS_CONN_F_MASQ,
  dr: K.IP_VS_CONN_F_DROUTE,
  tun: K.IP_VS_CONN_F_TUNNEL,
};
const TUN_TYPES = ['ipip', 'gue', 'gre'] as const;

/** familyOf maps AF_INET / AF_INET6 to 'inet' / 'inet6'. */
function familyOf(af: number | undefined): 'inet' | 'inet6' | undefined {
  return af === K.AF_INET ? 'inet' : af === K.AF_INET6 ? 'inet6' : undefined;
}
function afOf(family: 'inet' | 'inet6'): number {
  return family === 'inet' ? K.AF_INET : K.AF_INET6;
}

/** addressBytes16 encodes an address as union nf_inet_addr (16 bytes, IPv4 in the first 4). */
function addressBytes16(family: 'inet' | 'inet6', address: string): Buffer {
  const raw = family === 'inet' ? parseIpv4(address) : parseIpv6(address);
  if (!raw) throw new RangeError(`not an ${family === 'inet' ? 'IPv4' : 'IPv6'} address: ${address}`);
  const out = Buffer.alloc(16);
  raw.copy(out);
  return out;
}
function readAddress(family: 'inet' | 'inet6', d: Buffer): string | undefined {
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

// ---------------------------------------------------------------- statistics

const STATS_FIELDS: [keyof Omit<IpvsStats, 'unknown'>, number, 32 | 64][] = [
  ['conns', K.IPVS_STATS_ATTR_CONNS, 32],
  ['inPkts', K.IPVS_STATS_ATTR_INPKTS, 32],
  ['outPkts', K.IPVS_STATS_ATTR_OUTPKTS, 32],
  ['inBytes', K.IPVS_STATS_ATTR_INBYTES, 64],
  ['outBytes', K.IPVS_STATS_ATTR_OUTBYTES, 64],
  ['cps', K.IPVS_STATS_ATTR_CPS, 32],
  ['inPps', K.IPVS_STATS_ATTR_INPPS, 32],
  ['outPps', K.IPVS_STATS_ATTR_OUTPPS, 32],
  ['inBps', K.IPVS_STATS_ATTR_INBPS, 32],
  ['outBps', K.IPVS_STATS_ATTR_OUTBPS, 32],
];

/** zeroStats is an IpvsStats of zeros. */
export function zeroStats(): IpvsStats {
  return {
    conns: 0n,
    inPkts: 0n,
    outPkts: 0n,
    inBytes: 0n,
    outBytes: 0n,
    cps: 0n,
    inPps: 0n,
    outPps: 0n,
    inBps: 0n,
    outBps: 0n,
  };
}

/**
 * writeStats writes IPVS_*_ATTR_STATS (wide: false; packet and rate counters as u32, bytes as
 * u64, as ip_vs_genl_fill_stats truncates them) or IPVS_*_ATTR_STATS64 (wide: every counter u64).
 */
export function writeStats(w: NlWriter, type: number, s: IpvsStats, wide: boolean): void {
  w.nest(type, () => {
    for (const [k, t, bits] of STATS_FIELDS) {
      if (wide || bits === 64) w.u64(t, s[k], K.IPVS_STATS_ATTR_PAD);
      else w.u32(t, Number(BigInt.asUintN(32, s[k])));
    }
    if (wide && s.unknown) for (const [t, d] of s.unknown) w.attr(t, d);
  });
}

/** decodeStats reads a statistics nest (either width); IPVS_STATS_ATTR_PAD is skipped, unknown types kept. */
export function decodeStats(data: Buffer): IpvsStats {
  const s = zeroStats();
  const { attrs } = parseAttrs(data);
  for (const a of attrs) {
    const field = STATS_FIELDS.find(([, t]) => t === a.type);
    if (field) s[field[0]] = readU64(a.data) ?? 0n;
    else if (a.type !== K.IPVS_STATS_ATTR_PAD) {
      s.unknown ??= new Map();
      s.unknown.set(a.type, Buffer.from(a.data));
    }
  }
  return s;
}

// ---------------------------------------------------------------- services

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

// ---------------------------------------------------------------- destinations

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

// ---------------------------------------------------------------- sync daemons

/** writeDaemon writes an IPVS_CMD_ATTR_DAEMON nest in ip_vs_genl_fill_daemon's order; `full: false` only STATE (DEL_DAEMON). */
export function writeDaemon(
  w: NlWriter,
  d: IpvsSyncDaemon | Pick<IpvsSyncDaemon, 'state'>,
  full = true,
): void {
  const dd = d as IpvsSyncDaemon;
  let group: Buffer | undefined;
  if (full && dd.mcastGroup !== undefined) {
    group = parseIpv4(dd.mcastGroup) ?? parseIpv6(dd.mcastGroup);
    if (!group) throw new RangeError(`not a multicast group address: ${dd.mcastGroup}`);
  }
  w.nest(K.IPVS_CMD_ATTR_DAEMON, () => {
    w.u32(K.IPVS_DAEMON_ATTR_STATE, d.state === 'master' ? K.IP_VS_STATE_MASTER : K.IP_VS_STATE_BACKUP);
    if (!full) return;
    w.string(K.IPVS_DAEMON_ATTR_MCAST_IFN, dd.ifname);
    w.u32(K.IPVS_DAEMON_ATTR_SYNC_ID, dd.syncId);
    if (dd.maxLen !== undefined) w.u16(K.IPVS_DAEMON_ATTR_SYNC_MAXLEN, dd.maxLen);
    if (dd.port !== undefined) w.u16(K.IPVS_DAEMON_ATTR_MCAST_PORT, dd.port);
    if (dd.ttl !== undefined) w.u8(K.IPVS_DAEMON_ATTR_MCAST_TTL, dd.ttl);
    if (group)
      w.attr(group.length === 4 ? K.IPVS_DAEMON_ATTR_MCAST_GROUP : K.IPVS_DAEMON_ATTR_MCAST_GROUP6, group);
    if (dd.unknown) for (const [t, v] of dd.unknown) w.attr(t, v);
  });
}

/** decodeDaemon reads an IPVS_CMD_ATTR_DAEMON nest. */
export function decodeDaemon(data: Buffer): Decoded<IpvsSyncDaemon> {
  const { attrs, malformed } = parseAttrs(data);
  const by = new Map<number, Buffer>();
  const unknown = new Map<number, Buffer>();
  for (const a of attrs) {
    if (a.type >= K.IPVS_DAEMON_ATTR_STATE && a.type <= K.IPVS_DAEMON_ATTR_MCAST_TTL) by.set(a.type, a.data);
    else unknown.set(a.type, Buffer.from(a.data));
  }
  const stateNum = readU32(by.get(K.IPVS_DAEMON_ATTR_STATE) ?? Buffer.alloc(0));
  const state =
    stateNum === K.IP_VS_STATE_MASTER ? 'master' : stateNum === K.IP_VS_STATE_BACKUP ? 'backup' : undefined;
  if (!state)
    return { ok: false, reason: malformed ?? `sync daemon with IPVS_DAEMON_ATTR_STATE ${stateNum}` };
  const d: IpvsSyncDaemon = {
    state,
    ifname: readString(by.get(K.IPVS_DAEMON_ATTR_MCAST_IFN) ?? Buffer.alloc(0)),
    syncId: readU32(by.get(K.IPVS_DAEMON_ATTR_SYNC_ID) ?? Buffer.alloc(0)) ?? 0,
  };
  const maxLen = by.get(K.IPVS_DAEMON_ATTR_SYNC_MAXLEN);
  const port = by.get(K.IPVS_DAEMON_ATTR_MCAST_PORT);
  const ttl = by.get(K.IPVS_DAEMON_ATTR_MCAST_TTL);
  const g4 = by.get(K.IPVS_DAEMON_ATTR_MCAST_GROUP);
  const g6 = by.get(K.IPVS_DAEMON_ATTR_MCAST_GROUP6);
  if (maxLen) d.maxLen = readU16(maxLen);
  if (port) d.port = readU16(port);
  if (ttl) d.ttl = readU8(ttl);
  if (g4 && g4.length >= 4) d.mcastGroup = formatAddress('inet', g4);
  else if (g6 && g6.length >= 16) d.mcastGroup = formatAddress('inet6', g6);
  if (unknown.size > 0) d.unknown = unknown;
  return { ok: true, value: d };
}

// ---------------------------------------------------------------- whole messages

/** IpvsMessage is one IPVS generic netlink message in host types (a request or a reply). */
export interface IpvsMessage {
  cmd: number;
  version?: number;
  service?: IpvsService | IpvsServiceId;
  dest?: IpvsDestination | Pick<IpvsDestination, 'address' | 'port' | 'family'>;
  /** destFull: false writes only the destination's identity (IPVS_CMD_DEL_DEST). */
  destFull?: boolean;
  daemon?: IpvsSyncDaemon | Pick<IpvsSyncDaemon, 'state'>;
  daemonFull?: boolean;
  /** timeouts are IPVS_CMD_ATTR_TIMEOUT_* (SET_CONFIG, GET_CONFIG reply). */
  timeouts?: Partial<IpvsTimeouts>;
  /** info is the IPVS_CMD_GET_INFO reply (IPVS_INFO_ATTR_* at the first level). */
  info?: IpvsInfo;
  /** unknown keeps first-level attributes the codec does not know. */
  unknown?: Map<number, Buffer>;
}

/**
 * EncodeOptions picks the layout: requests (the default) flag nests NLA_F_NESTED as libnl does;
 * `kernelReply` writes a reply as the kernel does (no flag, 64-bit counters padded when
 * `pad64`: kernels without efficient unaligned access, such as user-mode-linux; see NlWriter).
 */
export interface EncodeOptions {
  kernelReply?: boolean;
  pad64?: boolean;
}

/** KERNEL_REPLY_UML is the layout of replies from the user-mode-linux guest kernel of the tests. */
export const KERNEL_REPLY_UML: EncodeOptions = { kernelReply: true, pad64: true };

/**
 * encodeIpvsMessage writes the generic netlink payload (struct genlmsghdr + attributes) of one
 * message, as it sits after an 8-aligned struct nlmsghdr. Throws RangeError on an address
 * that does not parse.
 */
export function encodeIpvsMessage(m: IpvsMessage, options: EncodeOptions = {}): Buffer {
  const w = new NlWriter({
    origin: NLMSG_HDRLEN,
    pad64: options.pad64 ?? false,
    nestedFlag: !options.kernelReply,
  });
  const hdr = Buffer.alloc(GENL_HDRLEN);
  hdr.writeUInt8(m.cmd, 0);
  hdr.writeUInt8(m.version ?? K.IPVS_GENL_VERSION, 1);
  w.raw(hdr);
  if (m.info)
    w.u32(K.IPVS_INFO_ATTR_VERSION, m.info.version).u32(K.IPVS_INFO_ATTR_CONN_TAB_SIZE, m.info.connTabSize);
  if (m.service) writeService(w, m.service);
  if (m.dest) writeDest(w, m.dest, m.destFull ?? true);
  if (m.daemon) writeDaemon(w, m.daemon, m.daemonFull ?? true);
  const t = m.timeouts;
  if (t?.tcp !== undefined) w.u32(K.IPVS_CMD_ATTR_TIMEOUT_TCP, t.tcp);
  if (t?.tcpFin !== undefined) w.u32(K.IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t.tcpFin);
  if (t?.udp !== undefined) w.u32(K.IPVS_CMD_ATTR_TIMEOUT_UDP, t.udp);
  if (m.unknown) for (const [type, v] of m.unknown) w.attr(type, v);
  return w.finish();
}

/**
 * decodeIpvsMessage reads one IPVS generic netlink payload. `serviceFamily` helps destinations
 * of old kernels without IPVS_DEST_ATTR_ADDR_FAMILY. A first-level attribute it cannot read
 * makes the answer `ok: false`; unknown ones are kept.
 */
export function decodeIpvsMessage(payload: Buffer, serviceFamily?: 'inet' | 'inet6'): Decoded<IpvsMessage> {
  const g = decodeGenl(payload);
  if (!g)
    return {
      ok: false,
      reason: `generic netlink payload of ${payload.length} bytes is shorter than genlmsghdr`,
    };
  const m: IpvsMessage = { cmd: g.cmd, version: g.version };
  const isInfo = g.cmd === K.IPVS_CMD_SET_INFO || g.cmd === K.IPVS_CMD_GET_INFO;
  const isConfig = g.cmd === K.IPVS_CMD_SET_CONFIG || g.cmd === K.IPVS_CMD_GET_CONFIG;
  for (const a of g.attrs) {
    if (isInfo && (a.type === K.IPVS_INFO_ATTR_VERSION || a.type === K.IPVS_INFO_ATTR_CONN_TAB_SIZE)) {
      m.info ??= { version: 0, connTabSize: 0 };
      const v = readU32(a.data) ?? 0;
      if (a.type === K.IPVS_INFO_ATTR_VERSION) m.info.version = v;
      else m.info.connTabSize = v;
    } else if (!isInfo && a.type === K.IPVS_CMD_ATTR_SERVICE) {
      const s = decodeService(a.data);
      if (!s.ok) return s;
      m.service = s.value;
    } else if (!isInfo && a.type === K.IPVS_CMD_ATTR_DEST) {
      const fam = serviceFamily ?? (m.service && isFullService(m.service) ? m.service.id.family : 'inet');
      const d = decodeDest(a.data, fam);
      if (!d.ok) return d;
      m.dest = d.value;
    } else if (!isInfo && a.type === K.IPVS_CMD_ATTR_DAEMON) {
      const d = decodeDaemon(a.data);
      if (!d.ok) return d;
      m.daemon = d.value;
    } else if (isConfig && a.type >= K.IPVS_CMD_ATTR_TIMEOUT_TCP && a.type <= K.IPVS_CMD_ATTR_TIMEOUT_UDP) {
      m.timeouts ??= {};
      const v = readU32(a.data) ?? 0;
      if (a.type === K.IPVS_CMD_ATTR_TIMEOUT_TCP) m.timeouts.tcp = v;
      else if (a.type === K.IPVS_CMD_ATTR_TIMEOUT_TCP_FIN) m.timeouts.tcpFin = v;
      else m.timeouts.udp = v;
    } else {
      m.unknown ??= new Map();
      m.unknown.set(a.type, Buffer.from(a.data));
    }
  }
  if (g.malformed && g.attrs.length === 0) return { ok: false, reason: g.malformed };
  return { ok: true, value: m };
}

/** encodeCtrlGetFamily is the payload of CTRL_CMD_GETFAMILY for one family name. */
export function encodeCtrlGetFamily(name: string): Buffer {
  return encodeGenl(K.CTRL_CMD_GETFAMILY, 1, [new NlWriter().string(K.CTRL_ATTR_FAMILY_NAME, name).finish()]);
}

/** decodeCtrlFamilyId reads CTRL_ATTR_FAMILY_ID from a CTRL_CMD_NEWFAMILY reply. */
export function decodeCtrlFamilyId(payload: Buffer): number | undefined {
  const g = decodeGenl(payload);
  const a = g?.attrs.find((x) => x.type === K.CTRL_ATTR_FAMILY_ID);
  return a ? readU16(a.data) : undefined;
}
