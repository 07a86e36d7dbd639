/**
 * watchAddresses follows the addresses of this host as rtnetlink multicasts them
 * (RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR: RTM_NEWADDR / RTM_DELADDR), as keepalived's
 * checker process does for ha_suspend (check_daemon.c update_checker_activity): a VIP the VRRP
 * side adds or removes, or an address added by hand, is reported within milliseconds. An
 * overrun (ENOBUFS: lost notifications) goes to onError: the caller re-reads with listAddresses.
 */
import { KeepvipError } from '../util/errors.js';
import { decodeAddress, type InstalledAddress, netlinkError } from './addresses.js';
import type { NlMessage } from './nlmsg.js';
import { openRtNetlink } from './rtnetlink.js';
import { RTM_DELADDR, RTM_NEWADDR, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR } from './rtnetlink-constants.js';
import { decodeAddressMessage } from './rtnetlink-structs.js';

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
  const names = new Map<number, string>();
  const handle = (messages: NlMessage[]) => {
    for (const m of messages) {
      if (m.type !== RTM_NEWADDR && m.type !== RTM_DELADDR) continue;
      const decoded = decodeAddressMessage(m.payload);
      if (!decoded) {
        onError?.(
          new KeepvipError('E_NETLINK', `decode address notification failed: ${m.payload.length} bytes`),
        );
        continue;
      }
      const address = decodeAddress(decoded, names);
      if (address !== undefined) onChange({ address, added: m.type === RTM_NEWADDR });
    }
  };
  const socket = openRtNetlink({
    groups: [RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR],
    ref: false,
    onNotification: handle,
    onError: (error) => onError?.(netlinkError('address notifications', error)),
  });
  return { close: () => socket.close() };
}
