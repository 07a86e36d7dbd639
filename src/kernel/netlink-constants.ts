/**
 * Numbers of netlink itself (linux/netlink.h), shared by rtnetlink (addresses, links, routes)
 * and generic netlink (IPVS), named as in the header so the code greps against it.
 */

/** NETLINK_ROUTE and NETLINK_GENERIC are the netlink protocols of rtnetlink and generic netlink. */
export const NETLINK_ROUTE = 0;
export const NETLINK_GENERIC = 16;

/** Netlink message types (linux/netlink.h). */
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

/** Flags of every request (linux/netlink.h). */
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
/** Modifiers of a GET request. */
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
/** Modifiers of a NEW request: replace an existing object, fail if it exists, create it, append. */
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
/** NLM_F_CAPPED / NLM_F_ACK_TLVS flag an NLMSG_ERROR whose copy of the request is cut / that carries extended-ack TLVs. */
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

/** NLA_F_NESTED marks a nested attribute; NLA_F_NET_BYTEORDER one in network order; NLA_TYPE_MASK strips both. */
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** NLMSG_HDRLEN is sizeof(struct nlmsghdr); NLA_HDRLEN sizeof(struct nlattr) (rtattr has the same layout). */
export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;
