/**
 * Reading a probe connection: whole response until the peer closes (or a byte limit), with
 * keepalived's per-read timeout (a read that waits longer than connect_timeout fails the
 * check, so a server that accepts and never answers, or stalls mid-body, is caught).
 */
import type { Duplex } from 'node:stream';
import { yieldToIo } from '../../kernel/probe-socket.js';
import { ProbeTimeoutError } from '../../util/errors.js';
import type { Clock, TimerHandle } from '../../util/clock.js';

/** readUntil collects data until `done(buffer)` says enough, the peer ends, or a read times out. */
export function readUntil(
  socket: Duplex,
  o: { timeoutMs: number; clock: Clock; maxBytes: number; done?: (buf: Buffer) => boolean },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timer: TimerHandle | undefined;
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      timer?.cancel();
      socket.removeAllListeners('data');
      if (err) reject(err);
      else resolve(Buffer.concat(chunks));
    };
    // armed counts arms: a timeout whose wait for the poll (yieldToIo) saw data arrive is stale.
    let armed = 0;
    const arm = () => {
      timer?.cancel();
      const mine = ++armed;
      timer = o.clock.at(
        o.clock.nowMs() + o.timeoutMs,
        yieldToIo(() => {
          if (mine === armed) finish(new ProbeTimeoutError('read'));
        }),
      );
    };
    arm();
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      size += d.length;
      if (size >= o.maxBytes || o.done?.(Buffer.concat(chunks))) finish();
      else arm();
    });
    socket.once('end', () => finish());
    socket.once('close', () => finish());
    socket.once('error', (err) => finish(err));
  });
}
