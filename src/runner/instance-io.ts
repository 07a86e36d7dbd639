/**
 * InstanceIo is everything an InstanceDriver asks of the kernel, so the driver holds no socket
 * itself: the runner binds it to the instance's VRRP socket and the kernel seam (sockets.ts),
 * unit tests to a fake.
 */
import type { VipSpec } from '../kernel/port.js';
import type { RouteSpec, RuleSpec } from '../kernel/routes.js';

/** InstanceIo is everything the driver asks of the kernel. */
export interface InstanceIo {
  /** send puts bytes on the wire: inet, a whole IPv4 datagram; inet6, the VRRP message. */
  send(data: Buffer, dstAddress: string, srcAddress: string): Promise<void>;
  /** sendReporting is send without a promise: onError hears a failure (kernel/vrrp-socket-types.ts). */
  sendReporting?(data: Buffer, dstAddress: string, srcAddress: string, onError: (err: Error) => void): void;
  /** flush puts queued sends on the wire now (a takeover's advert must not wait for the turn's other work). */
  flush?(): void;
  /**
   * drain hands the adverts already queued on the socket to the instances now: a Master_Down_Timer
   * that fired after the event loop was busy (a reload, a burst of work) must not take over from a
   * master whose adverts arrived in time and wait unread.
   */
  drain?(): void;
  addAddress(vip: VipSpec): Promise<void>;
  deleteAddress(vip: VipSpec): Promise<void>;
  /** announce sends one burst of gratuitous ARPs / unsolicited NAs for the addresses. */
  announce(ifname: string, vips: VipSpec[], repeat: number, intervalMs: number): Promise<void>;
  /** addRoute / deleteRoute / addRule / deleteRule carry virtual_routes and virtual_rules (with the VIPs). */
  addRoute?(route: RouteSpec): Promise<void>;
  deleteRoute?(route: RouteSpec): Promise<void>;
  addRule?(rule: RuleSpec): Promise<void>;
  deleteRule?(rule: RuleSpec): Promise<void>;
  /** blockVips / unblockVips: no_accept, traffic to the addresses is dropped while held (kernel/nftables.ts). */
  blockVips?(addresses: string[]): Promise<void>;
  unblockVips?(addresses: string[]): Promise<void>;
}
