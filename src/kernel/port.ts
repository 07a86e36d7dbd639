/**
 * KernelPort is the kernel seam as the runner sees it: every privileged operation the VRRP runner
 * needs, in one interface, so the runner holds no socket or netlink code and unit tests drive it
 * with a fake port. linux-kernel.ts binds it to the real kernel. It lives in kernel/ (the runner
 * imports it), so the kernel layer imports nothing above it.
 */
import type { ExitWatcher } from './pidfd.js';
import type { RouteSpec, RuleSpec } from './routes.js';
import type { ReceivedPacket, VrrpSocket, VrrpSocketOptions } from './vrrp-socket-types.js';

export type { ReceivedPacket } from './vrrp-socket-types.js';

/** VipSpec is a VIP as the kernel layer adds it: the configured address with its device resolved. */
export interface VipSpec {
  address: string;
  family: 'inet' | 'inet6';
  prefixLength: number;
  dev: string;
  brd?: string;
  scope?: string;
  label?: string;
}

/** LinkInfo is an interface's state as rtnetlink reports it. */
export interface LinkInfo {
  name: string;
  index: number;
  up: boolean;
  carrier: boolean;
  mac?: string;
  /** deleted is set when the change is the link's removal (RTM_DELLINK). */
  deleted?: boolean;
}

/** PacketSocket sends VRRP datagrams and closes. */
export interface PacketSocket {
  send(data: Buffer, dstAddress: string, srcAddress?: string): Promise<void>;
  /** sendReporting: send without a promise, failures to onError (see VrrpSocket.sendReporting). */
  sendReporting?: VrrpSocket['sendReporting'];
  /** flush sends what send() queued at once (see VrrpSocket.flush). */
  flush?(): void;
  /** drain hands what is queued on the socket to onPacket now (see VrrpSocket.drain). */
  drain?(): void;
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
    /** onRepeated: the IPv4 shortcut asked before onPacket (VrrpSocketOptions.onRepeated). */
    onRepeated?: VrrpSocketOptions['onRepeated'];
    onError?: (e: Error) => void;
  }): Promise<PacketSocket>;
  getLink(ifname: string): Promise<LinkInfo>;
  getPrimaryAddress(ifname: string, family: 'inet' | 'inet6'): Promise<string | undefined>;
  listAddresses(): Promise<InstalledAddress[]>;
  addAddress(vip: VipSpec): Promise<void>;
  deleteAddress(vip: VipSpec): Promise<void>;
  announce(ifname: string, vips: VipSpec[], repeat: number, intervalMs: number): Promise<void>;
  /** watchLinks reports link changes; onLost says notifications were lost (ENOBUFS): re-read the links. */
  watchLinks(onChange: (link: LinkInfo) => void, onLost?: () => void): { close(): void };
  /**
   * watchAddresses reports every address added to or removed from an interface (RTM_NEWADDR /
   * RTM_DELADDR), with the interface's name when the notification gives it (IPv4's IFA_LABEL);
   * onLost says notifications were lost (ENOBUFS): re-read what depends on them.
   */
  watchAddresses(
    onChange: (change: { ifname?: string; address: string; added: boolean }) => void,
    onLost?: () => void,
  ): { close(): void };
  /** watchExit watches a process with a pidfd (vrrp_track_process); undefined when it is gone. */
  watchExit?: ExitWatcher;
  /** onNetlinkError registers for request-socket errors (ENOBUFS: replies lost, re-apply the VIP state). */
  onNetlinkError?(listener: (error: Error) => void): () => void;
  /** addRoute / deleteRoute / addRule / deleteRule: virtual_routes and virtual_rules (kernel/routes.ts). */
  addRoute?(route: RouteSpec): Promise<void>;
  deleteRoute?(route: RouteSpec): Promise<void>;
  addRule?(rule: RuleSpec): Promise<void>;
  deleteRule?(rule: RuleSpec): Promise<void>;
  /** setPromoteSecondaries sets net.ipv4.conf.IFNAME.promote_secondaries to 1; resolves to the restore step when it changed it. */
  setPromoteSecondaries?(ifname: string): Promise<(() => Promise<void>) | undefined>;
  /** nftBlockVips / nftUnblockVips / nftCleanup: keepalived's no_accept nftables set (kernel/nftables.ts). */
  nftBlockVips?(addresses: string[]): Promise<void>;
  nftUnblockVips?(addresses: string[]): Promise<void>;
  nftCleanup?(): Promise<void>;
  /** addVmac creates an instance's VMAC (use_vmac, kernel/vmac.ts); resolves to the step that deletes it. */
  /** openAhSocket opens an interface's IPv4 IPsec AH socket (protocol 51, auth_type AH; kernel/ah-socket.ts). */
  openAhSocket?(o: {
    ifname: string;
    onPacket: (datagram: Buffer) => void;
    onError?: (e: Error) => void;
  }): PacketSocket;
  addVmac?(spec: {
    name: string;
    base: string;
    vrid: number;
    family: 'inet' | 'inet6';
  }): Promise<() => Promise<void>>;
}
