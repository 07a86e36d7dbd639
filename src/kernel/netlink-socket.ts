/**
 * A netlink socket that survives overruns: the netlink package's JS layers (framing, multipart
 * replies, rtnetlink structs) on top of the addon's socket (native/src/netlink.c) instead of the
 * package's own binding, which aborts the process (std::terminate, "Error in native callback")
 * on POLLERR, i.e. whenever the kernel overran the receive queue (ENOBUFS). Here an overrun is an
 * ordinary error: pending requests fail with ENOBUFS (their replies may be lost) and the owner
 * re-reads what it tracks.
 */
import { EventEmitter } from 'node:events';
import { type NetlinkMessage, NetlinkSocket, Protocol, RtNetlinkSocket } from 'netlink';
import { loadNative, type NetlinkHandle } from './native.js';

/** NETLINK_RCVBUF_BYTES: the receive queue asked for (SO_RCVBUFFORCE as root), room for bursts. */
export const NETLINK_RCVBUF_BYTES = 4 << 20;

/**
 * NETLINK_REQUEST_TIMEOUT_MS bounds every request: while the queue is congested after an overrun
 * the kernel drops further replies without a second ENOBUFS, so a request must not wait forever.
 */
export const NETLINK_REQUEST_TIMEOUT_MS = 3000;

/** NETLINK_MAX_IN_FLIGHT bounds the requests outstanding on one socket. */
export const NETLINK_MAX_IN_FLIGHT = 8;

/** AddonRawSocket mimics the package's RawNetlinkSocket over the addon socket. */
class AddonRawSocket extends EventEmitter {
  private readonly handle: NetlinkHandle;
  private closed = false;

  constructor(protocol: number, groups: number[], rcvbuf: number) {
    super();
    const native = loadNative();
    this.handle = native.nlOpen(
      protocol,
      groups,
      rcvbuf,
      (data) => {
        if (!this.closed) this.emit('message', data, { port: 0, groups: 0 });
      },
      (error) => {
        if (!this.closed) this.emit('error', error);
      },
    );
  }

  send(msg: Buffer | Buffer[], _options: unknown, callback?: (error?: Error) => void): void {
    let error: Error | undefined;
    try {
      loadNative().nlSend(this.handle, Array.isArray(msg) ? Buffer.concat(msg) : msg);
    } catch (e) {
      error = e as Error;
    }
    // The package calls back asynchronously; keep that (callers register the reply first).
    process.nextTick(() => {
      if (callback) callback(error);
      else if (error) this.emit('error', error);
    });
  }

  address(): { port: number; groups: number } {
    return { port: loadNative().nlPort(this.handle), groups: 0 };
  }

  ref(): void {
    if (!this.closed) loadNative().nlRef(this.handle, true);
  }

  unref(): void {
    if (!this.closed) loadNative().nlRef(this.handle, false);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    loadNative().nlClose(this.handle);
    this.emit('close');
  }
}

/** RtNetlinkOptions configure openRtNetlink. */
export interface RtNetlinkOptions {
  /** groups are rtnetlink multicast groups to join (RTNLGRP_*), none for a request socket. */
  groups?: number[];
  /** ref keeps the event loop alive while the socket is open (notification sockets). */
  ref?: boolean;
  /** rcvbufBytes overrides NETLINK_RCVBUF_BYTES (tests provoke overruns with a small queue). */
  rcvbufBytes?: number;
  /** maxInFlight overrides NETLINK_MAX_IN_FLIGHT (the overrun test sends everything at once). */
  maxInFlight?: number;
  /** onError receives socket errors; ENOBUFS means messages were lost. Pending requests have failed. */
  onError: (error: Error & { code?: string }) => void;
}

/**
 * openRtNetlink opens an rtnetlink socket on the addon. Errors never throw out of a callback:
 * they fail every pending request (a lost reply would leave it waiting forever) and go to onError.
 */
export function openRtNetlink(o: RtNetlinkOptions): RtNetlinkSocket {
  const raw = new AddonRawSocket(Protocol.ROUTE, o.groups ?? [], o.rcvbufBytes ?? NETLINK_RCVBUF_BYTES);
  // The package types its constructor for its own raw socket; ours has the same surface.
  const nl = new NetlinkSocket(raw as never, { ref: o.ref ?? false });
  nl.on('error', (error: Error) => {
    const pending = (nl as unknown as { requests: Map<number, (e: Error) => void> }).requests;
    for (const callback of [...pending.values()]) callback(error);
    o.onError(error);
  });
  // At most NETLINK_MAX_IN_FLIGHT requests at once: each sendmsg runs the request in the kernel
  // synchronously (~0.5 ms for an address), so 255 VIP adds issued in one tick stalled the event
  // loop (and the adverts) for over 100 ms; queued requests go out as replies come back.
  const request = nl.request.bind(nl);
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  nl.request = async (type, data, options) => {
    if (inFlight >= (o.maxInFlight ?? NETLINK_MAX_IN_FLIGHT))
      await new Promise<void>((resolve) => waiting.push(resolve));
    inFlight++;
    try {
      return await request(type, data, { timeout: NETLINK_REQUEST_TIMEOUT_MS, ...options });
    } finally {
      inFlight--;
      waiting.shift()?.();
    }
  };
  // A message the package cannot parse is dropped ('invalid'); nothing is waiting on it.
  nl.on('invalid', () => undefined);
  return new RtNetlinkSocket(nl);
}

/**
 * watchMessages hands every message of a subscribed socket to handle until the returned close()
 * (idempotent), which also closes the socket: the shape of the link and address watches.
 */
export function watchMessages(
  socket: RtNetlinkSocket,
  handle: (messages: NetlinkMessage[]) => void,
): { close(): void } {
  socket.socket.on('message', handle);
  let closed = false;
  return {
    close() {
      if (closed) return;
      closed = true;
      socket.socket.off('message', handle);
      socket.socket.close();
    },
  };
}
