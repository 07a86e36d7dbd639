import { openVrrpSocket4 } from './vrrp-socket4.js';
import { openVrrpSocket6 } from './vrrp-socket6.js';
import type { VrrpSocket, VrrpSocketOptions } from './vrrp-socket-types.js';

export { IPPROTO_VRRP } from '../vrrp/packet.js';
export type { ReceivedPacket, VrrpSocket, VrrpSocketOptions } from './vrrp-socket-types.js';

/** VRRP_GROUP_INET is the IPv4 VRRP multicast group (RFC 5798 section 5.1.1.2). */
export const VRRP_GROUP_INET = '224.0.0.18';

/** VRRP_GROUP_INET6 is the IPv6 VRRP multicast group (RFC 5798 section 5.1.2.2). */
export const VRRP_GROUP_INET6 = 'ff02::12';

/**
 * openVrrpSocket opens one IP-protocol-112 socket bound to an interface; one per interface and
 * family, shared by instances. Throws SystemCallError (errno kept) when the kernel refuses.
 */
export function openVrrpSocket(o: VrrpSocketOptions): VrrpSocket {
  return o.family === 'inet' ? openVrrpSocket4(o) : openVrrpSocket6(o);
}
