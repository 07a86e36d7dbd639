/**
 * The typed, validated configuration model. Every value is resolved to keepalived 2.2.7's
 * default when the file does not set it, and converted to host units: times in milliseconds
 * (`...Ms`), addresses as strings in canonical form. Components read only this model, never
 * the syntax tree. Every object made from a statement keeps `pos` for messages.
 */
import type { SourcePos } from './ast.js';

/** AddressFamily of an instance or address: keepalived's inet / inet6. */
export type AddressFamily = 'inet' | 'inet6';

/** KeepvipConfig is the whole resolved configuration. */
export interface KeepvipConfig {
  /** files lists every file that was read, the main file first. */
  files: string[];
  globalDefs: GlobalDefs;
  vrrpScripts: VrrpScript[];
  trackFiles: TrackFileDef[];
  /** trackProcesses are the `vrrp_track_process` blocks. */
  trackProcesses: TrackProcessDef[];
  vrrpInstances: VrrpInstance[];
  vrrpSyncGroups: VrrpSyncGroup[];
  virtualServers: VirtualServer[];
  /** virtualServerGroups are the `virtual_server_group NAME { ... }` blocks (LVS). */
  virtualServerGroups?: VirtualServerGroup[];
  /** nginxUpstreams are keepvip's `nginx_upstream NAME { ... }` blocks (src/nginx/ renders them). */
  nginxUpstreams: NginxUpstream[];
}

/** ScriptUser is a `user USERNAME [GROUPNAME]` setting for scripts. */
export interface ScriptUser {
  user: string;
  group?: string;
}

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

/** GlobalDefs is the `global_defs` block with defaults applied. */
export interface GlobalDefs {
  /** routerId defaults to the host name. */
  routerId: string;
  notificationEmail: string[];
  /** notificationEmailFrom defaults to `keepalived@<hostname>`. */
  notificationEmailFrom: string;
  smtpServer?: { host: string; port: number };
  /** smtpHeloName defaults to the host name. */
  smtpHeloName: string;
  /** smtpConnectTimeoutMs defaults to 30 s. */
  smtpConnectTimeoutMs: number;
  /** smtpAlert: the global `smtp_alert` (undefined when not written). */
  smtpAlert?: boolean;
  /** vrrpMcastGroup4 defaults to 224.0.0.18; vrrpMcastGroup6 to ff02::12. */
  vrrpMcastGroup4: string;
  vrrpMcastGroup6: string;
  /** vrrpVersion defaults to 2. */
  vrrpVersion: 2 | 3;
  /** garp holds the vrrp_garp_* globals that instances inherit (intervalMs is vrrp_garp_interval). */
  garp: GarpSettings;
  /** gnaIntervalMs is vrrp_gna_interval: the gap between unsolicited NAs, inherited by IPv6 instances (default 0). */
  gnaIntervalMs: number;
  vrrpStrict: boolean;
  scriptUser?: ScriptUser;
  enableScriptSecurity: boolean;
  defaultInterface?: string;
  /** notifyFifo / vrrpNotifyFifo: FIFO path and optional script that reads it. */
  notifyFifo?: { path: string; script?: string };
  vrrpNotifyFifo?: { path: string; script?: string };
  /** notifyScriptTimeoutMs: how long a notify script may run before it is killed (keepvip; default 15 s). */
  notifyScriptTimeoutMs: number;
  /**
   * vrrpHandoff (keepvip, `vrrp_handoff fast|rfc`): `fast` (default) lets a backup take over from
   * a master advertising a lower priority after Skew_Time and makes a stopping master keep its
   * VIPs until the new master is heard; `rfc` keeps RFC 5798's timers (see ARCHITECTURE.md).
   */
  vrrpHandoff: 'fast' | 'rfc';
  /** lvs holds the lvs_* globals (lvs_sync_daemon, lvs_timeouts, lvs_flush...); undefined = defaults. */
  lvs?: LvsGlobals;
  pos?: SourcePos;
}

/** VrrpScript is a `vrrp_script NAME { ... }` block. */
export interface VrrpScript {
  name: string;
  /** script is the command string exactly as written (shell syntax allowed, see track/). */
  script: string;
  /** intervalMs defaults to 1 s. */
  intervalMs: number;
  /** timeoutMs defaults to the interval. */
  timeoutMs: number;
  /** weight defaults to 0 (failure puts the instance in FAULT). */
  weight: number;
  weightReverse: boolean;
  /** fall and rise default to 1. */
  fall: number;
  rise: number;
  user?: ScriptUser;
  /** initFail: the script starts in the failed state (init_fail). */
  initFail: boolean;
  pos: SourcePos;
}

/** TrackFileDef is a `track_file NAME { file PATH; weight W [reverse]; init_file [V] [overwrite] }` block. */
export interface TrackFileDef {
  name: string;
  file: string;
  /** weight defaults to 1; the tracked value multiplied by it lowers or raises the priority. */
  weight: number;
  weightReverse: boolean;
  initFile?: { value: number; overwrite: boolean };
  pos: SourcePos;
}

/**
 * TrackProcessDef is a `vrrp_track_process NAME { process P [ARGS]; param_match; full_command;
 * pid_file; quorum; quorum_max; delay; terminate_delay; fork_delay; weight W [reverse] }` block.
 */
export interface TrackProcessDef {
  name: string;
  /** process is the name to match (`/proc/PID/comm`, or argv[0] with full_command); empty with pid_file alone. */
  process: string;
  /** params, when written, must match the process's arguments (see paramMatch). */
  params?: string[];
  /** paramMatch: `exact` (default), `partial` (the params appear in order), `initial` (a prefix). */
  paramMatch: 'exact' | 'partial' | 'initial';
  /** fullCommand: match argv[0] of /proc/PID/cmdline rather than the 15-character comm. */
  fullCommand: boolean;
  /** pidFile (keepvip): follow the process whose pid this file holds (nginx's `pid` file). */
  pidFile?: string;
  /** quorum defaults to 1: fewer running processes is a failure. */
  quorum: number;
  /** quorumMax: more running processes than this is a failure too (unset: no limit). */
  quorumMax?: number;
  /** terminateDelayMs: how long the quorum may be lost before it counts (default 0). */
  terminateDelayMs: number;
  /** forkDelayMs: how long the quorum must be back before it counts (default 0). */
  forkDelayMs: number;
  /** weight defaults to 1 (keepalived.conf(5)); 0 means FAULT while the quorum is not met; -254..254. */
  weight: number;
  weightReverse: boolean;
  pos: SourcePos;
}

/** TrackRef is one entry of a track_script / track_interface / track_file list. */
export interface TrackRef {
  name: string;
  /** weight overrides the tracked object's own weight when written. */
  weight?: number;
  weightReverse?: boolean;
  pos: SourcePos;
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

/** CheckerCommon holds settings every real-server checker has. */
export interface CheckerCommon {
  connectIp?: string;
  connectPort?: number;
  /** bindTo / bindPort are the probe socket's local address and port (keepalived `bindto`, `bind_port`). */
  bindTo?: string;
  bindPort?: number;
  /** bindIf is `bind_if`: the scope of an IPv6 link-local connect_ip (SO_BINDTODEVICE is not available). */
  bindIf?: string;
  /** connectTimeoutMs defaults to 5 s. */
  connectTimeoutMs: number;
  /** retry defaults to 1 (MISC_CHECK 0, DNS_CHECK 3; nb_get_retry is the 1.x name). */
  retry: number;
  /** delayBeforeRetryMs defaults to 1 s (HTTP_GET / SSL_GET 3 s, DNS_CHECK the delay_loop). */
  delayBeforeRetryMs: number;
  /** warmupMs: the maximum random delay before the first check (keepalived's default: the delay_loop; 0 = none). */
  warmupMs?: number;
  /** delayLoopMs overrides the virtual server's delay_loop for this checker. */
  delayLoopMs?: number;
  /** alpha: the checker starts failed (its own `alpha`, else the virtual server's). */
  alpha?: boolean;
  /** logAllFailures logs every failed probe, not only state changes (log_all_failures). */
  logAllFailures?: boolean;
  /** rise (keepvip, from an nginx_upstream health_check only): successes in a row that bring a down checker up. */
  rise?: number;
  pos: SourcePos;
}

/** TcpCheck is TCP_CHECK: a connect succeeds. */
export interface TcpCheck extends CheckerCommon {
  kind: 'TCP_CHECK';
}

/** HttpCheckUrl is one `url { path P; digest D; status_code C; virtualhost H; regex R }`. */
export interface HttpCheckUrl {
  path: string;
  digest?: string;
  /** statusCodes default to 200-299 when empty. */
  statusCodes: number[];
  /** virtualhost overrides the checker's Host header for this url. */
  virtualhost?: string;
  /** regex must match the body (regex_no_match: must not); PCRE options as JavaScript flags. */
  regex?: { pattern: string; noMatch: boolean; flags: string };
}

/** HttpGetCheck is HTTP_GET or SSL_GET. */
export interface HttpGetCheck extends CheckerCommon {
  kind: 'HTTP_GET' | 'SSL_GET';
  urls: HttpCheckUrl[];
  virtualhost?: string;
  /** httpProtocol is the request's version (http_protocol 1.0 | 1.1 | 1.0C | 1.0K; default 1.0). */
  httpProtocol: '1.0' | '1.1' | '1.0C' | '1.0K';
  /** enableSni sends the virtualhost as TLS SNI (SSL_GET; certificates are never verified, as keepalived). */
  enableSni: boolean;
  /** fastRecovery re-checks at once while down without a known failure (keepalived fast_recovery). */
  fastRecovery: boolean;
}

/** MiscCheck is MISC_CHECK: a script's exit code decides. */
export interface MiscCheck extends CheckerCommon {
  kind: 'MISC_CHECK';
  miscPath: string;
  /** miscTimeoutMs defaults to delay_loop. */
  miscTimeoutMs: number;
  /** miscDynamic: exit codes 2..255 set the weight to code-2. */
  miscDynamic: boolean;
  user?: ScriptUser;
}

/** SmtpCheck is SMTP_CHECK: the server greets with 2xx and answers HELO and QUIT. */
export interface SmtpCheck extends CheckerCommon {
  kind: 'SMTP_CHECK';
  /** heloName defaults to keepalived's `smtpchecker.keepalived.org`. */
  heloName: string;
}

/** DnsCheck is DNS_CHECK: a query of `type` for `name` gets a NOERROR answer. */
export interface DnsCheck extends CheckerCommon {
  kind: 'DNS_CHECK';
  /** type defaults to SOA, name to the root (keepalived's DNS_DEFAULT_TYPE / DNS_DEFAULT_NAME). */
  type: string;
  name: string;
}

/** UdpCheck is UDP_CHECK: a datagram is sent; with require_reply an answer must come back. */
export interface UdpCheck extends CheckerCommon {
  kind: 'UDP_CHECK';
  /** payload is the datagram in hex (empty by default). */
  payload?: string;
  requireReply: boolean;
  minReplyLength: number;
  maxReplyLength: number;
}

/** PingCheck is PING_CHECK: an ICMP (v4) or ICMPv6 echo is answered. */
export interface PingCheck extends CheckerCommon {
  kind: 'PING_CHECK';
}

/** FileCheck is FILE_CHECK: a track_file's value takes the server down (weight 0) or moves its weight. */
export interface FileCheck extends CheckerCommon {
  kind: 'FILE_CHECK';
  trackFile: string;
  /** weight defaults to the track_file's own weight. */
  weight?: number;
  weightReverse?: boolean;
}

/** Checker is any real-server health checker. */
export type Checker =
  | TcpCheck
  | HttpGetCheck
  | MiscCheck
  | SmtpCheck
  | DnsCheck
  | UdpCheck
  | PingCheck
  | FileCheck;

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
  pos: SourcePos;
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
  /** syncId defaults to the instance's virtual_router_id. */
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
  /** keepOnStop (keepvip `lvs_keep_on_stop`): leave the table on stop, for a restart to adopt without a blip. */
  keepOnStop?: boolean;
}

/** NginxUpstreamServer is one `server HOST:PORT [weight N] [max_fails N] [fail_timeout T] [backup] [down]` line. */
export interface NginxUpstreamServer {
  /** address is an IP address in canonical form, or a host name nginx resolves. */
  address: string;
  port: number;
  /** weight defaults to 1 (nginx's default). */
  weight: number;
  /** maxFails and failTimeoutS are left to nginx's defaults (1, 10 s) when unset. */
  maxFails?: number;
  failTimeoutS?: number;
  backup: boolean;
  /** down is written by the operator: always rendered as `down`, never health checked. */
  down: boolean;
  pos: SourcePos;
}

/** NginxHealthCheck is a TCP connect check: `health_check tcp { interval S timeout S fall N rise N port P }`. */
export interface NginxHealthCheck {
  kind: 'tcp';
  /** intervalMs defaults to 2 s, timeoutMs to 1 s, fall to 2, rise to 1. */
  intervalMs: number;
  timeoutMs: number;
  fall: number;
  rise: number;
  /** connectIp / connectPort override the server's address (TCP_CHECK's connect_ip / connect_port). */
  connectIp?: string;
  connectPort?: number;
}

/** NginxUpstream is a `nginx_upstream NAME { ... }` block: one pool rendered into an nginx config file. */
export interface NginxUpstream {
  name: string;
  /** output is the rendered file nginx includes. */
  output: string;
  /** template is a file name looked up in templateDir, then in keepvip's templates/ (default nginx-upstream.hbs). */
  template: string;
  templateDir?: string;
  /** nginxConf is the top-level configuration `nginx -t` checks (default /etc/nginx/nginx.conf). */
  nginxConf: string;
  /** testCommand defaults to `nginx -t -q -c <nginxConf>`. */
  testCommand: string;
  /** reloadCommand defaults to `nginx -s reload`. */
  reloadCommand: string;
  /** notify runs after a failed apply with NAME, the failed step and the message appended. */
  notify?: string;
  /** listen are the addresses of the generated `server { listen ... }`; none means no server block. */
  listen: string[];
  /** serverName is the generated server block's server_name. */
  serverName?: string;
  servers: NginxUpstreamServer[];
  /** fromVirtualServers name virtual_server blocks whose real servers join the pool. */
  fromVirtualServers: { address: string; port: number; pos: SourcePos }[];
  healthCheck?: NginxHealthCheck;
  /** downServers: how servers found down are rendered, `mark` (as `down`, the default) or `omit`. */
  downServers: 'mark' | 'omit';
  /** coalesceMs is how long pool changes are gathered before one render (default 200 ms). */
  coalesceMs: number;
  pos: SourcePos;
}
