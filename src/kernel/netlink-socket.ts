/**
 * NetlinkSocket sends netlink requests and matches the answers, on the addon's socket
 * (netlink-raw.ts). Every request asks for an ACK and gets its own sequence number; its reply
 * messages collect until the ACK (NLMSG_ERROR 0), the end of a dump (NLMSG_DONE) or an error.
 * The addon reports an overrun as an ordinary error instead of aborting: pending requests fail
 * with ENOBUFS (their replies may be lost) and the owner re-reads what it tracks. Messages that
 * answer no request (multicast notifications) go to onNotification.
 */
import {
  NLM_F_ACK,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
} from './netlink-constants.js';
import { RawNetlinkSocket } from './netlink-raw.js';
import { decodeNlError, encodeNlMessage, errnoName, type NlMessage, splitMessages } from './nlmsg.js';

/** NETLINK_RCVBUF_BYTES: the receive queue asked for (SO_RCVBUFFORCE as root), room for bursts. */
export const NETLINK_RCVBUF_BYTES = 4 << 20;

/**
 * NETLINK_REQUEST_TIMEOUT_MS bounds every request: while the queue is congested after an overrun
 * the kernel drops further replies without a second ENOBUFS, so a request must not wait forever.
 */
export const NETLINK_REQUEST_TIMEOUT_MS = 3000;

/** NETLINK_MAX_IN_FLIGHT bounds the requests outstanding on one socket. */
export const NETLINK_MAX_IN_FLIGHT = 8;

/**
 * NetlinkRequestError is a request that failed on the socket: the kernel refused it (code is its
 * errno name: EEXIST, ENODEV...), or it was not answered (no code). The kernel modules wrap it
 * with the operation (addresses.ts netlinkError), so it never leaves src/kernel.
 */
export class NetlinkRequestError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'NetlinkRequestError';
    this.code = code;
  }
}

/** NetlinkSocketOptions configure a NetlinkSocket. */
export interface NetlinkSocketOptions {
  /** protocol is NETLINK_ROUTE or another netlink protocol (netlink-constants.ts). */
  protocol: number;
  /** groups are multicast groups to join, none for a request socket. */
  groups?: number[];
  /** ref keeps the event loop alive while the socket is open (notification sockets). */
  ref?: boolean;
  /** rcvbufBytes overrides NETLINK_RCVBUF_BYTES. */
  rcvbufBytes?: number;
  /** maxInFlight overrides NETLINK_MAX_IN_FLIGHT. */
  maxInFlight?: number;
  /** onNotification receives, per datagram, the messages that answer no request. */
  onNotification?: (messages: NlMessage[]) => void;
  /** onError receives socket errors (ENOBUFS: messages were lost); pending requests have failed with it. */
  onError: (error: Error & { code?: string }) => void;
}

interface Pending {
  seq: number;
  describe: string;
  parts: NlMessage[];
  timer: NodeJS.Timeout;
  resolve: (parts: NlMessage[]) => void;
  reject: (error: Error) => void;
}

/** NetlinkSocket is one netlink socket with request/answer matching and a bound on requests in flight. */
export class NetlinkSocket {
  private readonly raw: RawNetlinkSocket;
  private readonly o: NetlinkSocketOptions;
  private readonly pending = new Map<number, Pending>();
  /** waiting are requests queued for a slot; release() hands its slot to the first. */
  private readonly waiting: (() => void)[] = [];
  private active = 0;
  private seq = 0;
  private referenced: boolean;
  private closed = false;

  constructor(o: NetlinkSocketOptions) {
    this.o = o;
    this.raw = new RawNetlinkSocket({
      protocol: o.protocol,
      groups: o.groups ?? [],
      rcvbufBytes: o.rcvbufBytes ?? NETLINK_RCVBUF_BYTES,
      onDatagram: (datagram) => this.receive(datagram),
      onError: (error) => this.fail(error),
    });
    this.referenced = o.ref ?? false;
    this.raw.ref(this.referenced);
  }

  /**
   * request sends one message with NLM_F_REQUEST | NLM_F_ACK | flags and resolves with the
   * reply messages (none for a plain ACK). It rejects with the kernel's errno
   * (NetlinkRequestError), the socket's error (ENOBUFS) or, after NETLINK_REQUEST_TIMEOUT_MS, a
   * timeout. `describe` names the request in errors (RTM_NEWADDR).
   */
  async request(type: number, payload: Buffer, flags: number, describe: string): Promise<NlMessage[]> {
    // At most maxInFlight requests at once: each sendmsg runs the request in the kernel
    // synchronously (~0.5 ms for an address), so 255 VIP adds issued in one tick stalled the
    // event loop (and the adverts) for over 100 ms; queued requests go out as answers come back.
    if (this.active < (this.o.maxInFlight ?? NETLINK_MAX_IN_FLIGHT)) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await this.exchange(type, payload, flags, describe);
    } finally {
      this.release();
    }
  }

  /** close closes the socket and fails what is pending; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.raw.close();
    const error = new NetlinkRequestError('netlink socket closed');
    for (const p of [...this.pending.values()]) this.settle(p, error);
    // Queued requests get their slot and fail at once on the closed socket.
    for (const wake of this.waiting.splice(0)) wake();
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  private exchange(type: number, payload: Buffer, flags: number, describe: string): Promise<NlMessage[]> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new NetlinkRequestError(`${describe}: netlink socket closed`));
        return;
      }
      const seq = this.nextSeq();
      const p: Pending = {
        seq,
        describe,
        parts: [],
        resolve,
        reject,
        timer: setTimeout(
          () =>
            this.settle(
              p,
              new NetlinkRequestError(`${describe}: no answer within ${NETLINK_REQUEST_TIMEOUT_MS} ms`),
            ),
          NETLINK_REQUEST_TIMEOUT_MS,
        ),
      };
      this.pending.set(seq, p);
      this.updateRef();
      try {
        // nlmsg_pid 0: the kernel fills in our port; iproute2 and keepalived send 0 too.
        this.raw.send(
          encodeNlMessage({ type, flags: flags | NLM_F_REQUEST | NLM_F_ACK, seq, pid: 0, payload }),
        );
      } catch (error) {
        this.settle(p, error as Error);
      }
    });
  }

  private nextSeq(): number {
    // Sequence 0 is what notifications carry; skip it and any number still waiting.
    do {
      this.seq = (this.seq % 0xffffffff) + 1;
    } while (this.pending.has(this.seq));
    return this.seq;
  }

  private receive(datagram: Buffer): void {
    // A lying nlmsg_len ends the walk: the messages before it count, a request whose answer
    // was in the rest times out.
    const { messages } = splitMessages(datagram);
    const notifications: NlMessage[] = [];
    for (const m of messages) {
      const p = this.pending.get(m.seq);
      if (!p) {
        if (m.type !== NLMSG_NOOP) notifications.push(m);
        continue;
      }
      if (m.type === NLMSG_ERROR || m.type === NLMSG_DONE) {
        // NLMSG_ERROR carries struct nlmsgerr (error 0: the ACK); NLMSG_DONE may carry the
        // dump's error as an int (a dump cut short by the kernel).
        const e = decodeNlError(m.payload);
        if (m.type === NLMSG_ERROR && !e)
          this.settle(p, new NetlinkRequestError(`${p.describe}: NLMSG_ERROR shorter than its errno`));
        else if (e && e.error < 0) this.settle(p, rejection(p.describe, -e.error));
        else this.settle(p);
      } else if (m.type === NLMSG_OVERRUN) {
        this.settle(p, new NetlinkRequestError(`${p.describe}: NLMSG_OVERRUN`, 'ENOBUFS'));
      } else if (m.type !== NLMSG_NOOP) {
        p.parts.push(m);
      }
    }
    if (notifications.length > 0) this.o.onNotification?.(notifications);
  }

  private settle(p: Pending, error?: Error): void {
    if (!this.pending.delete(p.seq)) return;
    clearTimeout(p.timer);
    if (error) p.reject(error);
    else p.resolve(p.parts);
    this.updateRef();
  }

  /** fail rejects every pending request with a socket error (a lost reply would leave it waiting), then reports it. */
  private fail(error: Error & { code?: string }): void {
    for (const p of [...this.pending.values()]) this.settle(p, error);
    this.o.onError(error);
  }

  // The socket keeps the process alive while answers are awaited, or always with `ref`.
  private updateRef(): void {
    const on = (this.o.ref ?? false) || this.pending.size > 0;
    if (on === this.referenced || this.closed) return;
    this.referenced = on;
    this.raw.ref(on);
  }
}

/** rejection is the error of a request the kernel refused with errno (positive). */
function rejection(describe: string, errno: number): NetlinkRequestError {
  const name = errnoName(errno);
  return new NetlinkRequestError(`${describe} rejected: ${name}`, name);
}
