import { SystemCallError } from '../util/errors.js';
import { callNative, loadNative, toKernelError } from './native.js';
import type { VrrpSocket, VrrpSocketOptions } from './vrrp-socket-types.js';

/** VRRP_RCVBUF_BYTES is the receive queue of a VRRP socket: seconds of adverts at 255 instances. */
export const VRRP_RCVBUF_BYTES = 8 << 20;

/**
 * openVrrpSocket4 opens the IPv4 VRRP socket through the addon (native/src/vrrp4.c): protocol 112
 * with IP_HDRINCL (the codec writes the header, TTL 255 per RFC 5798 5.1.1.3), bound to the
 * interface, groups joined on its index, multicast out of it, no loopback of our own adverts, and
 * IP_MULTICAST_ALL off so groups joined by other sockets are not delivered here (keepalived does
 * the same). Received messages are whole datagrams, header included. The raw-socket package did
 * this before; it sends one datagram per event-loop turn, too few for 255 instances at 0.1 s.
 */
export function openVrrpSocket4(o: VrrpSocketOptions): VrrpSocket {
  const native = loadNative();
  let closed = false;
  const handle = callNative(`open IPv4 VRRP socket on ${o.ifname}`, () =>
    native.vrrp4Open(o.ifname, o.multicastGroups, VRRP_RCVBUF_BYTES, (error, datagram) => {
      if (closed) return;
      if (error) {
        // The addon stopped polling: the socket is dead for receiving; the owner reopens it.
        closed = true;
        native.vrrp4Close(handle);
        const e = toKernelError(`receive on IPv4 VRRP socket ${o.ifname}`, error);
        if (o.onError) o.onError(e);
        else throw e;
        return;
      }
      o.onPacket({ family: 'inet', data: datagram! });
    }),
  );
  return {
    send(data, dstAddress) {
      if (closed)
        return Promise.reject(new SystemCallError(`send VRRP to ${dstAddress}`, 'EBADF', 'socket closed'));
      try {
        native.vrrp4Send(handle, data, dstAddress);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(toKernelError(`send VRRP to ${dstAddress} on ${o.ifname}`, error));
      }
    },
    close() {
      if (closed) return;
      closed = true;
      native.vrrp4Close(handle);
    },
  };
}
