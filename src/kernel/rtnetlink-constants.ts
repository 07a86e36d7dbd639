/**
 * The rtnetlink numbers keepvip uses, named as in linux/rtnetlink.h, linux/if_addr.h,
 * linux/if_link.h, linux/if.h and linux/fib_rules.h, so the code greps against the headers.
 * Only what addresses, links, routes, rules and VMACs need; netlink's own are netlink-constants.ts.
 */

/** RTM_* are the rtnetlink message types (linux/rtnetlink.h). */
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;

/** RTNLGRP_* are the multicast groups of enum rtnetlink_groups (linux/rtnetlink.h). */
export const RTNLGRP_LINK = 1;
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV6_IFADDR = 9;

/** IFADDRMSG_LEN, IFINFOMSG_LEN, RTMSG_LEN, FIB_RULE_HDR_LEN are the sizes of the fixed headers. */
export const IFADDRMSG_LEN = 8;
export const IFINFOMSG_LEN = 16;
export const RTMSG_LEN = 12;
export const FIB_RULE_HDR_LEN = 12;

/** IFA_* are the ifaddrmsg attributes (linux/if_addr.h). */
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_FLAGS = 8;

/** IFA_F_* are the address flags: the low 8 in ifa_flags, all 32 in IFA_FLAGS (linux/if_addr.h). */
export const IFA_F_SECONDARY = 0x01;
export const IFA_F_NODAD = 0x02;
export const IFA_F_OPTIMISTIC = 0x04;
export const IFA_F_DADFAILED = 0x08;
export const IFA_F_HOMEADDRESS = 0x10;
export const IFA_F_DEPRECATED = 0x20;
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_PERMANENT = 0x80;
export const IFA_F_MANAGETEMPADDR = 0x100;
export const IFA_F_NOPREFIXROUTE = 0x200;
export const IFA_F_MCAUTOJOIN = 0x400;
export const IFA_F_STABLE_PRIVACY = 0x800;

/** IFLA_* are the ifinfomsg attributes (linux/if_link.h). */
export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_LINKINFO = 18;
export const IFLA_CARRIER = 33;
/** IFLA_INFO_KIND / IFLA_INFO_DATA are the IFLA_LINKINFO attributes (linux/if_link.h). */
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;

/** IFF_UP (administratively up) and IFF_LOWER_UP (the driver signals L1 up) are ifi_flags bits (linux/if.h). */
export const IFF_UP = 0x1;
export const IFF_LOWER_UP = 0x10000;

/** RTA_* are the rtmsg attributes of enum rtattr_type_t (linux/rtnetlink.h). */
export const RTA_DST = 1;
export const RTA_SRC = 2;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_TABLE = 15;

/** FRA_* are the fib_rule_hdr attributes (linux/fib_rules.h). */
export const FRA_DST = 1;
export const FRA_SRC = 2;
export const FRA_IIFNAME = 3;
export const FRA_PRIORITY = 6;
export const FRA_FWMARK = 10;
export const FRA_TABLE = 15;
export const FRA_FWMASK = 16;
export const FRA_OIFNAME = 17;
export const FRA_PROTOCOL = 21;
