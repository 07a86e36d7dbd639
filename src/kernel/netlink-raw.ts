/**
 * RawNetlinkSocket is one netlink socket of the addon (native/src/netlink.c): whole datagrams
 * in, buffers out, errors as values. An overrun (ENOBUFS) or a datagram cut by the read buffer
 * (EMSGSIZE) reaches onError instead of aborting the process or handing on half a message. The
 * framing and the request logic on top are rtnetlink's (netlink-socket.ts) and IPVS's
 * (ipvs/genl-socket.ts).
 */
import { loadNative, type NetlinkHandle } from './native.js';

/** RawNetlinkOptions configure a RawNetlinkSocket. */
export interface RawNetlinkOptions {
  /** protocol is NETLINK_ROUTE, NETLINK_GENERIC... (netlink-constants.ts). */
  protocol: number;
  /** groups are multicast groups to join (RTNLGRP_*), none for a request socket. */
  groups?: number[];
  /** rcvbufBytes is the receive queue asked for (SO_RCVBUFFORCE as root, else capped by rmem_max). */
  rcvbufBytes: number;
  /** onDatagram receives every datagram the kernel sends, whole. */
  onDatagram: (datagram: Buffer) => void;
  /** onError receives receive errors, coded with an errno name: ENOBUFS, EMSGSIZE. */
  onError: (error: Error & { code?: string }) => void;
}

/** RawNetlinkSocket wraps the addon's netlink handle; it keeps the event loop alive until unref(). */
export class RawNetlinkSocket {
  private readonly handle: NetlinkHandle;
  private closed = false;

  /** The constructor opens and binds the socket; it throws the errno Error of socket/bind/setsockopt. */
  constructor(o: RawNetlinkOptions) {
    this.handle = loadNative().nlOpen(
      o.protocol,
      o.groups ?? [],
      o.rcvbufBytes,
      (datagram) => {
        if (!this.closed) o.onDatagram(datagram);
      },
      (error) => {
        if (!this.closed) o.onError(error);
      },
    );
  }

  /** send hands one datagram (the messages concatenated) to the kernel; throws the errno Error of sendmsg. */
  send(datagram: Buffer | Buffer[]): void {
    loadNative().nlSend(this.handle, Array.isArray(datagram) ? Buffer.concat(datagram) : datagram);
  }

  /** port is our port id (nl_pid), assigned by the kernel at bind. */
  get port(): number {
    return loadNative().nlPort(this.handle);
  }

  /** ref chooses whether the open socket keeps the event loop alive. */
  ref(on: boolean): void {
    if (!this.closed) loadNative().nlRef(this.handle, on);
  }

  /** close closes the socket; idempotent. Nothing is delivered after it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    loadNative().nlClose(this.handle);
  }
}
