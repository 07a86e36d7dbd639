import { callNative, loadNative, toKernelError } from './native.js';
import type { VrrpSocket, VrrpSocketOptions } from './vrrp-socket-types.js';

/**
 * openVrrpSocket6 opens the IPv6 VRRP socket through the native addon (native/src/vrrp6.c):
 * SO_BINDTODEVICE, IPV6_RECVHOPLIMIT/RECVPKTINFO, groups joined on the interface index, hop
 * limits 255, multicast loop off, traffic class 0xc0 as keepalived. No IPV6_CHECKSUM: the codec
 * computes and verifies the checksum (keepalived instead lets the kernel do it at offset 6).
 */
export function openVrrpSocket6(o: VrrpSocketOptions): VrrpSocket {
  const native = loadNative();
  let closed = false;
  const handle = callNative(`open IPv6 VRRP socket on ${o.ifname}`, () =>
    native.vrrp6Open(
      o.ifname,
      o.multicastGroups,
      (error, data, srcAddress, dstAddress, hopLimit, ifindex) => {
        if (closed) return;
        if (error) {
          const e = toKernelError(`receive on IPv6 VRRP socket ${o.ifname}`, error);
          if (o.onError) o.onError(e);
          else throw e;
          return;
        }
        o.onPacket({ family: 'inet6', data: data!, srcAddress, dstAddress, hopLimit, ifindex });
      },
    ),
  );
  return {
    send(data, dstAddress, srcAddress) {
      try {
        native.vrrp6Send(handle, data, dstAddress, srcAddress);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(toKernelError(`send VRRP to ${dstAddress} on ${o.ifname}`, error));
      }
    },
    drain() {
      if (!closed) native.vrrp6Drain(handle);
    },
    close() {
      if (closed) return;
      closed = true;
      native.vrrp6Close(handle);
    },
  };
}
