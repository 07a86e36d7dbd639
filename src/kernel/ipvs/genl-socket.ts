/**
 * GenlSocket is one generic netlink socket with many requests in flight: every request gets
 * its own sequence number, requests issued in the same tick leave in one sendmsg (the kernel
 * walks every message of a datagram in order), and replies are matched back by sequence
 * number. Only the last request of a batch asks for an ACK (NLM_F_ACK): a failing request gets
 * its NLMSG_ERROR anyway, so when the last one is answered, every earlier one without an error
 * succeeded. One ACK per batch instead of one per request spares the receive side (a recvmsg
 * each). A window bounds what the kernel may have queued for us (in the worst case, an error
 * per request), so the receive buffer never overflows (ENOBUFS would lose answers); it refills
 * at half, so requests keep leaving in batches. Should the kernel still report an overrun
 * (ENOBUFS), every request in flight is rejected with it: their outcome is unknown, so a
 * caller re-reads what it needs (the reconciler re-reads the table). Order is kept: the kernel executes a socket's
 * messages in the order sent, and nothing is sent while a dump runs (one dump per socket, or
 * the kernel says EBUSY; and what follows a dump must not change what it reads). The socket is
 * the addon's (../netlink-raw.ts): a datagram longer than its 64 KiB read buffer is reported as
 * EMSGSIZE and fails everything in flight, never parsed cut.
 */
import { KeepvipError, SystemCallError } from '../../util/errors.js';
import {
  NETLINK_GENERIC,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
} from '../netlink-constants.js';
import { RawNetlinkSocket } from '../netlink-raw.js';
import { decodeNlError, encodeNlMessage, errnoName, splitMessages } from '../nlmsg.js';

/** GenlSocketOptions tunes the pipeline. */
export interface GenlSocketOptions {
  /** window is the most requests awaiting an answer at once (default 256). */
  window?: number;
  /** maxBatchBytes bounds one sendmsg (default 64 KiB, below the kernel's sk_sndbuf limit). */
  maxBatchBytes?: number;
  /** recvBufferSize asks for the receive queue (SO_RCVBUFFORCE as root, else SO_RCVBUF capped at net.core.rmem_max). */
  recvBufferSize?: number;
}

/** GenlRequest is one message to send: family id, payload (genlmsghdr + attributes), dump or not. */
export interface GenlRequest {
  type: number;
  payload: Buffer;
  dump?: boolean;
  /** describe names the operation in a SystemCallError (called only on failure). */
  describe: () => string;
}

interface Pending {
  seq: number;
  bytes: Buffer;
  dump: boolean;
  parts: Buffer[];
  describe: () => string;
  resolve: (parts: Buffer[]) => void;
  reject: (e: Error) => void;
}

/** GenlSocket pipelines generic netlink requests on one NETLINK_GENERIC socket. */
export class GenlSocket {
  /** operations counts netlink requests sent. */
  operations = 0;
  /** sends counts sendmsg calls (batches). */
  sends = 0;
  /** received counts netlink messages received (answers, reply parts, dump parts). */
  received = 0;
  /** strays counts messages whose sequence number matched no request (late answers after an error). */
  strays = 0;
  private readonly sock: RawNetlinkSocket;
  private readonly window: number;
  private readonly maxBatchBytes: number;
  private seq: number;
  private readonly queue: Pending[] = [];
  private readonly inFlight = new Map<number, Pending>();
  private dumpRunning = false;
  private flushScheduled = false;
  private closed = false;
  private referenced = false;

  constructor(options: GenlSocketOptions = {}) {
    this.window = options.window ?? 256;
    this.maxBatchBytes = options.maxBatchBytes ?? 65536;
    try {
      // One recvmsg per datagram into the addon's 64 KiB buffer, not a peek then a read: the
      // kernel sizes dump datagrams to what we read (up to 32 KiB), so a service's destinations
      // arrive in one datagram. A cut datagram (MSG_TRUNC) comes as an EMSGSIZE error.
      this.sock = new RawNetlinkSocket({
        protocol: NETLINK_GENERIC,
        rcvbufBytes: options.recvBufferSize ?? 4 * 1024 * 1024,
        onDatagram: (buf) => this.receive(buf),
        onError: (error) => this.failAll(errnoError('netlink receive', error)),
      });
    } catch (error) {
      throw errnoError('open NETLINK_GENERIC socket', error);
    }
    this.sock.ref(false);
    this.seq = (Math.floor(Math.random() * 0x7fffffff) | 1) >>> 0;
  }

  /** request queues one request and resolves with the payloads of its reply messages (none for a plain ACK). */
  request(r: GenlRequest): Promise<Buffer[]> {
    if (this.closed) return Promise.reject(new KeepvipError('E_NETLINK', 'generic netlink socket is closed'));
    return new Promise((resolve, reject) => {
      const seq = this.nextSeq();
      // NLM_F_ACK is added at send time to the last request of each batch only (see flush).
      const flags = NLM_F_REQUEST | (r.dump ? NLM_F_DUMP : 0);
      const bytes = encodeNlMessage({ type: r.type, flags, seq, pid: 0, payload: r.payload });
      this.queue.push({
        seq,
        bytes,
        dump: r.dump ?? false,
        parts: [],
        describe: r.describe,
        resolve,
        reject,
      });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    });
  }

  /** pending is the number of requests not yet answered (queued or in flight). */
  get pending(): number {
    return this.queue.length + this.inFlight.size;
  }

  /** close rejects everything pending and closes the socket. */
  close(): void {
    if (this.closed) return;
    this.failAll(new KeepvipError('E_NETLINK', 'generic netlink socket closed'));
    this.closed = true;
    this.sock.close();
  }

  private nextSeq(): number {
    do {
      this.seq = (this.seq + 1) >>> 0 || 1;
    } while (this.inFlight.has(this.seq));
    return this.seq;
  }

  private flush(): void {
    if (this.closed) return;
    // While a dump runs nothing else leaves: what follows it must not change what it reads.
    while (this.queue.length > 0 && this.inFlight.size < this.window && !this.dumpRunning) {
      const batch: Pending[] = [];
      let bytes = 0;
      while (this.queue.length > 0 && this.inFlight.size + batch.length < this.window) {
        const head = this.queue[0] as Pending;
        if (batch.length > 0 && bytes + head.bytes.length > this.maxBatchBytes) break;
        this.queue.shift();
        batch.push(head);
        bytes += head.bytes.length;
        if (head.dump) {
          this.dumpRunning = true;
          break;
        }
      }
      const last = batch[batch.length - 1] as Pending;
      if (!last.dump) last.bytes.writeUInt16LE(last.bytes.readUInt16LE(6) | NLM_F_ACK, 6);
      for (const p of batch) this.inFlight.set(p.seq, p);
      this.operations += batch.length;
      this.sends++;
      this.setRef(true);
      try {
        // The kernel runs every message of the datagram before sendmsg returns; replies come
        // through the poll, after this tick.
        this.sock.send(batch.map((p) => p.bytes));
      } catch (error) {
        for (const p of batch) this.settle(p, errnoError(p.describe(), error));
      }
    }
  }

  private receive(buf: Buffer): void {
    const { messages } = splitMessages(buf);
    this.received += messages.length;
    for (const m of messages) {
      const p = this.inFlight.get(m.seq);
      if (!p) {
        if (m.type !== NLMSG_NOOP) this.strays++;
        continue;
      }
      if (m.type === NLMSG_ERROR || m.type === NLMSG_DONE || m.type === NLMSG_OVERRUN) this.settleBefore(p);
      if (m.type === NLMSG_ERROR) {
        const e = decodeNlError(m.payload);
        if (!e) this.settle(p, new KeepvipError('E_NETLINK', `${p.describe()}: short NLMSG_ERROR`));
        else if (e.error === 0) this.settle(p);
        else this.settle(p, new SystemCallError(p.describe(), errnoName(-e.error)));
      } else if (m.type === NLMSG_DONE) {
        const e = decodeNlError(m.payload);
        if (e && e.error < 0) this.settle(p, new SystemCallError(p.describe(), errnoName(-e.error)));
        else this.settle(p);
      } else if (m.type === NLMSG_OVERRUN) {
        this.settle(p, new SystemCallError(p.describe(), 'ENOBUFS'));
      } else if (m.type !== NLMSG_NOOP) {
        p.parts.push(Buffer.from(m.payload));
      }
    }
    // Refill at half the window, so requests keep leaving in batches rather than one per answer.
    if (this.inFlight.size <= this.window / 2) this.flush();
  }

  /**
   * settleBefore resolves every request sent before `p` that is still waiting: the kernel
   * answered `p`, and it handles a socket's messages in order, so they are done, and none
   * failed (a failure always gets its own NLMSG_ERROR, ACK flag or not). Any reply messages
   * they had came before too.
   */
  private settleBefore(p: Pending): void {
    for (const q of this.inFlight.values()) {
      if (q === p) return;
      this.settle(q);
    }
  }

  private settle(p: Pending, error?: Error): void {
    if (!this.inFlight.delete(p.seq)) return;
    if (p.dump) this.dumpRunning = false;
    if (error) p.reject(error);
    else p.resolve(p.parts);
    if (this.inFlight.size === 0 && this.queue.length === 0) this.setRef(false);
  }

  private failAll(error: Error): void {
    for (const p of [...this.inFlight.values()]) this.settle(p, error);
    const queued = this.queue.splice(0);
    for (const p of queued) p.reject(error);
    this.dumpRunning = false;
    this.setRef(false);
  }

  // The socket keeps the process alive only while answers are awaited.
  private setRef(on: boolean): void {
    if (on === this.referenced || this.closed) return;
    this.referenced = on;
    this.sock.ref(on);
  }
}

function errnoError(operation: string, error: unknown): KeepvipError {
  const code = (error as { code?: string })?.code;
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return new SystemCallError(operation, code);
  return new KeepvipError('E_NETLINK', `${operation} failed: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
  });
}
