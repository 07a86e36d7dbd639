/**
 * AdvertSender builds and sends one instance's advertisement: the VRRP message (vrrp/codec.ts),
 * wrapped in an IPv4 header with TTL 255 and our own identification for inet (the socket is
 * IP_HDRINCL), to every destination (the multicast group, or each unicast_peer). One call of
 * send is one advert; the driver calls it for every send-advert effect.
 */
import type { GlobalDefs, VrrpInstance } from '../config/model.js';
import type { InstanceCounters } from '../util/counters.js';
import { DatagramsNotSentError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { authDataFromPassword, encodeAdvert } from '../vrrp/codec.js';
import { internetChecksum } from '../vrrp/checksum.js';
import { encodeIpv4Datagram, IPV4_HEADER_LENGTH } from '../vrrp/ipv4.js';
import { IPPROTO_VRRP, type VrrpAdvert, VRRP_TTL } from '../vrrp/packet.js';
import type { InstanceIo } from './instance-io.js';

/** AdvertSenderOptions are what an advert is made of and where it goes. */
export interface AdvertSenderOptions {
  instance: VrrpInstance;
  globals: GlobalDefs;
  /** addresses are the advertised VIPs (not the excluded ones). */
  addresses: string[];
  /** localAddress is our primary address on the interface, the source unless configured. */
  localAddress: string;
  io: Pick<InstanceIo, 'send' | 'sendReporting' | 'flush'>;
  counters: InstanceCounters;
  log: Logger;
}

/** AdvertSender sends an instance's adverts. */
export class AdvertSender {
  private source: string;

  /** sourceAddress is the advert source: unicast_src_ip, mcast_src_ip or the primary address. */
  get sourceAddress(): string {
    return this.source;
  }

  /** A new source (the primary address changed) re-encodes: the checksums cover it. */
  set sourceAddress(address: string) {
    this.source = address;
    this.encoded = [];
  }
  private readonly destinations: string[];
  private ipId = 0;

  constructor(private readonly o: AdvertSenderOptions) {
    const inst = o.instance;
    const group = inst.family === 'inet' ? o.globals.vrrpMcastGroup4 : o.globals.vrrpMcastGroup6;
    this.destinations = inst.unicastPeers.length > 0 ? inst.unicastPeers : [group];
    this.source = inst.unicastSrcIp ?? inst.mcastSrcIp ?? o.localAddress;
  }

  /**
   * The encoded datagram per destination for the last priority sent: an advert differs from the
   * one before only in the IPv4 identification (and header checksum), so the codec runs when the
   * priority changes, not 10 times a second per instance. Two buffers per destination alternate,
   * so a datagram still queued for sendmmsg (kernel/vrrp-socket4.ts) is not rewritten.
   */
  private encoded: { priority: number; ring: [Buffer, Buffer]; next: number }[] = [];

  /** send sends one advertisement with `priority` to every destination; a failed send is logged. */
  send(priority: number): void {
    this.o.counters.advertsSent++;
    if (priority === 0) this.o.counters.priorityZeroSent++;
    const inet = this.o.instance.family === 'inet';
    for (let i = 0; i < this.destinations.length; i++) {
      const dst = this.destinations[i]!;
      let e = this.encoded[i];
      if (e === undefined || e.priority !== priority) {
        const data = this.encode(priority, dst);
        e = { priority, ring: [data, Buffer.from(data)], next: 0 };
        this.encoded[i] = e;
      }
      let data = e.ring[e.next]!;
      e.next ^= 1;
      if (inet) {
        // RFC 791 Identification, then the header checksum over the 20-byte header.
        data.writeUInt16BE(this.nextIpId(), 4);
        data.writeUInt16BE(0, 10);
        data.writeUInt16BE(internetChecksum(data, 0, 0, IPV4_HEADER_LENGTH), 10);
      } else data = e.ring[0];
      const io = this.o.io;
      if (io.sendReporting) io.sendReporting(data, dst, this.sourceAddress, this.onSendError(i));
      else io.send(data, dst, this.sourceAddress).catch(this.onSendError(i));
    }
  }

  /** flush puts this send on the wire now instead of at the end of the turn (kernel/vrrp-socket4.ts batches). */
  flush(): void {
    this.o.io.flush?.();
  }

  private readonly sendErrors: ((err: Error) => void)[] = [];

  /**
   * onSendError is the logger of failed sends to destination i (one function per destination,
   * made once). A batch in which other instances' adverts failed while ours went out is not ours.
   */
  private onSendError(i: number): (err: Error) => void {
    let f = this.sendErrors[i];
    if (!f) {
      const dst = this.destinations[i]!;
      f = (err: Error) => {
        const ring = this.encoded[i]?.ring;
        if (err instanceof DatagramsNotSentError && ring && !ring.some((b) => err.concerns(b))) return;
        this.o.log.warn(`(${this.o.instance.name}) failed to send advert to ${dst}: ${err.message}`);
      };
      this.sendErrors[i] = f;
    }
    return f;
  }

  /** encode builds the whole datagram (inet: IPv4 header + VRRP; inet6: VRRP) for priority and dst. */
  private encode(priority: number, dst: string): Buffer {
    const inst = this.o.instance;
    const auth = inst.version === 2 && inst.authentication?.type === 'PASS' ? inst.authentication : undefined;
    const advert: VrrpAdvert = {
      version: inst.version,
      vrid: inst.virtualRouterId,
      priority,
      advertIntervalMs: inst.advertIntervalMs,
      addresses: this.o.addresses,
      authType: auth ? 1 : 0,
      authData: auth ? authDataFromPassword(auth.password) : undefined,
    };
    const msg = encodeAdvert(advert, {
      family: inst.family,
      srcAddress: this.sourceAddress,
      dstAddress: dst,
      mcastGroup4: this.o.globals.vrrpMcastGroup4,
    });
    if (inst.family !== 'inet') return msg;
    return encodeIpv4Datagram({
      srcAddress: this.sourceAddress,
      dstAddress: dst,
      ttl: VRRP_TTL,
      protocol: IPPROTO_VRRP,
      payload: msg,
      id: 1,
    });
  }

  /** nextIpId counts the IPv4 identification up per advert as keepalived does, skipping 0 (0 lets the kernel pick). */
  private nextIpId(): number {
    this.ipId = (this.ipId % 0xffff) + 1;
    return this.ipId;
  }
}
