import { DatagramsNotSentError, SystemCallError } from '../util/errors.js';
import { addressBytes } from '../vrrp/address.js';
import { callNative, loadNative, toKernelError } from './native.js';
import type { VrrpSocket, VrrpSocketOptions } from './vrrp-socket-types.js';

/** SEND_BATCH is how many queued datagrams make a sendmmsg at once, before the turn ends. */
export const SEND_BATCH = 32;

/** VRRP_RCVBUF_BYTES is the receive queue of a VRRP socket: seconds of adverts at 255 instances. */
export const VRRP_RCVBUF_BYTES = 8 << 20;

/**
 * openVrrpSocket4 opens the IPv4 VRRP socket through the addon (native/src/vrrp4.c): protocol 112
 * with IP_HDRINCL (the codec writes the header, TTL 255 per RFC 5798 5.1.1.3), bound to the
 * interface, groups joined on its index, multicast out of it, no loopback of our own adverts, and
 * IP_MULTICAST_ALL off so groups joined by other sockets are not delivered here (keepalived does
 * the same). Received messages are whole datagrams, header included, read with recvmmsg and
 * handed over as views of one batch Buffer per wakeup (one copy). The raw-socket package did this
 * before; it sends one datagram per event-loop turn, too few for 255 instances at 0.1 s.
 */
export function openVrrpSocket4(o: VrrpSocketOptions): VrrpSocket {
  const native = loadNative();
  let closed = false;
  const handle = callNative(`open IPv4 VRRP socket on ${o.ifname}`, () =>
    native.vrrp4Open(o.ifname, o.multicastGroups, VRRP_RCVBUF_BYTES, (error, batch) => {
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
      // One wakeup's datagrams in one Buffer: [u16 LE length][datagram] records (native/src/vrrp4.c).
      const b = batch!;
      for (let at = 0; at + 2 <= b.length && !closed; ) {
        const length = b[at]! | (b[at + 1]! << 8);
        o.onPacket({ family: 'inet', data: b.subarray(at + 2, at + 2 + length) });
        at += 2 + length;
      }
    }),
  );
  // Sends are queued and leave together with sendmmsg once the current callback returns (a
  // microtask), or as soon as SEND_BATCH are waiting: the adverts of every instance whose timer
  // fired in the same turn cost one system call, and the first of them waits for at most
  // SEND_BATCH - 1 others. All sends of one batch share one promise.
  const queue: Buffer[] = [];
  let dsts = Buffer.alloc(4 * SEND_BATCH);
  let batch: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | undefined;
  const flush = () => {
    const b = batch;
    batch = undefined;
    if (!b || queue.length === 0) return;
    const count = queue.length;
    try {
      if (closed) throw new SystemCallError('send VRRP', 'EBADF', 'socket closed');
      native.vrrp4SendMany(handle, queue, dsts);
      b.resolve();
    } catch (error) {
      // The addon skips a datagram the kernel refuses and sends the rest (native/src/vrrp4.c):
      // each sender learns from `unsent` whether its own advert is one of those that failed.
      const failed = (error as { failed?: number[] }).failed;
      const operation = `send VRRP on ${o.ifname} (${failed?.length ?? count} of ${count} not sent)`;
      const e = toKernelError(operation, error);
      b.reject(
        e instanceof SystemCallError
          ? new DatagramsNotSentError(
              operation,
              e.errno,
              failed ? failed.map((i) => queue[i]!) : queue.slice(),
            )
          : e,
      );
    } finally {
      queue.length = 0;
    }
  };
  return {
    send(data, dstAddress) {
      if (closed)
        return Promise.reject(new SystemCallError(`send VRRP to ${dstAddress}`, 'EBADF', 'socket closed'));
      const bytes = addressBytes('inet', dstAddress);
      if (!bytes)
        return Promise.reject(new SystemCallError(`send VRRP to ${dstAddress}`, 'EINVAL', 'not IPv4'));
      if (4 * (queue.length + 1) > dsts.length) {
        const grown = Buffer.alloc(dsts.length * 2);
        dsts.copy(grown);
        dsts = grown;
      }
      bytes.copy(dsts, 4 * queue.length);
      queue.push(data);
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
        queueMicrotask(flush);
      }
      const p = batch.promise;
      if (queue.length >= SEND_BATCH) flush();
      return p;
    },
    flush,
    drain() {
      if (!closed) native.vrrp4Drain(handle);
    },
    close() {
      if (closed) return;
      flush();
      closed = true;
      native.vrrp4Close(handle);
    },
  };
}
