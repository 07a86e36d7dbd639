/**
 * LVS in the configuration model: virtual servers, their real and sorry servers, virtual server
 * groups and the lvs_* globals.
 */
import type { SourcePos } from '../ast.js';
import type { Checker, CheckerCommon, FlapGuardSetting } from './checkers.js';
import type { AddressFamily } from './common.js';

/** LvsForward is a forwarding method as keepalived writes it (lb_kind / lvs_method). */
export type LvsForward = 'NAT' | 'DR' | 'TUN';

/** LvsTunnel is the `TUN type ipip|gue|gre [port N] [nocsum|csum|remcsum]` tail of lvs_method (tunnel_type). */
export interface LvsTunnel {
  type: 'ipip' | 'gue' | 'gre';
  /** port is the GUE port (gue only). */
  port?: number;
  /** csum is IP_VS_TUNNEL_ENCAP_FLAG_*: nocsum (default), csum, remcsum. */
  csum: 'nocsum' | 'csum' | 'remcsum';
}

/** RealServer is a `real_server IP PORT { ... }` block. */
export interface RealServer {
  address: string;
  /** family of the real server's address (may differ from the virtual server's with TUN). */
  family: AddressFamily;
  /** port: for DR and TUN keepalived forces the virtual server's port (0 for fwmark). */
  port: number;
  /** weight defaults to 1 (or the virtual server's `weight`). */
  weight: number;
  /** forward is lvs_method of the real server, else the virtual server's lb_kind. */
  forward: LvsForward;
  tunnel?: LvsTunnel;
  /** uThreshold / lThreshold are uthreshold / lthreshold (0 = none). */
  uThreshold: number;
  lThreshold: number;
  notifyUp?: string;
  notifyDown?: string;
  inhibitOnFailure: boolean;
  /** alpha: the server starts down until its checkers say otherwise (real server's own or the virtual server's). */
  alpha: boolean;
  checkers: Checker[];
  /** flapGuard (keepvip `flap_guard`, own or the virtual server's): hold a flapping server down. */
  flapGuard?: FlapGuardSetting;
  /** smtpAlert is the real server's `smtp_alert [on|off]`: its checkers' mails (unset: the virtual server's, else global). */
  smtpAlert?: boolean;
  /** snmpName is `snmp_name NAME`: keepalived's SNMP name; keepvip names the server with it in status and metrics. */
  snmpName?: string;
  pos: SourcePos;
}

/** SorryServer is `sorry_server IP PORT` with sorry_server_inhibit and sorry_server_lvs_method. */
export interface SorryServer {
  address: string;
  family: AddressFamily;
  port: number;
  forward: LvsForward;
  tunnel?: LvsTunnel;
  /** inhibit (sorry_server_inhibit): kept in the table with weight 0 while not in use. */
  inhibit: boolean;
  pos?: SourcePos;
}

/** LvsSchedFlag is a scheduler flag keyword of a virtual server (IP_VS_SVC_F_*). */
export type LvsSchedFlag =
  | 'ops'
  | 'flag-1'
  | 'flag-2'
  | 'flag-3'
  | 'sh-port'
  | 'sh-fallback'
  | 'mh-port'
  | 'mh-fallback';

/** VirtualServer is a `virtual_server IP PORT | fwmark N | group NAME { ... }` block. */
export interface VirtualServer {
  address?: string;
  port?: number;
  fwmark?: number;
  /** group names a virtual_server_group: its entries are the services. */
  group?: string;
  family: AddressFamily;
  /** delayLoopMs defaults to 60 s. */
  delayLoopMs: number;
  /** lbAlgo is lb_algo / lvs_sched (rr, wrr, lc, wlc, ...). */
  lbAlgo: string;
  /** lbKind is lb_kind / lvs_method; NAT by default. */
  lbKind: LvsForward;
  /** tunnel is the tunnel_type tail of `lb_kind TUN type ...`. */
  tunnel?: LvsTunnel;
  /** schedFlags are ops, flag-1..3, sh-port, sh-fallback, mh-port, mh-fallback. */
  schedFlags: LvsSchedFlag[];
  /** persistenceTimeoutS: undefined means no persistence (1.x `persistence_timeout 0` maps here). */
  persistenceTimeoutS?: number;
  /** persistenceGranularity is the netmask as a prefix length (IPv4 dotted mask converted; undefined = /32 or /128). */
  persistenceGranularity?: number;
  /** persistenceEngine is persistence_engine (IPVS_SVC_ATTR_PE_NAME, e.g. sip). */
  persistenceEngine?: string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  sorryServer?: SorryServer;
  /** quorum defaults to 1, hysteresis to 0. */
  quorum: number;
  hysteresis: number;
  quorumUp?: string;
  quorumDown?: string;
  alpha: boolean;
  omega: boolean;
  inhibitOnFailure: boolean;
  /** haSuspend: the checkers pause while the virtual server's address is not on this director. */
  haSuspend: boolean;
  realServers: RealServer[];
  /** flapGuard (keepvip `flap_guard`) is the default of the real servers' flapping guard. */
  flapGuard?: FlapGuardSetting;
  /** smtpAlert is the virtual server's `smtp_alert [on|off]`: the default of its real servers' checker mails. */
  smtpAlert?: boolean;
  /** drPathCheck (keepvip `dr_path_check on`, lb_kind DR, IPv4) is the data-path checker joined to each DR real server's checkers. */
  drPathCheck?: DrPathCheck;
  /** snmpName is `snmp_name NAME`: keepalived's SNMP name; keepvip names the virtual server with it in status and metrics. */
  snmpName?: string;
  pos: SourcePos;
}

/**
 * DrPathCheck is keepvip's `dr_path_check on` (no keepalived keyword): a TCP SYN for VIP:PORT sent
 * to the real server's MAC must be answered, and the real server must not answer ARP for the VIP
 * (check/probes/dr-path.ts). Its timing is the virtual server's checker defaults.
 */
export interface DrPathCheck extends CheckerCommon {
  kind: 'DR_PATH_CHECK';
}

/** VirtualServerGroupEntry is one line of a virtual_server_group: `IP[-LAST] [PORT]` or `fwmark N`. */
export type VirtualServerGroupEntry =
  | { kind: 'range'; family: AddressFamily; first: string; last: string; port: number; pos: SourcePos }
  | { kind: 'fwmark'; fwmark: number; family?: AddressFamily; pos: SourcePos };

/** VirtualServerGroup is a `virtual_server_group NAME { ... }` block. */
export interface VirtualServerGroup {
  name: string;
  entries: VirtualServerGroupEntry[];
  pos: SourcePos;
}

/** LvsSyncDaemonDef is global `lvs_sync_daemon IFACE [INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group ADDR]`. */
export interface LvsSyncDaemonDef {
  ifname: string;
  /** instance is the vrrp_instance whose state decides master or backup. */
  instance?: string;
  /** syncId defaults to the instance's virtual_router_id (0 for the 1.x vrrp_instance `lvs_sync_daemon_interface`, as keepalived 2.2.7). */
  syncId?: number;
  maxLen?: number;
  port?: number;
  ttl?: number;
  group?: string;
  pos: SourcePos;
}

/** LvsGlobals are the lvs_* settings of global_defs. */
export interface LvsGlobals {
  syncDaemon?: LvsSyncDaemonDef;
  /** timeouts is lvs_timeouts tcp N tcpfin N udp N in seconds (0 = unchanged). */
  timeouts?: { tcp: number; tcpFin: number; udp: number };
  /** flush: lvs_flush empties the whole IPVS table at start. */
  flush: boolean;
  /** flushOnStop: lvs_flush_on_stop (full table) or `VS` (own services at once); default: servers then services one by one. */
  flushOnStop: 'none' | 'full' | 'vs';
  notifyFifo?: { path: string; script?: string };
  /** keepOnStop (keepvip `lvs_keep_on_stop`, keepalived -I): leave the table on stop, for a restart to adopt without a blip. */
  keepOnStop?: boolean;
  /** realServerSetup (keepvip `real_server_setup`): this host is a DR real server of these VIPs (`keepvip realserver up` at start, down at stop). */
  realServerSetup?: { vips: string[]; pos: SourcePos };
}
