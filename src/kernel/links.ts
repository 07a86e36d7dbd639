import { KeepvipError, SystemCallError } from '../util/errors.js';
import { type InstalledAddress, listAddresses, netlinkError, rtnetlink } from './addresses.js';
import type { NlMessage } from './nlmsg.js';
import { openRtNetlink } from './rtnetlink.js';
import { IFF_LOWER_UP, IFF_UP, RTM_DELLINK, RTM_NEWLINK, RTNLGRP_LINK } from './rtnetlink-constants.js';
import { decodeLinkMessage, type LinkMessage } from './rtnetlink-structs.js';

/** LinkState is an interface as rtnetlink reports it (RTM_NEWLINK). */
export interface LinkState {
  index: number;
  name: string;
  /** mac is IFLA_ADDRESS as aa:bb:cc:dd:ee:ff; '' for links without one. */
  mac: string;
  /** up is IFF_UP: administratively up. */
  up: boolean;
  /** carrier is IFLA_CARRIER: the lower layer has a link (a veth whose peer is down has none). */
  carrier: boolean;
  mtu: number;
  /** deleted is set when the change is the link's removal (RTM_DELLINK). */
  deleted?: boolean;
}

/** formatMac renders a hardware address as lower-case colon-separated hex. */
export function formatMac(bytes: Buffer | undefined): string {
  return bytes ? [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':') : '';
}

/** decodeLink turns an RTM_NEWLINK/RTM_DELLINK payload into a LinkState. */
export function decodeLink(m: LinkMessage, deleted = false): LinkState {
  return {
    index: m.data.index,
    name: m.attrs.ifname ?? '',
    mac: formatMac(m.attrs.address),
    up: (m.data.flags & IFF_UP) !== 0,
    // IFLA_CARRIER exists since Linux 3.x; older kernels only give IFF_LOWER_UP in the flags.
    carrier: m.attrs.carrier !== undefined ? m.attrs.carrier === 1 : (m.data.flags & IFF_LOWER_UP) !== 0,
    mtu: m.attrs.mtu ?? 0,
    ...(deleted && { deleted: true }),
  };
}

/** getLink reads one interface by name; throws SystemCallError ENODEV when there is none. */
export async function getLink(ifname: string): Promise<LinkState> {
  try {
    const [link] = await rtnetlink().getLink({}, { ifname });
    if (!link) throw new SystemCallError(`get link ${ifname}`, 'ENODEV');
    return decodeLink(link);
  } catch (error) {
    throw netlinkError(`get link ${ifname}`, error);
  }
}

/** isUsable says whether an address can be a source now: not tentative and DAD did not fail. */
function isUsable(a: InstalledAddress): boolean {
  return !a.flags.tentative && !a.flags.dadfailed;
}

/**
 * getPrimaryAddress returns the address VRRP adverts go out from, as keepalived picks it: for
 * inet the interface's first primary (non-secondary) IPv4 address; for inet6 its link-local
 * address (RFC 5798 5.1.2.1: the IPv6 source is the link-local address). An IPv6 link-local
 * address still in duplicate address detection is skipped, since the kernel refuses to send
 * from it: undefined means "none usable yet", and the caller retries.
 */
export async function getPrimaryAddress(
  ifname: string,
  family: 'inet' | 'inet6',
): Promise<string | undefined> {
  const addresses = await listAddresses(ifname);
  const found =
    family === 'inet'
      ? addresses.find((a) => a.family === 'inet' && !a.flags.secondary)
      : addresses.find((a) => a.family === 'inet6' && a.scope === 'link' && isUsable(a));
  return found?.address;
}

/** LinkWatcher is a subscription to link changes; close() ends it. */
export interface LinkWatcher {
  close(): void;
}

/**
 * watchLinks calls onChange for every RTM_NEWLINK / RTM_DELLINK the kernel multicasts on
 * RTNLGRP_LINK (carrier, admin state, MTU, MAC, rename, removal). The kernel sends these as
 * the change happens, so a carrier loss is reported within milliseconds. Messages repeat the
 * whole link; callers compare with what they knew. Keeps the event loop alive until closed.
 */
export function watchLinks(onChange: (link: LinkState) => void, onError?: (e: Error) => void): LinkWatcher {
  // The addon socket (netlink-socket.ts) has a 4 MiB queue and reports an overrun (ENOBUFS: lost
  // notifications) as an error instead of aborting: the caller must then re-read its links.
  const handle = (messages: NlMessage[]) => {
    for (const m of messages) {
      if (m.type !== RTM_NEWLINK && m.type !== RTM_DELLINK) continue;
      const decoded = decodeLinkMessage(m.payload);
      if (!decoded) {
        onError?.(
          new KeepvipError('E_NETLINK', `decode link notification failed: ${m.payload.length} bytes`),
        );
        continue;
      }
      onChange(decodeLink(decoded, m.type === RTM_DELLINK));
    }
  };
  const socket = openRtNetlink({
    groups: [RTNLGRP_LINK],
    ref: true,
    onNotification: handle,
    onError: (error) => onError?.(netlinkError('link notifications', error)),
  });
  return { close: () => socket.close() };
}
