import { formatAddress, parseIpv4, parseIpv6 } from '../vrrp/address.js';
import { isIPv4, isIPv6 } from 'node:net';
import { KeepvipError, SystemCallError } from '../util/errors.js';
import { type Logger, silentLogger } from '../util/logger.js';
import { NLM_F_CREATE, NLM_F_EXCL } from './netlink-constants.js';
import { IFA_F_NODAD } from './rtnetlink-constants.js';
import { openRtNetlink, type RtNetlinkSocket } from './rtnetlink.js';
import {
  type AddressAttrs,
  type AddressFlags,
  type AddressMessage,
  addressFlags,
  type IfAddrMsg,
} from './rtnetlink-structs.js';

/** AF_INET and AF_INET6 as rtnetlink wants them in ifa_family (linux/socket.h). */
export const AF_INET = 2;
export const AF_INET6 = 10;

/** IFNAMSIZ bounds interface names and IFA_LABEL, NUL included (linux/if.h). */
const IFNAMSIZ = 16;

/** VipAddress is an address as keepalived's virtual_ipaddress describes it, device resolved. */
export interface VipAddress {
  address: string;
  family: 'inet' | 'inet6';
  prefixLength: number;
  /** dev is the interface name. */
  dev: string;
  /** brd is the IPv4 broadcast address (IFA_BROADCAST), or '+' to derive it from the prefix. */
  brd?: string;
  /** scope is a name (global, site, link, host, nowhere) or a number (ifa_scope). */
  scope?: string | number;
  /** label is the IPv4 label (IFA_LABEL); it must start with the interface name. */
  label?: string;
}

/** InstalledAddress is one address the kernel reports on an interface. */
export interface InstalledAddress {
  address: string;
  family: 'inet' | 'inet6';
  prefixLength: number;
  dev: string;
  index: number;
  brd?: string;
  scope: string;
  label?: string;
  /** flags are the IFA_F_* flags that matter to keepvip (secondary, nodad, tentative...). */
  flags: AddressFlags;
}

/** RT_SCOPE maps scope names to rtm_scope values (linux/rtnetlink.h enum rt_scope_t). */
export const RT_SCOPE: Record<string, number> = {
  global: 0,
  universe: 0,
  site: 200,
  link: 253,
  host: 254,
  nowhere: 255,
};

let shared: RtNetlinkSocket | undefined;
const overrunListeners = new Set<(error: Error) => void>();

/**
 * onNetlinkError registers a listener for errors of the shared request socket (ENOBUFS: the
 * kernel overran its queue and replies were lost; the requests waiting for them have failed, so
 * the owner re-reads and re-applies its address state). Returns the unsubscribe function.
 */
export function onNetlinkError(listener: (error: Error) => void): () => void {
  overrunListeners.add(listener);
  return () => overrunListeners.delete(listener);
}

/**
 * rtnetlink returns the process's request socket, created on first use. It does not keep the
 * event loop alive between requests, and lives in the network namespace current at creation.
 * It runs on the addon's netlink socket (netlink-socket.ts): an overrun fails the pending
 * requests instead of aborting the process.
 */
export function rtnetlink(): RtNetlinkSocket {
  if (shared) return shared;
  const socket = openRtNetlink({
    onError: (error) => {
      forgetLinkIndex();
      for (const listener of overrunListeners) listener(error);
    },
  });
  shared = socket;
  return socket;
}

/** closeRtnetlink closes the shared request socket (tests, shutdown); the next call reopens it. */
export function closeRtnetlink(): void {
  shared?.close();
  shared = undefined;
}

/**
 * netlinkErrno is the errno name of a failed netlink request: the kernel's answer
 * (NetlinkRequestError), a socket error (ENOBUFS), or a SystemCallError of ours; undefined
 * when there is none (a timeout).
 */
export function netlinkErrno(error: unknown): string | undefined {
  if (error instanceof SystemCallError) return error.errno;
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** netlinkError wraps a netlink failure as SystemCallError, keeping the errno name. */
export function netlinkError(operation: string, error: unknown): KeepvipError {
  if (error instanceof KeepvipError) return error;
  const errno = netlinkErrno(error);
  if (errno) return new SystemCallError(operation, errno);
  return new KeepvipError('E_NETLINK', `${operation} failed: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
  });
}

/**
 * indexCache remembers interface indexes so adding a VIP at takeover costs one netlink round
 * trip, not two. forgetLinkIndex drops entries when links change (the link watch calls it) and
 * a failed request retries with a fresh lookup.
 */
const indexCache = new Map<string, number>();
/** lookups shares one in-flight RTM_GETLINK per name: 255 instances starting at once ask once. */
const lookups = new Map<string, Promise<number>>();

/** forgetLinkIndex drops the cached index of one interface, or of all. */
export function forgetLinkIndex(ifname?: string): void {
  if (ifname === undefined) indexCache.clear();
  else indexCache.delete(ifname);
}

/** linkIndex resolves an interface name with RTM_GETLINK + IFLA_IFNAME; ENODEV when absent. */
export async function linkIndex(ifname: string): Promise<number> {
  const cached = indexCache.get(ifname);
  if (cached !== undefined) return cached;
  let lookup = lookups.get(ifname);
  if (!lookup) {
    lookup = lookUpLinkIndex(ifname).finally(() => lookups.delete(ifname));
    lookups.set(ifname, lookup);
  }
  return lookup;
}

/** lookUpLinkIndex asks the kernel for one interface's index and caches it. */
async function lookUpLinkIndex(ifname: string): Promise<number> {
  try {
    const [link] = await rtnetlink().getLink({}, { ifname });
    if (link?.data.index === undefined) throw new SystemCallError(`look up ${ifname}`, 'ENODEV');
    indexCache.set(ifname, link.data.index);
    return link.data.index;
  } catch (error) {
    throw netlinkError(`look up interface ${ifname}`, error);
  }
}

/** addressToBytes encodes an IPv4 or IPv6 text address in network order; throws E_ADDRESS if invalid. */
export function addressToBytes(address: string): Buffer {
  const bytes = parseIpv4(address) ?? parseIpv6(address.replace(/%.*$/, ''));
  if (!bytes) throw new KeepvipError('E_ADDRESS', `not an IP address: ${address}`);
  return bytes;
}

/** bytesToAddress formats 4 or 16 network-order bytes as text (RFC 5952 form for IPv6). */
export function bytesToAddress(bytes: Buffer): string {
  return formatAddress(bytes.length === 4 ? 'inet' : 'inet6', bytes);
}

/** scopeNumber resolves a scope name or number to ifa_scope; throws E_ADDRESS_SCOPE when unknown. */
export function scopeNumber(scope: string | number | undefined): number {
  if (scope === undefined) return RT_SCOPE.global!;
  if (typeof scope === 'number') return scope;
  const n = RT_SCOPE[scope] ?? (/^\d+$/.test(scope) ? Number(scope) : undefined);
  if (n === undefined || n > 255)
    throw new KeepvipError('E_ADDRESS_SCOPE', `unknown address scope "${scope}"`);
  return n;
}

/** scopeName names an ifa_scope value the way `ip addr` prints it. */
export function scopeName(scope: number | undefined): string {
  const names: Record<number, string> = {
    0: 'global',
    200: 'site',
    253: 'link',
    254: 'host',
    255: 'nowhere',
  };
  return names[scope ?? 0] ?? String(scope);
}

/** broadcastFor derives the IPv4 broadcast address of address/prefixLength (`brd +`). */
export function broadcastFor(address: string, prefixLength: number): string {
  const value = addressToBytes(address).readUInt32BE(0);
  const host = prefixLength >= 32 ? 0 : 0xffffffff >>> prefixLength;
  const out = Buffer.alloc(4);
  out.writeUInt32BE((value | host) >>> 0, 0);
  return bytesToAddress(out);
}

/** describe renders a VIP for messages, like keepalived's log lines. */
function describe(vip: VipAddress): string {
  return `${vip.address}/${vip.prefixLength} dev ${vip.dev}`;
}

/** validate checks what the kernel would reject less clearly; throws KeepvipError with a code. */
function validate(vip: VipAddress): void {
  const inet = vip.family === 'inet';
  if (inet ? !isIPv4(vip.address) : !isIPv6(vip.address)) {
    throw new KeepvipError('E_ADDRESS', `${vip.address} is not an ${inet ? 'IPv4' : 'IPv6'} address`);
  }
  if (!Number.isInteger(vip.prefixLength) || vip.prefixLength < 0 || vip.prefixLength > (inet ? 32 : 128)) {
    throw new KeepvipError('E_ADDRESS', `prefix length ${vip.prefixLength} out of range for ${vip.address}`);
  }
  if (vip.label !== undefined) {
    if (!inet)
      throw new KeepvipError('E_ADDRESS_LABEL', `label "${vip.label}" given for IPv6 ${vip.address}`);
    // The label names an alias of dev (eth0:vip); iproute2 rejects "Label must begin with interface name".
    if (!vip.label.startsWith(vip.dev)) {
      throw new KeepvipError(
        'E_ADDRESS_LABEL',
        `label "${vip.label}" for ${vip.address} must begin with the interface name "${vip.dev}"`,
      );
    }
    if (vip.label.length >= IFNAMSIZ) {
      throw new KeepvipError(
        'E_ADDRESS_LABEL',
        `label "${vip.label}" longer than ${IFNAMSIZ - 1} characters`,
      );
    }
  }
  if (vip.brd !== undefined && (!inet || (vip.brd !== '+' && !isIPv4(vip.brd)))) {
    throw new KeepvipError('E_ADDRESS', `broadcast "${vip.brd}" invalid for ${vip.address}`);
  }
}

/** request builds the ifaddrmsg and attributes shared by RTM_NEWADDR and RTM_DELADDR. */
function request(vip: VipAddress, index: number): { data: IfAddrMsg; attrs: AddressAttrs } {
  const bytes = addressToBytes(vip.address);
  const inet = vip.family === 'inet';
  // IFA_F_NODAD: keepalived adds IPv6 VIPs without duplicate address detection so they are
  // usable at once (a tentative address cannot be bound or answer neighbour solicitations).
  const flags = inet ? 0 : IFA_F_NODAD;
  const data: IfAddrMsg = {
    family: inet ? AF_INET : AF_INET6,
    prefixlen: vip.prefixLength,
    flags,
    scope: scopeNumber(vip.scope),
    index,
  };
  const attrs: AddressAttrs = {
    local: bytes, // IFA_LOCAL
    address: bytes, // IFA_ADDRESS: same as local on broadcast links, as iproute2 sends it
    ...(flags && { flags }), // IFA_FLAGS
  };
  if (vip.brd !== undefined) {
    const brd = vip.brd === '+' ? broadcastFor(vip.address, vip.prefixLength) : vip.brd;
    attrs.broadcast = addressToBytes(brd); // IFA_BROADCAST
  }
  if (vip.label !== undefined) attrs.label = vip.label; // IFA_LABEL
  return { data, attrs };
}

/**
 * addAddress adds a VIP with RTM_NEWADDR (NLM_F_CREATE|NLM_F_EXCL). An address that is already
 * there (EEXIST) counts as done, so re-adding is a no-op; other failures throw SystemCallError.
 */
export async function addAddress(vip: VipAddress, log: Logger = silentLogger): Promise<void> {
  validate(vip);
  const cached = indexCache.has(vip.dev);
  const index = await linkIndex(vip.dev);
  const { data, attrs } = request(vip, index);
  try {
    await rtnetlink().newAddress(data, attrs, NLM_F_CREATE | NLM_F_EXCL);
  } catch (error) {
    if (cached && netlinkErrno(error) === 'ENODEV') {
      // The interface was re-created under a new index since we cached it: look it up again.
      forgetLinkIndex(vip.dev);
      return addAddress(vip, log);
    }
    if (netlinkErrno(error) === 'EEXIST') {
      log.debug(`address ${describe(vip)} already present`);
      return;
    }
    throw netlinkError(`add address ${describe(vip)}`, error);
  }
}

/**
 * deleteAddress removes a VIP with RTM_DELADDR. An address that is not there (EADDRNOTAVAIL,
 * ENOENT) or whose interface is gone (ENODEV) counts as done; other failures throw.
 */
export async function deleteAddress(vip: VipAddress, log: Logger = silentLogger): Promise<void> {
  validate(vip);
  let index: number;
  try {
    index = await linkIndex(vip.dev);
  } catch (error) {
    if (error instanceof SystemCallError && error.errno === 'ENODEV') {
      log.debug(`interface ${vip.dev} gone, address ${describe(vip)} with it`);
      return;
    }
    throw error;
  }
  const { data, attrs } = request(vip, index);
  try {
    await rtnetlink().delAddress(data, { local: attrs.local, address: attrs.address });
  } catch (error) {
    const errno = netlinkErrno(error);
    if (errno === 'EADDRNOTAVAIL' || errno === 'ENOENT') {
      log.debug(`address ${describe(vip)} already absent`);
      return;
    }
    throw netlinkError(`delete address ${describe(vip)}`, error);
  }
}

/** decodeAddress turns an RTM_NEWADDR message into an InstalledAddress; undefined for other families. */
export function decodeAddress(m: AddressMessage, names: Map<number, string>): InstalledAddress | undefined {
  const family = m.data.family === AF_INET ? 'inet' : m.data.family === AF_INET6 ? 'inet6' : undefined;
  // IPv4 keeps our address in IFA_LOCAL (IFA_ADDRESS is the peer on point-to-point links);
  // IPv6 sends IFA_ADDRESS alone unless a peer is set.
  const bytes = m.attrs.local ?? m.attrs.address;
  if (!family || !bytes) return undefined;
  const index = m.data.index;
  return {
    address: bytesToAddress(bytes),
    family,
    prefixLength: m.data.prefixlen,
    dev: names.get(index) ?? String(index),
    index,
    ...(m.attrs.broadcast && { brd: bytesToAddress(m.attrs.broadcast) }),
    scope: scopeName(m.data.scope),
    ...(m.attrs.label !== undefined && { label: m.attrs.label }),
    // IFA_FLAGS has all 32 bits; kernels before 3.14 send only the 8 of ifa_flags.
    flags: addressFlags(m.attrs.flags ?? m.data.flags),
  };
}

/** listAddresses dumps the addresses of every interface, or of ifname only, in kernel order. */
export async function listAddresses(ifname?: string): Promise<InstalledAddress[]> {
  try {
    const links = await rtnetlink().getLinks();
    const names = new Map(links.map((l) => [l.data.index, l.attrs.ifname ?? '']));
    const wanted = ifname === undefined ? undefined : [...names].find(([, name]) => name === ifname)?.[0];
    if (ifname !== undefined && wanted === undefined)
      throw new SystemCallError(`list addresses of ${ifname}`, 'ENODEV');
    const messages = await rtnetlink().getAddresses();
    return messages
      .filter((m) => wanted === undefined || m.data.index === wanted)
      .map((m) => decodeAddress(m, names))
      .filter((a): a is InstalledAddress => a !== undefined);
  } catch (error) {
    throw netlinkError(`list addresses${ifname ? ` of ${ifname}` : ''}`, error);
  }
}
