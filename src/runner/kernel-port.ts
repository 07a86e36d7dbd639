/**
 * KernelPort is the runner's view of the kernel seam (src/kernel/): every privileged operation
 * the VRRP runner needs, in one interface, so the runner itself holds no socket or netlink code.
 */
import type { RouteSpec, RuleSpec } from '../kernel/routes.js';
import type { ReceivedPacket } from '../kernel/vrrp-socket.js';
import type { VipSpec } from './instance.js';

/** LinkInfo is an interface's state as rtnetlink reports it. */
export interface LinkInfo {
  name: string;
  index: number;
  up: boolean;
  carrier: boolean;
  mac?: string;
}

/** ReceivedPacket is one datagram from a VRRP socket, as the kernel seam defines it. */
export type { ReceivedPacket } from '../kernel/vrrp-socket.js';

/** PacketSocket sends VRRP datagrams and closes. */
export interface PacketSocket {
  send(data: Buffer, dstAddress: string, srcAddress?: string): Promise<void>;
  close(): void;
}

/** InstalledAddress is an address found on an interface. */
export interface InstalledAddress {
  address: string;
  prefixLength: number;
  ifname: string;
}

/** KernelPort is everything the runner asks of the kernel. */
export interface KernelPort {
  openVrrpSocket(o: {
    family: 'inet' | 'inet6';
    ifname: string;
    multicastGroups: string[];
    onPacket: (p: ReceivedPacket) => void;
    onError?: (e: Error) => void;
  }): Promise<PacketSocket>;
  getLink(ifname: string): Promise<LinkInfo>;
  getPrimaryAddress(ifname: string, family: 'inet' | 'inet6'): Promise<string | undefined>;
  listAddresses(): Promise<InstalledAddress[]>;
  addAddress(vip: VipSpec): Promise<void>;
  deleteAddress(vip: VipSpec): Promise<void>;
  announce(ifname: string, vips: VipSpec[], repeat: number, intervalMs: number): Promise<void>;
  watchLinks(onChange: (link: LinkInfo) => void): { close(): void };
  /** addRoute / deleteRoute / addRule / deleteRule: virtual_routes and virtual_rules (kernel/routes.ts). */
  addRoute?(route: RouteSpec): Promise<void>;
  deleteRoute?(route: RouteSpec): Promise<void>;
  addRule?(rule: RuleSpec): Promise<void>;
  deleteRule?(rule: RuleSpec): Promise<void>;
  /** setPromoteSecondaries sets net.ipv4.conf.IFNAME.promote_secondaries to 1; resolves to the restore step when it changed it. */
  setPromoteSecondaries?(ifname: string): Promise<(() => Promise<void>) | undefined>;
}
