/**
 * The IPVS table in host types, as the generic netlink client (kernel/ipvs/) reads and writes
 * it and the reconciler (lvs/) computes it. Field names follow linux/ip_vs.h
 * (IPVS_SVC_ATTR_*, IPVS_DEST_ATTR_*) in camelCase; units are the kernel's unless the name says.
 */

/** IpvsProtocol is IPVS_SVC_ATTR_PROTOCOL (IPPROTO_TCP 6, IPPROTO_UDP 17, IPPROTO_SCTP 132). */
export type IpvsProtocol = 'tcp' | 'udp' | 'sctp';

/** IpvsForward is the forwarding method of a destination (IP_VS_CONN_F_MASQ / DROUTE / TUNNEL). */
export type IpvsForward = 'nat' | 'dr' | 'tun';

/** IpvsServiceId identifies a service: an address+protocol+port, or a firewall mark (with its family). */
export type IpvsServiceId =
  | { family: 'inet' | 'inet6'; protocol: IpvsProtocol; address: string; port: number; fwmark?: undefined }
  | { family: 'inet' | 'inet6'; fwmark: number; protocol?: undefined; address?: undefined; port?: undefined };

/** IpvsStats is struct ip_vs_stats_user / IPVS_STATS_ATTR_* (64-bit counters as bigint). */
export interface IpvsStats {
  conns: bigint;
  inPkts: bigint;
  outPkts: bigint;
  inBytes: bigint;
  outBytes: bigint;
  cps: bigint;
  inPps: bigint;
  outPps: bigint;
  inBps: bigint;
  outBps: bigint;
  /** unknown keeps statistics attributes the codec does not know, by type. */
  unknown?: Map<number, Buffer>;
}

/** IpvsService is one virtual service (IPVS_CMD_ATTR_SERVICE). */
export interface IpvsService {
  id: IpvsServiceId;
  /** schedName is IPVS_SVC_ATTR_SCHED_NAME: rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh. */
  schedName: string;
  /** flags is IPVS_SVC_ATTR_FLAGS: IP_VS_SVC_F_PERSISTENT 0x1, _HASHED 0x2, _ONEPACKET 0x4, _SCHED1..3 0x8/0x10/0x20. */
  flags: number;
  /** timeout is IPVS_SVC_ATTR_TIMEOUT: the persistence timeout in seconds (0 without persistence). */
  timeout: number;
  /** netmask is IPVS_SVC_ATTR_NETMASK: persistence granularity (IPv4 mask as number of bits, or IPv6 prefix length). */
  netmask: number;
  /** peName is IPVS_SVC_ATTR_PE_NAME (persistence engine, e.g. "sip"). */
  peName?: string;
  stats?: IpvsStats;
  /** unknown keeps attributes the codec does not know, by type, so nothing is dropped. */
  unknown?: Map<number, Buffer>;
}

/** IpvsDestination is one real server of a service (IPVS_CMD_ATTR_DEST). */
export interface IpvsDestination {
  address: string;
  /** family is IPVS_DEST_ATTR_ADDR_FAMILY (may differ from the service's with fwmark services). */
  family: 'inet' | 'inet6';
  port: number;
  forward: IpvsForward;
  weight: number;
  /** upperThreshold / lowerThreshold are IPVS_DEST_ATTR_U_THRESH / _L_THRESH (0 = none). */
  upperThreshold: number;
  lowerThreshold: number;
  /** tunType is IPVS_DEST_ATTR_TUN_TYPE: ipip 0, gue 1, gre 2 (forward 'tun' only). */
  tunType?: 'ipip' | 'gue' | 'gre';
  tunPort?: number;
  tunFlags?: number;
  /**
   * localNode says the kernel turned the destination into IP_VS_CONN_F_LOCALNODE (its address
   * is local to this host); `forward` then reads 'dr', as ipvsadm prints it (-g).
   */
  localNode?: boolean;
  activeConns?: number;
  inactConns?: number;
  persistConns?: number;
  stats?: IpvsStats;
  unknown?: Map<number, Buffer>;
}

/** IpvsTable is a whole table as read back: each service with its destinations. */
export interface IpvsTable {
  services: { service: IpvsService; destinations: IpvsDestination[] }[];
  /** undecodable lists entries the kernel reported that the codec could not read (with why). */
  undecodable?: string[];
}

/** IpvsInfo is the IPVS_CMD_GET_INFO reply: IPVS_INFO_ATTR_VERSION (e.g. 0x010201) and the connection table size. */
export interface IpvsInfo {
  version: number;
  connTabSize: number;
}

/** IpvsTimeouts are IPVS_CMD_ATTR_TIMEOUT_TCP / _TCP_FIN / _UDP in seconds (0 = unchanged). */
export interface IpvsTimeouts {
  tcp: number;
  tcpFin: number;
  udp: number;
}

/** IpvsSyncDaemon is IPVS_CMD_ATTR_DAEMON: the kernel's connection sync thread. */
export interface IpvsSyncDaemon {
  state: 'master' | 'backup';
  ifname: string;
  syncId: number;
  maxLen?: number;
  port?: number;
  ttl?: number;
  mcastGroup?: string;
  unknown?: Map<number, Buffer>;
}

/**
 * IpvsPort is everything the reconciler asks of the kernel's IPVS. Every method rejects with a
 * SystemCallError that keeps the netlink errno (EEXIST, ENOENT, ESRCH...). Calls may be issued
 * without awaiting the previous one: the client pipelines them on one socket.
 */
export interface IpvsPort {
  /** available tells whether the kernel has IPVS (the family resolves through nlctrl). */
  available(): Promise<boolean>;
  getTable(): Promise<IpvsTable>;
  /** getService reads one service; rejects with ESRCH when the kernel has none. */
  getService(id: IpvsServiceId): Promise<IpvsService>;
  /** getDestinations reads one service's destinations (none for a missing service, as the kernel's dump). */
  getDestinations(id: IpvsServiceId): Promise<IpvsDestination[]>;
  addService(s: IpvsService): Promise<void>;
  editService(s: IpvsService): Promise<void>;
  deleteService(id: IpvsServiceId): Promise<void>;
  addDestination(id: IpvsServiceId, d: IpvsDestination): Promise<void>;
  editDestination(id: IpvsServiceId, d: IpvsDestination): Promise<void>;
  deleteDestination(
    id: IpvsServiceId,
    d: Pick<IpvsDestination, 'address' | 'port' | 'family'>,
  ): Promise<void>;
  /** flush removes every service (IPVS_CMD_FLUSH): only for `lvs_flush`. */
  flush(): Promise<void>;
  getTimeouts(): Promise<IpvsTimeouts>;
  setTimeouts(t: IpvsTimeouts): Promise<void>;
  startSyncDaemon(d: IpvsSyncDaemon): Promise<void>;
  stopSyncDaemon(state: 'master' | 'backup'): Promise<void>;
  getSyncDaemons(): Promise<IpvsSyncDaemon[]>;
  /** operations counts netlink requests sent (for the benchmark's O(1) claim). */
  readonly operations: number;
  close(): void;
}
