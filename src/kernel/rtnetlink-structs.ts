/**
 * The rtnetlink messages keepvip sends and reads, to and from bytes: struct ifaddrmsg
 * (linux/if_addr.h), struct ifinfomsg (linux/if_link.h), struct rtmsg (linux/rtnetlink.h) and
 * struct fib_rule_hdr (linux/fib_rules.h), each followed by its attributes. Only the fields and
 * attributes keepvip uses; the comment after each field names its kernel member. Decoders never
 * throw on bytes from the kernel: a short header is undefined, a cut attribute run `malformed`.
 */
import { NlWriter, parseAttrs, readString, readU8, readU32 } from './nlmsg.js';
import * as R from './rtnetlink-constants.js';

/** IfAddrMsg is struct ifaddrmsg. */
export interface IfAddrMsg {
  family: number; // ifa_family
  prefixlen: number; // ifa_prefixlen
  flags: number; // ifa_flags: the low 8 IFA_F_* bits
  scope: number; // ifa_scope
  index: number; // ifa_index
}

/** AddressAttrs are the IFA_* attributes keepvip uses. */
export interface AddressAttrs {
  address?: Buffer; // IFA_ADDRESS
  local?: Buffer; // IFA_LOCAL
  label?: string; // IFA_LABEL
  broadcast?: Buffer; // IFA_BROADCAST
  flags?: number; // IFA_FLAGS: all 32 IFA_F_* bits
}

/** AddressMessage is one RTM_NEWADDR / RTM_DELADDR. */
export interface AddressMessage {
  data: IfAddrMsg;
  attrs: AddressAttrs;
  /** malformed says why the attribute run stopped early (the attributes before it are kept). */
  malformed?: string;
}

/** IfInfoMsg is struct ifinfomsg. */
export interface IfInfoMsg {
  family: number; // ifi_family
  type: number; // ifi_type: ARPHRD_*
  index: number; // ifi_index
  flags: number; // ifi_flags: IFF_*
  change: number; // ifi_change: the IFF_* bits a RTM_SETLINK changes
}

/** LinkAttrs are the IFLA_* attributes keepvip uses. */
export interface LinkAttrs {
  address?: Buffer; // IFLA_ADDRESS
  ifname?: string; // IFLA_IFNAME
  mtu?: number; // IFLA_MTU
  link?: number; // IFLA_LINK: the lower interface's index
  linkinfo?: Buffer; // IFLA_LINKINFO, the nest as bytes (vmac.ts reads and writes it)
  carrier?: number; // IFLA_CARRIER
}

/** LinkMessage is one RTM_NEWLINK / RTM_DELLINK. */
export interface LinkMessage {
  data: IfInfoMsg;
  attrs: LinkAttrs;
  malformed?: string;
}

/** RtMsg is struct rtmsg. */
export interface RtMsg {
  family: number; // rtm_family
  dstLen: number; // rtm_dst_len
  srcLen: number; // rtm_src_len
  tos: number; // rtm_tos
  table: number; // rtm_table: RT_TABLE_COMPAT when the id is above 255 (then RTA_TABLE)
  protocol: number; // rtm_protocol: RTPROT_*
  scope: number; // rtm_scope
  type: number; // rtm_type: RTN_*
  flags: number; // rtm_flags: RTNH_F_*
}

/** RouteAttrs are the RTA_* attributes keepvip uses. */
export interface RouteAttrs {
  dst?: Buffer; // RTA_DST
  src?: Buffer; // RTA_SRC
  oif?: number; // RTA_OIF
  gateway?: Buffer; // RTA_GATEWAY
  priority?: number; // RTA_PRIORITY: the metric
  prefsrc?: Buffer; // RTA_PREFSRC
  table?: number; // RTA_TABLE
}

/** FibRuleHdr is struct fib_rule_hdr. */
export interface FibRuleHdr {
  family: number;
  dstLen: number; // dst_len
  srcLen: number; // src_len
  tos: number;
  table: number; // 0 when the id is above 255 (then FRA_TABLE)
  action: number; // FR_ACT_*
  flags: number; // FIB_RULE_*
}

/** RuleAttrs are the FRA_* attributes keepvip uses. */
export interface RuleAttrs {
  dst?: Buffer; // FRA_DST
  src?: Buffer; // FRA_SRC
  iifname?: string; // FRA_IIFNAME
  oifname?: string; // FRA_OIFNAME
  priority?: number; // FRA_PRIORITY
  fwmark?: number; // FRA_FWMARK
  fwmask?: number; // FRA_FWMASK
  table?: number; // FRA_TABLE
  protocol?: number; // FRA_PROTOCOL (u8)
}

/** AddressFlags are the IFA_F_* bits by name, as `ip addr` shows them; __unknown keeps any other bits. */
export interface AddressFlags {
  secondary?: boolean;
  nodad?: boolean;
  optimistic?: boolean;
  dadfailed?: boolean;
  homeaddress?: boolean;
  deprecated?: boolean;
  tentative?: boolean;
  permanent?: boolean;
  managetempaddr?: boolean;
  noprefixroute?: boolean;
  mcautojoin?: boolean;
  stablePrivacy?: boolean;
  __unknown?: number;
}

const ADDRESS_FLAG_NAMES: readonly [number, Exclude<keyof AddressFlags, '__unknown'>][] = [
  [R.IFA_F_SECONDARY, 'secondary'],
  [R.IFA_F_NODAD, 'nodad'],
  [R.IFA_F_OPTIMISTIC, 'optimistic'],
  [R.IFA_F_DADFAILED, 'dadfailed'],
  [R.IFA_F_HOMEADDRESS, 'homeaddress'],
  [R.IFA_F_DEPRECATED, 'deprecated'],
  [R.IFA_F_TENTATIVE, 'tentative'],
  [R.IFA_F_PERMANENT, 'permanent'],
  [R.IFA_F_MANAGETEMPADDR, 'managetempaddr'],
  [R.IFA_F_NOPREFIXROUTE, 'noprefixroute'],
  [R.IFA_F_MCAUTOJOIN, 'mcautojoin'],
  [R.IFA_F_STABLE_PRIVACY, 'stablePrivacy'],
];

/** addressFlags names the IFA_F_* bits of a mask. */
export function addressFlags(mask: number): AddressFlags {
  const out: AddressFlags = {};
  let rest = mask >>> 0;
  for (const [bit, name] of ADDRESS_FLAG_NAMES) {
    if (!(rest & bit)) continue;
    out[name] = true;
    rest &= ~bit;
  }
  if (rest) out.__unknown = rest >>> 0;
  return out;
}

/** encodeAddress frames an ifaddrmsg and its attributes (RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR). */
export function encodeAddress(data: Partial<IfAddrMsg>, attrs: AddressAttrs = {}): Buffer {
  const hdr = Buffer.alloc(R.IFADDRMSG_LEN);
  hdr.writeUInt8(data.family ?? 0, 0);
  hdr.writeUInt8(data.prefixlen ?? 0, 1);
  hdr.writeUInt8((data.flags ?? 0) & 0xff, 2);
  hdr.writeUInt8(data.scope ?? 0, 3);
  hdr.writeUInt32LE((data.index ?? 0) >>> 0, 4);
  const w = new NlWriter().raw(hdr);
  if (attrs.address) w.attr(R.IFA_ADDRESS, attrs.address);
  if (attrs.local) w.attr(R.IFA_LOCAL, attrs.local);
  if (attrs.label !== undefined) w.string(R.IFA_LABEL, attrs.label);
  if (attrs.broadcast) w.attr(R.IFA_BROADCAST, attrs.broadcast);
  if (attrs.flags !== undefined) w.u32(R.IFA_FLAGS, attrs.flags);
  return w.finish();
}

/** decodeAddressMessage reads an RTM_NEWADDR / RTM_DELADDR payload; undefined when shorter than ifaddrmsg. */
export function decodeAddressMessage(payload: Buffer): AddressMessage | undefined {
  if (payload.length < R.IFADDRMSG_LEN) return undefined;
  const data: IfAddrMsg = {
    family: payload.readUInt8(0),
    prefixlen: payload.readUInt8(1),
    flags: payload.readUInt8(2),
    scope: payload.readUInt8(3),
    index: payload.readUInt32LE(4),
  };
  const { attrs: list, malformed } = parseAttrs(payload.subarray(R.IFADDRMSG_LEN));
  const attrs: AddressAttrs = {};
  for (const a of list) {
    if (a.type === R.IFA_ADDRESS) attrs.address = a.data;
    else if (a.type === R.IFA_LOCAL) attrs.local = a.data;
    else if (a.type === R.IFA_LABEL) attrs.label = readString(a.data);
    else if (a.type === R.IFA_BROADCAST) attrs.broadcast = a.data;
    else if (a.type === R.IFA_FLAGS) attrs.flags = readU32(a.data);
  }
  return { data, attrs, ...(malformed && { malformed }) };
}

/** encodeLink frames an ifinfomsg and its attributes (RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK). */
export function encodeLink(data: Partial<IfInfoMsg>, attrs: LinkAttrs = {}): Buffer {
  const hdr = Buffer.alloc(R.IFINFOMSG_LEN);
  hdr.writeUInt8(data.family ?? 0, 0);
  hdr.writeUInt16LE(data.type ?? 0, 2);
  hdr.writeInt32LE(data.index ?? 0, 4);
  hdr.writeUInt32LE((data.flags ?? 0) >>> 0, 8);
  hdr.writeUInt32LE((data.change ?? 0) >>> 0, 12);
  const w = new NlWriter().raw(hdr);
  if (attrs.address) w.attr(R.IFLA_ADDRESS, attrs.address);
  if (attrs.ifname !== undefined) w.string(R.IFLA_IFNAME, attrs.ifname);
  if (attrs.mtu !== undefined) w.u32(R.IFLA_MTU, attrs.mtu);
  if (attrs.link !== undefined) w.u32(R.IFLA_LINK, attrs.link);
  // The nest goes as it came, without NLA_F_NESTED, as iproute2 sends IFLA_LINKINFO.
  if (attrs.linkinfo) w.attr(R.IFLA_LINKINFO, attrs.linkinfo);
  if (attrs.carrier !== undefined) w.u8(R.IFLA_CARRIER, attrs.carrier);
  return w.finish();
}

/** decodeLinkMessage reads an RTM_NEWLINK / RTM_DELLINK payload; undefined when shorter than ifinfomsg. */
export function decodeLinkMessage(payload: Buffer): LinkMessage | undefined {
  if (payload.length < R.IFINFOMSG_LEN) return undefined;
  const data: IfInfoMsg = {
    family: payload.readUInt8(0),
    type: payload.readUInt16LE(2),
    index: payload.readInt32LE(4),
    flags: payload.readUInt32LE(8),
    change: payload.readUInt32LE(12),
  };
  const { attrs: list, malformed } = parseAttrs(payload.subarray(R.IFINFOMSG_LEN));
  const attrs: LinkAttrs = {};
  for (const a of list) {
    if (a.type === R.IFLA_ADDRESS) attrs.address = a.data;
    else if (a.type === R.IFLA_IFNAME) attrs.ifname = readString(a.data);
    else if (a.type === R.IFLA_MTU) attrs.mtu = readU32(a.data);
    else if (a.type === R.IFLA_LINK) attrs.link = readU32(a.data);
    else if (a.type === R.IFLA_LINKINFO) attrs.linkinfo = a.data;
    else if (a.type === R.IFLA_CARRIER) attrs.carrier = readU8(a.data);
  }
  return { data, attrs, ...(malformed && { malformed }) };
}

/** encodeRoute frames an rtmsg and its attributes (RTM_NEWROUTE, RTM_DELROUTE). */
export function encodeRoute(data: Partial<RtMsg>, attrs: RouteAttrs = {}): Buffer {
  const hdr = Buffer.alloc(R.RTMSG_LEN);
  hdr.writeUInt8(data.family ?? 0, 0);
  hdr.writeUInt8(data.dstLen ?? 0, 1);
  hdr.writeUInt8(data.srcLen ?? 0, 2);
  hdr.writeUInt8(data.tos ?? 0, 3);
  hdr.writeUInt8(data.table ?? 0, 4);
  hdr.writeUInt8(data.protocol ?? 0, 5);
  hdr.writeUInt8(data.scope ?? 0, 6);
  hdr.writeUInt8(data.type ?? 0, 7);
  hdr.writeUInt32LE((data.flags ?? 0) >>> 0, 8);
  const w = new NlWriter().raw(hdr);
  if (attrs.dst) w.attr(R.RTA_DST, attrs.dst);
  if (attrs.src) w.attr(R.RTA_SRC, attrs.src);
  if (attrs.oif !== undefined) w.u32(R.RTA_OIF, attrs.oif);
  if (attrs.gateway) w.attr(R.RTA_GATEWAY, attrs.gateway);
  if (attrs.priority !== undefined) w.u32(R.RTA_PRIORITY, attrs.priority);
  if (attrs.prefsrc) w.attr(R.RTA_PREFSRC, attrs.prefsrc);
  if (attrs.table !== undefined) w.u32(R.RTA_TABLE, attrs.table);
  return w.finish();
}

/** encodeRule frames a fib_rule_hdr and its attributes (RTM_NEWRULE, RTM_DELRULE). */
export function encodeRule(data: Partial<FibRuleHdr>, attrs: RuleAttrs = {}): Buffer {
  const hdr = Buffer.alloc(R.FIB_RULE_HDR_LEN);
  hdr.writeUInt8(data.family ?? 0, 0);
  hdr.writeUInt8(data.dstLen ?? 0, 1);
  hdr.writeUInt8(data.srcLen ?? 0, 2);
  hdr.writeUInt8(data.tos ?? 0, 3);
  hdr.writeUInt8(data.table ?? 0, 4);
  // bytes 5 and 6 are res1, res2
  hdr.writeUInt8(data.action ?? 0, 7);
  hdr.writeUInt32LE((data.flags ?? 0) >>> 0, 8);
  const w = new NlWriter().raw(hdr);
  if (attrs.dst) w.attr(R.FRA_DST, attrs.dst);
  if (attrs.src) w.attr(R.FRA_SRC, attrs.src);
  if (attrs.iifname !== undefined) w.string(R.FRA_IIFNAME, attrs.iifname);
  if (attrs.priority !== undefined) w.u32(R.FRA_PRIORITY, attrs.priority);
  if (attrs.fwmark !== undefined) w.u32(R.FRA_FWMARK, attrs.fwmark);
  if (attrs.table !== undefined) w.u32(R.FRA_TABLE, attrs.table);
  if (attrs.fwmask !== undefined) w.u32(R.FRA_FWMASK, attrs.fwmask);
  if (attrs.oifname !== undefined) w.string(R.FRA_OIFNAME, attrs.oifname);
  if (attrs.protocol !== undefined) w.u8(R.FRA_PROTOCOL, attrs.protocol);
  return w.finish();
}
