/**
 * VRRP instances and sync groups in the configuration model: the instance block, its virtual
 * addresses, routes and rules, gratuitous ARP timings and notify commands.
 */
import type { SourcePos } from '../ast.js';
import type { AddressFamily } from './common.js';
import type { TrackRef } from './track.js';

/** GarpSettings are the gratuitous ARP / unsolicited NA timings of an instance. */
export interface GarpSettings {
  /** masterDelayMs: delay before the second burst after becoming master (garp_master_delay, default 5 s; 0 = none). */
  masterDelayMs: number;
  /** masterRepeat: messages per burst (garp_master_repeat, default 5). */
  masterRepeat: number;
  /** masterRefreshMs: period of refresh bursts while master (garp_master_refresh, default 0 = off). */
  masterRefreshMs: number;
  /** masterRefreshRepeat: messages per refresh burst (garp_master_refresh_repeat, default 1). */
  masterRefreshRepeat: number;
  /** lowerPrioDelayMs / lowerPrioRepeat: burst sent when a lower-priority advert is heard (garp_lower_prio_*). */
  lowerPrioDelayMs: number;
  lowerPrioRepeat: number;
  /** intervalMs: gap between messages of one burst (vrrp_garp_interval / vrrp_gna_interval, default 0). */
  intervalMs: number;
}

/** NotifyCommands are the notify_* command strings of an instance or sync group. */
export interface NotifyCommands {
  master?: string;
  backup?: string;
  fault?: string;
  stop?: string;
  /** any is `notify`: called with INSTANCE|GROUP, name, state, priority appended. */
  any?: string;
}

/** VirtualIpAddress is one line of virtual_ipaddress: `IP[/prefix] [brd IP] [dev IF] [scope S] [label L]`. */
export interface VirtualIpAddress {
  address: string;
  family: AddressFamily;
  /** prefixLength defaults to 32 (IPv4) or 128 (IPv6). */
  prefixLength: number;
  brd?: string;
  /** dev defaults to the instance's interface. */
  dev?: string;
  /** scope: global (default), host, link, site, nowhere or a number. */
  scope?: string;
  label?: string;
  pos: SourcePos;
}

/** RouteType is a route's rtm_type as keepalived's virtual_routes writes it (linux/rtnetlink.h RTN_*). */
export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw';

/**
 * VirtualRoute is one line of virtual_routes (keepalived vrrp_iproute.c):
 * `[src IP] [to] DEST[/LEN] [via|gw IP] [dev IF] [scope S] [table T] [metric N] [protocol P] [onlink]`,
 * or `blackhole|unreachable|prohibit|throw DEST`. Added when the instance becomes MASTER.
 */
export interface VirtualRoute {
  family: AddressFamily;
  /** dst is the destination network address; `default` is 0.0.0.0/0 or ::/0. */
  dst: string;
  dstPrefixLength: number;
  type: RouteType;
  /** src is the preferred source (RTA_PREFSRC). */
  src?: string;
  /** via is the gateway (RTA_GATEWAY). */
  via?: string;
  /** dev is the output interface; a unicast route without via or dev uses the instance's interface. */
  dev?: string;
  scope?: string;
  /** table defaults to main (254). */
  table?: number;
  /** metric is RTA_PRIORITY (`metric`, `priority`, `preference`). */
  metric?: number;
  /** protocol is rtm_protocol; keepalived's default is `keepalived` (18). */
  protocol?: number;
  onlink?: boolean;
  pos: SourcePos;
}

/** RuleAction is a rule's FR_ACT_* (linux/fib_rules.h). */
export type RuleAction = 'table' | 'blackhole' | 'unreachable' | 'prohibit';

/**
 * VirtualRule is one line of virtual_rules (keepalived vrrp_iprule.c):
 * `[from IP[/LEN]|all] [to IP[/LEN]] [table|lookup T] [priority|pref|preference N] [fwmark M[/MASK]] [iif IF] [oif IF] [tos N]`.
 */
export interface VirtualRule {
  family: AddressFamily;
  from?: { address: string; prefixLength: number };
  to?: { address: string; prefixLength: number };
  action: RuleAction;
  table?: number;
  priority?: number;
  fwmark?: number;
  fwmask?: number;
  iif?: string;
  oif?: string;
  tos?: number;
  pos: SourcePos;
}

/** VrrpInstance is a `vrrp_instance NAME { ... }` block. */
export interface VrrpInstance {
  name: string;
  /** initialState is the `state` keyword; BACKUP by default. */
  initialState: 'MASTER' | 'BACKUP';
  /** interface is the instance's interface (or global default_interface). */
  interface: string;
  virtualRouterId: number;
  /** priority defaults to 100; 255 means address owner. */
  priority: number;
  /** advertIntervalMs is advert_int in milliseconds (default 1000). */
  advertIntervalMs: number;
  version: 2 | 3;
  /** family is the family of the instance's VIPs (keepalived forbids mixing in one instance). */
  family: AddressFamily;
  authentication?: { type: 'PASS' | 'AH'; password: string };
  virtualIpAddresses: VirtualIpAddress[];
  /** virtualIpAddressesExcluded are added and removed with the VIPs but never advertised (any family). */
  virtualIpAddressesExcluded: VirtualIpAddress[];
  /** virtualRoutes / virtualRules are added on becoming MASTER and removed on leaving it. */
  virtualRoutes: VirtualRoute[];
  virtualRules: VirtualRule[];
  /** promoteSecondaries sets net.ipv4.conf.IF.promote_secondaries=1 on the interface. */
  promoteSecondaries: boolean;
  trackScripts: TrackRef[];
  trackInterfaces: TrackRef[];
  trackFiles: TrackRef[];
  trackProcesses: TrackRef[];
  /** handoff (keepvip `handoff fast|rfc`) overrides the global vrrp_handoff for this instance. */
  handoff?: 'fast' | 'rfc';
  nopreempt: boolean;
  /** preemptDelayMs defaults to 0. */
  preemptDelayMs: number;
  unicastSrcIp?: string;
  unicastPeers: string[];
  /** unicastPeerTtl: a peer's `min_ttl N` / `max_ttl N` window (keepalived's defaults 0..255), by peer address. */
  unicastPeerTtl?: Record<string, { min: number; max: number }>;
  /** mcastSrcIp is mcast_src_ip: the source address of multicast adverts. */
  mcastSrcIp?: string;
  notify: NotifyCommands;
  smtpAlert?: boolean;
  garp: GarpSettings;
  /** accept defaults to true, false under vrrp_strict (accept / no_accept). */
  accept: boolean;
  /** useVmac: the VMAC interface name when `use_vmac` is set. */
  useVmac?: string;
  /** vmacXmitBase: with use_vmac, adverts are sent and received on the base interface (vmac_xmit_base). */
  vmacXmitBase?: boolean;
  dontTrackPrimary: boolean;
  pos: SourcePos;
}

/** VrrpSyncGroup is a `vrrp_sync_group NAME { group { ... } ... }` block. */
export interface VrrpSyncGroup {
  name: string;
  members: string[];
  trackScripts: TrackRef[];
  trackInterfaces: TrackRef[];
  trackFiles: TrackRef[];
  trackProcesses: TrackRef[];
  notify: NotifyCommands;
  smtpAlert?: boolean;
  pos: SourcePos;
}
