import { DatagramsNotSentError, SystemCallError } from '../util/errors.js';
import { addressBytes } from '../vrrp/address.js';
import { callNative, loadNative, toKernelError } from './native.js';
import type { VrrpSocket, VrrpSocketOptions } from './vrrp-socket-types.js';

/** SEND_BATCH is how many queued datagrams make a sendmmsg at once, before the turn ends. */
export const SEND_BATCH = 32;

/**
 * RX_BATCH_BYTES is the receive buffer a wakeup's datagrams are written into: native/src/vrrp4.c's
 * BATCH_BYTES (KV_READS_PER_WAKEUP 64 records of a u16 length and up to 2,048 bytes). A smaller
 * one would make the addon copy each batch into a new Buffer again.
 */
const RX_BATCH_BYTES = 64 * (2048 + 2);

/** VRRP_RCVBUF_BYTES is the receive queue of a VRRP socket: seconds of adverts at 255 instances. */
export const VRRP_RCVBUF_BYTES = 8 << 20;

/**
 * openVrrpSocket4 opens the IPv4 VRRP socket through the addon (native/src/vrrp4.c): protocol 112
 * with IP_HDRINCL (the codec writes the header, TTL 255 per RFC 5798 5.1.1.3), bound to the
 * interface, groups joined on its index, multicast out of it, no loopback of our own adverts, and
 * IP_MULTICAST_ALL off so groups joined by other sockets are not delivered here (keepalived does
 * the same). Received messages are whole datagrams, header included, read with recvmmsg and
 * handed over as views of the socket's one receive Buffer, written anew each wakeup (one copy,
 * no allocation but the views): a datagram's view is valid only during its onPacket call. The raw-socket package did this
 * before; it sends one datagram per event-loop turn, too few for 255 instances at 0.1 s.
 */
export function openVrrpSocket4(o: VrrpSocketOptions): VrrpSocket {
  const native = loadNative();
  let closed = false;
  // The callback's closure keeps rx alive while the addon holds the callback (the socket is open).
  const rx = Buffer.allocUnsafeSlow(RX_BATCH_BYTES);
  let receiving = false;
  const handle = callNative(`open IPv4 VRRP socket on ${o.ifname}`, () =>
    native.vrrp4Open(
      o.ifname,
      o.multicastGroups,
      VRRP_RCVBUF_BYTES,
      (error, batch) => {
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
        // One wakeup's datagrams: [u16 LE length][datagram] records (native/src/vrrp4.c), in rx
        // (batch is their byte count) or, if the addon could not use rx, in a Buffer of their own.
        const b = typeof batch === 'number' ? rx : batch!;
        const end = typeof batch === 'number' ? batch : b.length;
        receiving = true;
        try {
          for (let at = 0; at + 2 <= end && !closed; ) {
            const length = b[at]! | (b[at + 1]! << 8);
            const start = at + 2;
            at = start + length;
            if (o.onRepeated?.(b, start, at)) continue;
            o.onPacket({ family: 'inet', data: b.subarray(start, at) });
          }
        } finally {
          receiving = false;
        }
      },
      rx,
    ),
  );
  // Sends are queued and leave together with sendmmsg once the current callback returns (a
  // microtask), or as soon as SEND_BATCH are waiting: the adverts of every instance whose timer
  // fired in the same turn cost one system call, and the first of them waits for at most
  // SEND_BATCH - 1 others. The sends of one batch through send() share one promise, made only
  // when one asks for it; sendReporting's callers hear a failure through their own callback.
  const queue: Buffer[] = [];
  /** reporters[i] hears queue[i]'s failure when it came through sendReporting (else undefined). */
  const reporters: (((err: Error) => void) | undefined)[] = [];
  let dsts = Buffer.alloc(4 * SEND_BATCH);
  let scheduled = false;
  let batch: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | undefined;
  const flush = () => {
    const b = batch;
    batch = undefined;
    if (queue.length === 0) return;
    const count = queue.length;
    try {
      if (closed) throw new SystemCallError('send VRRP', 'EBADF', 'socket closed');
      native.vrrp4SendMany(handle, queue, dsts);
      b?.resolve();
    } catch (error) {
      // The addon skips a datagram the kernel refuses and sends the rest (native/src/vrrp4.c):
      // each sender learns from `unsent` whether its own advert is one of those that failed.
      const failed = (error as { failed?: number[] }).failed;
      const operation = `send VRRP on ${o.ifname} (${failed?.length ?? count} of ${count} not sent)`;
      const e = toKernelError(operation, error);
      const rejection =
        e instanceof SystemCallError
          ? new DatagramsNotSentError(
              operation,
              e.errno,
              failed ? failed.map((i) => queue[i]!) : queue.slice(),
            )
          : e;
      b?.reject(rejection);
      for (const report of reporters) report?.(rejection);
    } finally {
      queue.length = 0;
      reporters.length = 0;
    }
  };
  const flushQueued = () => {
    scheduled = false;
    flush();
  };
  /** enqueue queues one datagram; false if the destination is no IPv4 address. */
  const enqueue = (data: Buffer, dstAddress: string, report: ((err: Error) => void) | undefined): boolean => {
    const bytes = addressBytes('inet', dstAddress);
    if (!bytes) return false;
    if (4 * (queue.length + 1) > dsts.length) {
      const grown = Buffer.alloc(dsts.length * 2);
      dsts.copy(grown);
      dsts = grown;
    }
    bytes.copy(dsts, 4 * queue.length);
    queue.push(data);
    reporters.push(report);
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(flushQueued);
    }
    return true;
  };
  return {
    send(data, dstAddress) {
      if (closed)
        return Promise.reject(new SystemCallError(`send VRRP to ${dstAddress}`, 'EBADF', 'socket closed'));
      if (!enqueue(data, dstAddress, undefined))
        return Promise.reject(new SystemCallError(`send VRRP to ${dstAddress}`, 'EINVAL', 'not IPv4'));
      if (!batch) {
        let resolve!: () => void;
        let reject!: (e: Error) => void;
        const promise = new Promise<void>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        // Nobody may wait on a batch's promise: an unobserved failure is reported through callers'.
        promise.catch(() => {});
        batch = { promise, resolve, reject };
      }
      const p = batch.promise;
      if (queue.length >= SEND_BATCH) flush();
      return p;
    },
    sendReporting(data, dstAddress, _srcAddress, onError) {
      if (closed) onError(new SystemCallError(`send VRRP to ${dstAddress}`, 'EBADF', 'socket closed'));
      else if (!enqueue(data, dstAddress, onError))
        onError(new SystemCallError(`send VRRP to ${dstAddress}`, 'EINVAL', 'not IPv4'));
      else if (queue.length >= SEND_BATCH) flush();
    },
    flush,
    drain() {
      // Not from inside a batch's onPacket: the drained batch would overwrite rx under it.
      if (!closed && !receiving) native.vrrp4Drain(handle);
    },
    close() {
      if (closed) return;
      flush();
      closed = true;
      native.vrrp4Close(handle);
    },
  };
}
