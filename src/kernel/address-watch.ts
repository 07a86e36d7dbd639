/**
 * watchAddresses follows the addresses of this host as rtnetlink multicasts them
 * (RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR: RTM_NEWADDR / RTM_DELADDR), as keepalived's
 * checker process does for ha_suspend (check_daemon.c update_checker_activity): a VIP the VRRP
 * side adds or removes, or an address added by hand, is reported within milliseconds. An
 * overrun (ENOBUFS: lost notifications) goes to onError: the caller re-reads with listAddresses.
 */
import { type NetlinkMessage, rt } from 'netlink';
import { type InstalledAddress, decodeAddress, netlinkError } from './addresses.js';
import { openRtNetlink, watchMessages } from './netlink-socket.js';

/** AddressChange is one address added to or removed from an interface. */
export interface AddressChange {
  address: InstalledAddress;
  /** added: RTM_NEWADDR (false: RTM_DELADDR). */
  added: boolean;
}

/** AddressWatcher is a subscription to address changes; close() ends it. */
export interface AddressWatcher {
  close(): void;
}

/** watchAddresses calls onChange for every IPv4 / IPv6 address added or removed on this host. */
export function watchAddresses(
  onChange: (change: AddressChange) => void,
  onError?: (e: Error) => void,
): AddressWatcher {
  const socket = openRtNetlink({
    groups: [rt.MulticastGroups.IPV4_IFADDR, rt.MulticastGroups.IPV6_IFADDR],
    ref: false,
    onError: (error) => onError?.(netlinkError('address notifications', error)),
  });
  const names = new Map<number, string>();
  const handle = (messages: NetlinkMessage[]) => {
    for (const m of messages) {
      if (m.type !== rt.MessageType.NEWADDR && m.type !== rt.MessageType.DELADDR) continue;
      let address: InstalledAddress | undefined;
      try {
        address = decodeAddress(rt.parseAddressMessage(m.data), names);
      } catch (error) {
        onError?.(netlinkError('decode address notification', error));
        continue;
      }
      if (address !== undefined) onChange({ address, added: m.type === rt.MessageType.NEWADDR });
    }
  };
  return watchMessages(socket, handle);
}
