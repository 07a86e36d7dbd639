/**
 * ICMP echo for PING_CHECK (keepalived check_ping.c): one raw socket per family (raw-socket
 * package; ICMP for IPv4, ICMPv6 for IPv6) shared by every pinger, requests told apart by
 * identifier and sequence number, each answered or timed out on the injected Clock. The
 * socket opens on the first ping and closes when no ping is pending.
 */
import { createRequire } from 'node:module';
import { isIPv6 } from 'node:net';
import type { Clock, TimerHandle } from '../util/clock.js';
import { ProbeTimeoutError, SystemCallError } from '../util/errors.js';

const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;
const ICMP_ECHO = 8;
const ICMP_ECHOREPLY = 0;
const ICMP6_ECHO_REQUEST = 128;
const ICMP6_ECHO_REPLY = 129;

interface RawSocket {
  on(event: 'message', listener: (buffer: Buffer, source: string) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
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

/** icmpChecksum is the RFC 1071 Internet checksum of an ICMP message. */
export function icmpChecksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2 === 1) sum += b[b.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** encodeEcho builds an echo request (ICMPv6's checksum is filled in by the kernel, RFC 3542 3.1). */
export function encodeEcho(v6: boolean, id: number, seq: number): Buffer {
  const b = Buffer.alloc(16);
  b[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
  b.writeUInt16BE(id, 4);
  b.writeUInt16BE(seq, 6);
  b.write('keepvip\0', 8, 'latin1');
  if (!v6) b.writeUInt16BE(icmpChecksum(b), 2);
  return b;
}

/** decodeEchoReply returns id/seq of an echo reply (IPv4 raw sockets deliver the IP header too), or undefined. */
export function decodeEchoReply(v6: boolean, data: Buffer): { id: number; seq: number } | undefined {
  const off = v6 ? 0 : (data[0]! & 0x0f) * 4;
  if (data.length < off + 8) return undefined;
  if (data[off] !== (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY)) return undefined;
  return { id: data.readUInt16BE(off + 4), seq: data.readUInt16BE(off + 6) };
}

interface Pending {
  address: string;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: TimerHandle;
}

/** IcmpPinger sends echo requests and resolves when the matching reply arrives. */
export class IcmpPinger {
  private sockets: Partial<Record<'4' | '6', RawSocket>> = {};
  private readonly pending = new Map<string, Pending>();
  private seq = 0;
  private readonly id: number;

  constructor(private readonly clock: Clock) {
    this.id = process.pid & 0xffff;
  }

  /** ping resolves when `address` answers within timeoutMs; rejects with ETIMEDOUT or the send errno. */
  ping(address: string, timeoutMs: number): Promise<void> {
    const v6 = isIPv6(address);
    const socket = this.socket(v6);
    this.seq = (this.seq + 1) & 0xffff;
    const seq = this.seq;
    const key = `${v6 ? 6 : 4}:${seq}`;
    return new Promise<void>((resolve, reject) => {
      const timer = this.clock.at(this.clock.nowMs() + timeoutMs, () => {
        this.settle(key);
        reject(new ProbeTimeoutError(`ping ${address}`));
      });
      this.pending.set(key, { address, resolve, reject, timer });
      const b = encodeEcho(v6, this.id, seq);
      socket.send(b, 0, b.length, address, (err) => {
        if (!err) return;
        const p = this.settle(key);
        p?.reject(new SystemCallError(`ping ${address}`, 'EIO', err.message));
      });
    });
  }

  /** close drops the sockets; pending pings time out. */
  close(): void {
    for (const s of Object.values(this.sockets)) s?.close();
    this.sockets = {};
  }

  private settle(key: string): Pending | undefined {
    const p = this.pending.get(key);
    if (p === undefined) return undefined;
    this.pending.delete(key);
    p.timer.cancel();
    if (this.pending.size === 0) this.close();
    return p;
  }

  private socket(v6: boolean): RawSocket {
    const fam = v6 ? '6' : '4';
    const existing = this.sockets[fam];
    if (existing) return existing;
    const raw = createRequire(import.meta.url)('raw-socket') as RawSocketModule;
    let s: RawSocket;
    try {
      s = raw.createSocket({
        addressFamily: v6 ? raw.AddressFamily.IPv6 : raw.AddressFamily.IPv4,
        protocol: v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
        bufferSize: 4096,
      });
    } catch (err) {
      throw new SystemCallError(
        'open ICMP socket',
        /not permitted/i.test(String(err)) ? 'EPERM' : 'EIO',
        String(err),
      );
    }
    s.on('message', (buffer, source) => {
      const r = decodeEchoReply(v6, buffer);
      if (r === undefined || r.id !== this.id) return;
      const key = `${fam}:${r.seq}`;
      const p = this.pending.get(key);
      if (p === undefined || p.address !== source) return;
      this.settle(key);
      p.resolve();
    });
    s.on('error', (err) => {
      for (const [key, p] of [...this.pending]) {
        if (!key.startsWith(`${fam}:`)) continue;
        this.settle(key);
        p.reject(new SystemCallError('ICMP socket', 'EIO', err.message));
      }
      delete this.sockets[fam];
    });
    this.sockets[fam] = s;
    return s;
  }
}
