/**
 * openAhSocket4 opens the IPv4 raw socket for VRRPv2 adverts wrapped in IPsec AH (auth_type AH,
 * RFC 2338 5.3.6.3): IP protocol 51 with IP_HDRINCL (vrrp/ah.ts writes the whole datagram), bound
 * to the interface, no loopback of our own adverts, as keepalived opens its second socket. It
 * joins no group: the VRRP socket of the same interface joined 224.0.0.18 there, and a raw socket
 * with IP_MULTICAST_ALL (the default) is given every group the host joined. Received messages
 * are whole datagrams, header included. Through the raw-socket package (low rates: VRRPv2 adverts
 * are at least a second apart).
 */
import { createRequire } from 'node:module';
import { SystemCallError } from '../util/errors.js';
import { IPPROTO_AH } from '../vrrp/ah.js';
import type { PacketSocket } from './port.js';

/** IP_MULTICAST_LOOP (linux/in.h). */
const IP_MULTICAST_LOOP = 34;

interface RawSocket {
  on(event: 'message', l: (buffer: Buffer, source: string) => void): void;
  on(event: 'error', l: (error: Error) => void): void;
  send(
    buffer: Buffer,
    offset: number,
    length: number,
    address: string,
    cb: (error: Error | null) => void,
  ): void;
  setOption(level: number, option: number, value: number | Buffer, length?: number): void;
  close(): void;
}

interface RawSocketModule {
  createSocket(o: { addressFamily: number; protocol: number; bufferSize?: number }): RawSocket;
  AddressFamily: { IPv4: number };
  SocketLevel: { SOL_SOCKET: number; IPPROTO_IP: number };
  SocketOption: { SO_BINDTODEVICE: number; IP_HDRINCL: number };
}

/** openAhSocket4 opens the protocol-51 socket on ifname; onPacket gets each IPv4 datagram. */
export function openAhSocket4(o: {
  ifname: string;
  onPacket: (datagram: Buffer) => void;
  onError?: (e: Error) => void;
}): PacketSocket {
  const raw = createRequire(import.meta.url)('raw-socket') as RawSocketModule;
  let s: RawSocket;
  try {
    s = raw.createSocket({ addressFamily: raw.AddressFamily.IPv4, protocol: IPPROTO_AH, bufferSize: 4096 });
    s.setOption(raw.SocketLevel.IPPROTO_IP, raw.SocketOption.IP_HDRINCL, 1);
    const name = Buffer.from(`${o.ifname}\0`);
    s.setOption(raw.SocketLevel.SOL_SOCKET, raw.SocketOption.SO_BINDTODEVICE, name, name.length);
    s.setOption(raw.SocketLevel.IPPROTO_IP, IP_MULTICAST_LOOP, 0);
  } catch (err) {
    throw new SystemCallError(
      `open IPv4 AH socket on ${o.ifname}`,
      /not permitted/i.test(String(err)) ? 'EPERM' : 'EIO',
      String(err),
    );
  }
  let closed = false;
  s.on('message', (buffer) => {
    if (!closed) o.onPacket(Buffer.from(buffer));
  });
  s.on('error', (err) => {
    if (closed) return;
    closed = true;
    s.close();
    o.onError?.(new SystemCallError(`receive on IPv4 AH socket ${o.ifname}`, 'EIO', err.message));
  });
  return {
    send(data, dstAddress) {
      if (closed)
        return Promise.reject(new SystemCallError(`send AH to ${dstAddress}`, 'EBADF', 'socket closed'));
      return new Promise((resolve, reject) =>
        s.send(data, 0, data.length, dstAddress, (error) =>
          error
            ? reject(new SystemCallError(`send AH to ${dstAddress} on ${o.ifname}`, 'EIO', error.message))
            : resolve(),
        ),
      );
    },
    close() {
      if (closed) return;
      closed = true;
      s.close();
    },
  };
}
