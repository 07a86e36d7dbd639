/**
 * AdvertSender builds and sends one instance's advertisement: the VRRP message (vrrp/codec.ts),
 * wrapped in an IPv4 header with TTL 255 and our own identification for inet (the socket is
 * IP_HDRINCL), to every destination (the multicast group, or each unicast_peer). One call of
 * send is one advert; the driver calls it for every send-advert effect.
 */
import type { GlobalDefs, VrrpInstance } from '../config/model.js';
import type { InstanceCounters } from '../util/counters.js';
import type { Logger } from '../util/logger.js';
import { authDataFromPassword, encodeAdvert } from '../vrrp/codec.js';
import { encodeIpv4Datagram } from '../vrrp/ipv4.js';
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
  io: Pick<InstanceIo, 'send'>;
  counters: InstanceCounters;
  log: Logger;
}

/** AdvertSender sends an instance's adverts. */
export class AdvertSender {
  /** sourceAddress is the advert source: unicast_src_ip, mcast_src_ip or the primary address. */
  sourceAddress: string;
  private readonly destinations: string[];
  private ipId = 0;

  constructor(private readonly o: AdvertSenderOptions) {
    const inst = o.instance;
    const group = inst.family === 'inet' ? o.globals.vrrpMcastGroup4 : o.globals.vrrpMcastGroup6;
    this.destinations = inst.unicastPeers.length > 0 ? inst.unicastPeers : [group];
    this.sourceAddress = inst.unicastSrcIp ?? inst.mcastSrcIp ?? o.localAddress;
  }

  /** send sends one advertisement with `priority` to every destination; a failed send is logged. */
  send(priority: number): void {
    const inst = this.o.instance;
    const advert: VrrpAdvert = {
      version: inst.version,
      vrid: inst.virtualRouterId,
      priority,
      advertIntervalMs: inst.advertIntervalMs,
      addresses: this.o.addresses,
      authType: inst.version === 2 && inst.authentication?.type === 'PASS' ? 1 : 0,
      authData:
        inst.version === 2 && inst.authentication?.type === 'PASS'
          ? authDataFromPassword(inst.authentication.password)
          : undefined,
    };
    this.o.counters.advertsSent++;
    if (priority === 0) this.o.counters.priorityZeroSent++;
    for (const dst of this.destinations) {
      const msg = encodeAdvert(advert, {
        family: inst.family,
        srcAddress: this.sourceAddress,
        dstAddress: dst,
        mcastGroup4: this.o.globals.vrrpMcastGroup4,
      });
      const data =
        inst.family === 'inet'
          ? encodeIpv4Datagram({
              srcAddress: this.sourceAddress,
              dstAddress: dst,
              ttl: VRRP_TTL,
              protocol: IPPROTO_VRRP,
              payload: msg,
              id: this.nextIpId(),
            })
          : msg;
      this.o.io.send(data, dst, this.sourceAddress).catch((err: Error) => {
        this.o.log.warn(`(${inst.name}) failed to send advert to ${dst}: ${err.message}`);
      });
    }
  }

  /** nextIpId counts the IPv4 identification up per advert as keepalived does, skipping 0 (0 lets the kernel pick). */
  private nextIpId(): number {
    this.ipId = (this.ipId % 0xffff) + 1;
    return this.ipId;
  }
}
