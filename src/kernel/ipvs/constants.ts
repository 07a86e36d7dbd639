/**
 * Numbers of the IPVS generic netlink interface, named as in linux/ip_vs.h (uapi), and of the
 * generic netlink controller (linux/genetlink.h), so the code greps against the kernel headers.
 * Netlink's own (linux/netlink.h) are in ../netlink-constants.ts, shared with rtnetlink.
 */

/** IPVS_GENL_NAME is the generic netlink family name of IPVS; IPVS_GENL_VERSION its version. */
export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

/** GENL_HDRLEN is sizeof(struct genlmsghdr) (linux/genetlink.h); netlink's own numbers are in ../netlink-constants.ts. */
export const GENL_HDRLEN = 4;

/** Generic netlink controller (linux/genetlink.h). */
export const GENL_ID_CTRL = 16;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;
export const CTRL_ATTR_VERSION = 3;

/** IPVS commands (enum IPVS_CMD_*). */
export const IPVS_CMD_NEW_SERVICE = 1;
export const IPVS_CMD_SET_SERVICE = 2;
export const IPVS_CMD_DEL_SERVICE = 3;
export const IPVS_CMD_GET_SERVICE = 4;
export const IPVS_CMD_NEW_DEST = 5;
export const IPVS_CMD_SET_DEST = 6;
export const IPVS_CMD_DEL_DEST = 7;
export const IPVS_CMD_GET_DEST = 8;
export const IPVS_CMD_NEW_DAEMON = 9;
export const IPVS_CMD_DEL_DAEMON = 10;
export const IPVS_CMD_GET_DAEMON = 11;
export const IPVS_CMD_SET_CONFIG = 12;
export const IPVS_CMD_GET_CONFIG = 13;
export const IPVS_CMD_SET_INFO = 14;
export const IPVS_CMD_GET_INFO = 15;
export const IPVS_CMD_ZERO = 16;
export const IPVS_CMD_FLUSH = 17;

/** First-level attributes (enum IPVS_CMD_ATTR_*). */
export const IPVS_CMD_ATTR_SERVICE = 1;
export const IPVS_CMD_ATTR_DEST = 2;
export const IPVS_CMD_ATTR_DAEMON = 3;
export const IPVS_CMD_ATTR_TIMEOUT_TCP = 4;
export const IPVS_CMD_ATTR_TIMEOUT_TCP_FIN = 5;
export const IPVS_CMD_ATTR_TIMEOUT_UDP = 6;

/** Service attributes, nested in IPVS_CMD_ATTR_SERVICE (enum IPVS_SVC_ATTR_*). */
export const IPVS_SVC_ATTR_AF = 1; // u16
export const IPVS_SVC_ATTR_PROTOCOL = 2; // u16
export const IPVS_SVC_ATTR_ADDR = 3; // union nf_inet_addr (16 bytes; 4 accepted)
export const IPVS_SVC_ATTR_PORT = 4; // __be16
export const IPVS_SVC_ATTR_FWMARK = 5; // u32
export const IPVS_SVC_ATTR_SCHED_NAME = 6; // string, IP_VS_SCHEDNAME_MAXLEN
export const IPVS_SVC_ATTR_FLAGS = 7; // struct ip_vs_flags { u32 flags; u32 mask; }
export const IPVS_SVC_ATTR_TIMEOUT = 8; // u32 seconds
export const IPVS_SVC_ATTR_NETMASK = 9; // __be32 mask (IPv4) or u32 prefix length (IPv6)
export const IPVS_SVC_ATTR_STATS = 10; // nested IPVS_STATS_ATTR_* (32-bit counters)
export const IPVS_SVC_ATTR_PE_NAME = 11; // string, IP_VS_PENAME_MAXLEN
export const IPVS_SVC_ATTR_STATS64 = 12; // nested IPVS_STATS_ATTR_* (64-bit counters)

/** Destination attributes, nested in IPVS_CMD_ATTR_DEST (enum IPVS_DEST_ATTR_*). */
export const IPVS_DEST_ATTR_ADDR = 1; // union nf_inet_addr
export const IPVS_DEST_ATTR_PORT = 2; // __be16
export const IPVS_DEST_ATTR_FWD_METHOD = 3; // u32 IP_VS_CONN_F_*
export const IPVS_DEST_ATTR_WEIGHT = 4; // u32 (int)
export const IPVS_DEST_ATTR_U_THRESH = 5; // u32
export const IPVS_DEST_ATTR_L_THRESH = 6; // u32
export const IPVS_DEST_ATTR_ACTIVE_CONNS = 7; // u32
export const IPVS_DEST_ATTR_INACT_CONNS = 8; // u32
export const IPVS_DEST_ATTR_PERSIST_CONNS = 9; // u32
export const IPVS_DEST_ATTR_STATS = 10; // nested
export const IPVS_DEST_ATTR_ADDR_FAMILY = 11; // u16
export const IPVS_DEST_ATTR_STATS64 = 12; // nested
export const IPVS_DEST_ATTR_TUN_TYPE = 13; // u8 IP_VS_CONN_F_TUNNEL_TYPE_*
export const IPVS_DEST_ATTR_TUN_PORT = 14; // __be16
export const IPVS_DEST_ATTR_TUN_FLAGS = 15; // u16 IP_VS_TUNNEL_ENCAP_FLAG_*

/** Sync daemon attributes, nested in IPVS_CMD_ATTR_DAEMON (enum IPVS_DAEMON_ATTR_*). */
export const IPVS_DAEMON_ATTR_STATE = 1; // u32 IP_VS_STATE_*
export const IPVS_DAEMON_ATTR_MCAST_IFN = 2; // string, IP_VS_IFNAME_MAXLEN
export const IPVS_DAEMON_ATTR_SYNC_ID = 3; // u32
export const IPVS_DAEMON_ATTR_SYNC_MAXLEN = 4; // u16
export const IPVS_DAEMON_ATTR_MCAST_GROUP = 5; // struct in_addr
export const IPVS_DAEMON_ATTR_MCAST_GROUP6 = 6; // struct in6_addr
export const IPVS_DAEMON_ATTR_MCAST_PORT = 7; // u16
export const IPVS_DAEMON_ATTR_MCAST_TTL = 8; // u8

/** Statistics attributes (enum IPVS_STATS_ATTR_*). */
export const IPVS_STATS_ATTR_CONNS = 1;
export const IPVS_STATS_ATTR_INPKTS = 2;
export const IPVS_STATS_ATTR_OUTPKTS = 3;
export const IPVS_STATS_ATTR_INBYTES = 4;
export const IPVS_STATS_ATTR_OUTBYTES = 5;
export const IPVS_STATS_ATTR_CPS = 6;
export const IPVS_STATS_ATTR_INPPS = 7;
export const IPVS_STATS_ATTR_OUTPPS = 8;
export const IPVS_STATS_ATTR_INBPS = 9;
export const IPVS_STATS_ATTR_OUTBPS = 10;
export const IPVS_STATS_ATTR_PAD = 11;

/** IPVS_CMD_GET_INFO reply attributes (enum IPVS_INFO_ATTR_*). */
export const IPVS_INFO_ATTR_VERSION = 1;
export const IPVS_INFO_ATTR_CONN_TAB_SIZE = 2;

/** Service flags (IP_VS_SVC_F_*); sh-fallback/mh-fallback are SCHED1, sh-port/mh-port SCHED2. */
export const IP_VS_SVC_F_PERSISTENT = 0x1;
export const IP_VS_SVC_F_HASHED = 0x2;
export const IP_VS_SVC_F_ONEPACKET = 0x4;
export const IP_VS_SVC_F_SCHED1 = 0x8;
export const IP_VS_SVC_F_SCHED2 = 0x10;
export const IP_VS_SVC_F_SCHED3 = 0x20;
export const IP_VS_SVC_F_SCHED_SH_FALLBACK = IP_VS_SVC_F_SCHED1;
export const IP_VS_SVC_F_SCHED_SH_PORT = IP_VS_SVC_F_SCHED2;
export const IP_VS_SVC_F_SCHED_MH_FALLBACK = IP_VS_SVC_F_SCHED1;
export const IP_VS_SVC_F_SCHED_MH_PORT = IP_VS_SVC_F_SCHED2;

/** Forwarding methods (IP_VS_CONN_F_* & IP_VS_CONN_F_FWD_MASK). */
export const IP_VS_CONN_F_FWD_MASK = 0x7;
export const IP_VS_CONN_F_MASQ = 0x0;
export const IP_VS_CONN_F_LOCALNODE = 0x1;
export const IP_VS_CONN_F_TUNNEL = 0x2;
export const IP_VS_CONN_F_DROUTE = 0x3;
export const IP_VS_CONN_F_BYPASS = 0x4;

/** Tunnel types (IP_VS_CONN_F_TUNNEL_TYPE_*) and encapsulation flags (IP_VS_TUNNEL_ENCAP_FLAG_*). */
export const IP_VS_CONN_F_TUNNEL_TYPE_IPIP = 0;
export const IP_VS_CONN_F_TUNNEL_TYPE_GUE = 1;
export const IP_VS_CONN_F_TUNNEL_TYPE_GRE = 2;
export const IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM = 0;
export const IP_VS_TUNNEL_ENCAP_FLAG_CSUM = 0x1;
export const IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM = 0x2;

/** Sync daemon states (IP_VS_STATE_*). */
export const IP_VS_STATE_NONE = 0;
export const IP_VS_STATE_MASTER = 1;
export const IP_VS_STATE_BACKUP = 2;

/** Name length limits, NUL included (IP_VS_SCHEDNAME_MAXLEN, IP_VS_PENAME_MAXLEN, IP_VS_IFNAME_MAXLEN). */
export const IP_VS_SCHEDNAME_MAXLEN = 16;
export const IP_VS_PENAME_MAXLEN = 16;
export const IP_VS_IFNAME_MAXLEN = 16;

/** Address families (linux/socket.h) and protocols (linux/in.h). */
export const AF_INET = 2;
export const AF_INET6 = 10;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;
