import { createRequire } from 'node:module';
import { KeepvipError, SystemCallError } from '../util/errors.js';
import { callNative, loadNative } from './native.js';
import type { VrrpSocket, VrrpSocketOptions } from './vrrp-socket.js';
import { IPPROTO_VRRP } from './vrrp-socket.js';

// Kernel constants (linux/in.h, asm-generic/socket.h); raw-socket passes them through unchanged.
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const IPPROTO_IP = 0;
const IP_HDRINCL = 3;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;
const IP_MULTICAST_ALL = 49;

/** RawSocket is the part of the untyped raw-socket package this module uses. */
interface RawSocket {
  on(event: 'message', listener: (buffer: Buffer, source: string) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  setOption(level: number, option: number, value: Buffer | number, length?: number): void;
  send(
    buffer: Buffer,
    offset: number,
    length: number,
    address: string,
    afterCallback: (error: Error | null, bytes: number) => void,
  ): void;
  close(): void;
}
interface RawSocketModule {
  createSocket(o: { addressFamily: number; protocol: number; bufferSize?: number }): RawSocket;
  AddressFamily: { IPv4: number; IPv6: number };
}

const require = createRequire(import.meta.url);

// raw-socket throws plain Errors carrying strerror text; map the ones setup can hit back to errno
// names so callers can branch on SystemCallError.errno like for every other kernel error.
const ERRNO_BY_MESSAGE: Record<string, string> = {
  'Operation not permitted': 'EPERM',
  'Permission denied': 'EACCES',
  'No such device': 'ENODEV',
  'Invalid argument': 'EINVAL',
  'Address already in use': 'EADDRINUSE',
  'Cannot assign requested address': 'EADDRNOTAVAIL',
  'Network is unreachable': 'ENETUNREACH',
  'No buffer space available': 'ENOBUFS',
  'Protocol not supported': 'EPROTONOSUPPORT',
  'Message too long': 'EMSGSIZE',
};

/** rawSocketError turns a raw-socket Error into a SystemCallError when its text is a known strerror. */
function rawSocketError(operation: string, error: unknown): KeepvipError {
  const message = (error as Error)?.message ?? String(error);
  const errno = ERRNO_BY_MESSAGE[message];
  if (errno) return new SystemCallError(operation, errno, message);
  return new KeepvipError('E_SYSCALL', `${operation} failed: ${message}`, { cause: error });
}

/** ipMreqn encodes struct ip_mreqn { imr_multiaddr; imr_address; imr_ifindex } (linux/in.h). */
function ipMreqn(group: string | undefined, ifindex: number): Buffer {
  const b = Buffer.alloc(12);
  for (const [i, octet] of (group?.split('.') ?? []).entries()) b.writeUInt8(Number(octet), i);
  b.writeInt32LE(ifindex, 8); // host order int; every Linux target keepvip runs on is little-endian
  return b;
}

/**
 * openVrrpSocket4 opens the IPv4 VRRP socket with the raw-socket package: protocol 112 with
 * IP_HDRINCL (the codec writes the header, TTL 255 per RFC 5798 5.1.1.3), bound to the interface,
 * groups joined on its index, multicast out of it, no loopback of our own adverts, and
 * IP_MULTICAST_ALL off so groups joined by other sockets are not delivered here (keepalived does
 * the same). Received messages are whole datagrams, header included.
 */
export function openVrrpSocket4(o: VrrpSocketOptions): VrrpSocket {
  const ifindex = callNative(`look up ${o.ifname}`, () => loadNative().ifNameToIndex(o.ifname));
  const raw = require('raw-socket') as RawSocketModule;
  const operation = `open IPv4 VRRP socket on ${o.ifname}`;
  let socket: RawSocket;
  try {
    socket = raw.createSocket({
      addressFamily: raw.AddressFamily.IPv4,
      protocol: IPPROTO_VRRP,
      bufferSize: 65535,
    });
  } catch (error) {
    throw rawSocketError(`${operation}: socket`, error);
  }
  let closed = false;
  const setOption = (name: string, level: number, option: number, value: Buffer | number) => {
    try {
      if (typeof value === 'number') socket.setOption(level, option, value);
      else socket.setOption(level, option, value, value.length);
    } catch (error) {
      closed = true;
      socket.close();
      throw rawSocketError(`${operation}: setsockopt(${name})`, error);
    }
  };
  setOption('IP_HDRINCL', IPPROTO_IP, IP_HDRINCL, 1);
  setOption('SO_BINDTODEVICE', SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(`${o.ifname}\0`));
  setOption('IP_MULTICAST_IF', IPPROTO_IP, IP_MULTICAST_IF, ipMreqn(undefined, ifindex));
  setOption('IP_MULTICAST_LOOP', IPPROTO_IP, IP_MULTICAST_LOOP, 0);
  setOption('IP_MULTICAST_ALL', IPPROTO_IP, IP_MULTICAST_ALL, 0);
  for (const group of o.multicastGroups) {
    setOption(`IP_ADD_MEMBERSHIP ${group}`, IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreqn(group, ifindex));
  }
  socket.on('message', (buffer) => {
    if (closed) return;
    try {
      // raw-socket hands out a view of its one receive buffer, reused by the next read: copy.
      o.onPacket({ family: 'inet', data: Buffer.from(buffer) });
    } catch (error) {
      // raw-socket would report a throwing listener as a socket 'error'; it is a bug of the
      // listener, not of the socket, so surface it as uncaught like the IPv6 path does.
      process.nextTick(() => {
        throw error;
      });
    }
  });
  socket.on('error', (error) => {
    // A socket error is fatal for this socket (raw-socket closes it on some paths, not all).
    closed = true;
    socket.close();
    const e = rawSocketError(`IPv4 VRRP socket on ${o.ifname}`, error);
    if (o.onError) o.onError(e);
    else throw e;
  });
  return {
    send(data, dstAddress) {
      if (closed)
        return Promise.reject(new SystemCallError(`send VRRP to ${dstAddress}`, 'EBADF', 'socket closed'));
      return new Promise((resolve, reject) => {
        socket.send(data, 0, data.length, dstAddress, (error) => {
          if (error) reject(rawSocketError(`send VRRP to ${dstAddress} on ${o.ifname}`, error));
          else resolve();
        });
      });
    },
    close() {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}
