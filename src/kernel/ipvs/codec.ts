/**
 * The IPVS generic netlink attribute codec: whole messages, sync daemons, timeouts and info
 * here; services, destinations and statistics in codec-service.ts, codec-dest.ts and
 * codec-stats.ts (re-exported). Between host types (types.ts) and the attributes of linux/ip_vs.h.
 * Pure. Attributes are written in the order the kernel's ip_vs_genl_fill_* functions write
 * them, so a kernel reply decodes and re-encodes to the same bytes; unknown attributes are kept
 * in `unknown`; decoding never throws and reports what it could not read.
 */
import { formatAddress, parseIpv4, parseIpv6 } from '../../vrrp/address.js';
import * as K from './constants.js';
import { GENL_HDRLEN } from './constants.js';
import { NLMSG_HDRLEN } from '../netlink-constants.js';
import type { Decoded } from './codec-base.js';
import { isFullService, writeService, decodeService } from './codec-service.js';
import { writeDest, decodeDest } from './codec-dest.js';
import { decodeGenl, encodeGenl } from './genlmsg.js';
import { NlWriter, parseAttrs, readString, readU8, readU16, readU32 } from '../nlmsg.js';
import type {
  IpvsDestination,
  IpvsInfo,
  IpvsService,
  IpvsServiceId,
  IpvsSyncDaemon,
  IpvsTimeouts,
} from './types.js';

export * from './codec-base.js';
export * from './codec-dest.js';
export * from './codec-service.js';
export * from './codec-stats.js';

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
