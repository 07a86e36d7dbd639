/*
 * packet.c: gratuitous ARP and unsolicited neighbour advertisements through AF_PACKET sockets.
 *
 * Both frames are built byte for byte the way keepalived 2.2.7 sends them (checked against a
 * capture of keepalived in a namespace with tcpdump -xx):
 *  - ARP: Ethernet to ff:ff:ff:ff:ff:ff, ARP request (op 1), sender MAC = interface MAC, sender IP =
 *    target IP = VIP, target MAC = ff:ff:ff:ff:ff:ff, 42 bytes (no padding; drivers pad).
 *  - NA: Ethernet to 33:33:00:00:00:01, IPv6 from the VIP to ff02::1 with hop limit 255 (RFC 4861
 *    7.1.2 receivers drop anything else), ICMPv6 type 136 with Override set, Solicited clear
 *    (RFC 4861 7.2.6), Router set only when asked (keepalived sets it when the interface forwards
 *    IPv6), and a target link-layer address option, 86 bytes.
 * AF_PACKET is used rather than the IP stack because the VIP may not be configured yet, and the
 * kernel would pick other addresses or refuse to send from an address it does not own.
 */
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#define ETH_HLEN_BYTES 14
#define ARP_FRAME_BYTES (ETH_HLEN_BYTES + 28)
#define NA_ICMP_BYTES (24 + 8) /* struct nd_neighbor_advert + target link-layer address option */
#define NA_FRAME_BYTES (ETH_HLEN_BYTES + 40 + NA_ICMP_BYTES)

/* interface_info finds the index and MAC of ifname; returns 0 or -1 after throwing. */
static int interface_info(napi_env env, int fd, const char *ifname, int *ifindex, unsigned char mac[6]) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, ifname, IF_NAMESIZE - 1);
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
    kv_throw_errno(env, "ioctl(SIOCGIFINDEX)", errno);
    return -1;
  }
  *ifindex = ifr.ifr_ifindex;
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
    kv_throw_errno(env, "ioctl(SIOCGIFHWADDR)", errno);
    return -1;
  }
  if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
    kv_throw_errno(env, "gratuitous ARP/NA on a non-Ethernet interface", EPROTONOSUPPORT);
    return -1;
  }
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  return 0;
}

/* send_frame sends a complete Ethernet frame out of ifindex; returns 0 or -1 after throwing. */
static int send_frame(napi_env env, int fd, int ifindex, uint16_t ethertype, const unsigned char *dst_mac,
                      const unsigned char *frame, size_t length) {
  struct sockaddr_ll to;
  memset(&to, 0, sizeof to);
  to.sll_family = AF_PACKET;
  to.sll_ifindex = ifindex;
  to.sll_protocol = htons(ethertype);
  to.sll_halen = 6;
  memcpy(to.sll_addr, dst_mac, 6);
  ssize_t n;
  do {
    n = sendto(fd, frame, length, 0, (struct sockaddr *)&to, sizeof to);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    kv_throw_errno(env, "sendto(AF_PACKET)", errno);
    return -1;
  }
  return 0;
}

/* open_packet_socket returns the process's send-only packet socket, opened once: protocol 0 means
 * the kernel queues nothing to it, so it never needs reading. Opening one per frame cost ~14 ms
 * each (closing a packet socket waits for an RCU grace period, synchronize_net()), so 100
 * instances' GARP bursts blocked the event loop for seconds and the adverts stopped. */
static int packet_fd = -1;
static int open_packet_socket(napi_env env) {
  if (packet_fd >= 0) return packet_fd;
  packet_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (packet_fd < 0) kv_throw_errno(env, "socket(AF_PACKET)", errno);
  return packet_fd;
}

static void put_ethernet(unsigned char *frame, const unsigned char *dst, const unsigned char *src, uint16_t type) {
  memcpy(frame, dst, 6);
  memcpy(frame + 6, src, 6);
  frame[12] = type >> 8;
  frame[13] = type & 0xff;
}

/* sendGratuitousArp(ifname, ipv4) sends one gratuitous ARP request for ipv4. */
static napi_value send_gratuitous_arp(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    kv_throw_type(env, "sendGratuitousArp(ifname, ipv4) needs two arguments");
    return NULL;
  }
  char ifname[IF_NAMESIZE + 1];
  struct in_addr vip;
  if (kv_get_string(env, argv[0], ifname, sizeof ifname, "ifname") < 0) return NULL;
  if (kv_get_in4(env, argv[1], &vip, "address") < 0) return NULL;
  int fd = open_packet_socket(env);
  if (fd < 0) return NULL;
  int ifindex;
  unsigned char mac[6];
  static const unsigned char broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  if (interface_info(env, fd, ifname, &ifindex, mac) < 0) {
    return NULL;
  }
  unsigned char frame[ARP_FRAME_BYTES];
  put_ethernet(frame, broadcast, mac, ETHERTYPE_ARP);
  unsigned char *arp = frame + ETH_HLEN_BYTES;
  arp[0] = 0x00, arp[1] = ARPHRD_ETHER; /* ar_hrd */
  arp[2] = 0x08, arp[3] = 0x00;         /* ar_pro: ETH_P_IP */
  arp[4] = 6;                           /* ar_hln */
  arp[5] = 4;                           /* ar_pln */
  arp[6] = 0x00, arp[7] = ARPOP_REQUEST;
  memcpy(arp + 8, mac, 6);         /* ar_sha */
  memcpy(arp + 14, &vip, 4);       /* ar_sip */
  memcpy(arp + 18, broadcast, 6);  /* ar_tha: keepalived sends all ones */
  memcpy(arp + 24, &vip, 4);       /* ar_tip */
  /* On failure send_frame has thrown; either way the call returns undefined. */
  send_frame(env, fd, ifindex, ETHERTYPE_ARP, broadcast, frame, sizeof frame);
  return NULL;
}

/* checksum_add folds bytes into a ones'-complement running sum (RFC 1071). */
static uint32_t checksum_add(uint32_t sum, const unsigned char *p, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += (uint32_t)(p[n - 1] << 8);
  return sum;
}

static uint16_t checksum_finish(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* sendUnsolicitedNa(ifname, ipv6, router: boolean) sends one unsolicited neighbour advertisement
 * for ipv6 from ipv6 to all-nodes. */
static napi_value send_unsolicited_na(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    kv_throw_type(env, "sendUnsolicitedNa(ifname, ipv6, router?) needs two arguments");
    return NULL;
  }
  char ifname[IF_NAMESIZE + 1];
  struct in6_addr vip;
  bool router = false;
  if (kv_get_string(env, argv[0], ifname, sizeof ifname, "ifname") < 0) return NULL;
  if (kv_get_in6(env, argv[1], &vip, "address") < 0) return NULL;
  if (argc >= 3) napi_get_value_bool(env, argv[2], &router);
  int fd = open_packet_socket(env);
  if (fd < 0) return NULL;
  int ifindex;
  unsigned char mac[6];
  if (interface_info(env, fd, ifname, &ifindex, mac) < 0) {
    return NULL;
  }
  /* ff02::1 maps to 33:33:00:00:00:01 (RFC 2464 section 7). */
  static const unsigned char all_nodes_mac[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
  struct in6_addr all_nodes;
  inet_pton(AF_INET6, "ff02::1", &all_nodes);

  unsigned char frame[NA_FRAME_BYTES];
  memset(frame, 0, sizeof frame);
  put_ethernet(frame, all_nodes_mac, mac, ETHERTYPE_IPV6);
  unsigned char *ip6 = frame + ETH_HLEN_BYTES;
  ip6[0] = 0x60;             /* version 6, traffic class 0, flow label 0 */
  ip6[4] = 0;                /* payload length */
  ip6[5] = NA_ICMP_BYTES;
  ip6[6] = IPPROTO_ICMPV6;   /* next header */
  ip6[7] = 255;              /* hop limit: RFC 4861 7.1.2 */
  memcpy(ip6 + 8, &vip, 16);
  memcpy(ip6 + 24, &all_nodes, 16);
  unsigned char *icmp = ip6 + 40;
  icmp[0] = ND_NEIGHBOR_ADVERT; /* type 136, code 0 */
  icmp[4] = 0x20 | (router ? 0x80 : 0); /* flags: R=0x80, S=0x40 (never unsolicited), O=0x20 */
  memcpy(icmp + 8, &vip, 16);   /* target address */
  icmp[24] = ND_OPT_TARGET_LINKADDR; /* option type 2 */
  icmp[25] = 1;                 /* option length in units of 8 bytes */
  memcpy(icmp + 26, mac, 6);

  /* ICMPv6 checksum over the pseudo-header (RFC 8200 section 8.1) and the message. */
  unsigned char pseudo_tail[8] = {0, 0, 0, NA_ICMP_BYTES, 0, 0, 0, IPPROTO_ICMPV6};
  uint32_t sum = checksum_add(0, ip6 + 8, 32);
  sum = checksum_add(sum, pseudo_tail, sizeof pseudo_tail);
  sum = checksum_add(sum, icmp, NA_ICMP_BYTES);
  uint16_t checksum = checksum_finish(sum);
  icmp[2] = checksum >> 8;
  icmp[3] = checksum & 0xff;

  send_frame(env, fd, ifindex, ETHERTYPE_IPV6, all_nodes_mac, frame, sizeof frame);
  return NULL;
}

/* sendArpProbe(ifname, ipv4) sends one duplicate-address probe (RFC 5227 2.1.1: sender IP 0.0.0.0,
 * target hardware address zero), as `arping -D` does: every host holding ipv4 answers it, and no
 * neighbour's ARP cache changes. */
static napi_value send_arp_probe(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    kv_throw_type(env, "sendArpProbe(ifname, ipv4) needs two arguments");
    return NULL;
  }
  char ifname[IF_NAMESIZE + 1];
  struct in_addr target;
  if (kv_get_string(env, argv[0], ifname, sizeof ifname, "ifname") < 0) return NULL;
  if (kv_get_in4(env, argv[1], &target, "address") < 0) return NULL;
  int fd = open_packet_socket(env);
  if (fd < 0) return NULL;
  int ifindex;
  unsigned char mac[6];
  static const unsigned char broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  if (interface_info(env, fd, ifname, &ifindex, mac) < 0) return NULL;
  unsigned char frame[ARP_FRAME_BYTES];
  memset(frame, 0, sizeof frame);
  put_ethernet(frame, broadcast, mac, ETHERTYPE_ARP);
  unsigned char *arp = frame + ETH_HLEN_BYTES;
  arp[1] = ARPHRD_ETHER;
  arp[2] = 0x08;
  arp[4] = 6;
  arp[5] = 4;
  arp[7] = ARPOP_REQUEST;
  memcpy(arp + 8, mac, 6);       /* ar_sha; ar_sip stays 0.0.0.0, ar_tha zero */
  memcpy(arp + 24, &target, 4);  /* ar_tip */
  send_frame(env, fd, ifindex, ETHERTYPE_ARP, broadcast, frame, sizeof frame);
  return NULL;
}

/* The ARP reply listener: one AF_PACKET socket for ETH_P_ARP that hands each reply
 * (ifindex, sender MAC, sender IP) to JS; it does not keep the event loop alive. */
static void on_arp_readable(kv_watch *w, int status) {
  if (status < 0) {
    kv_watch_restart(w);
    return;
  }
  for (int i = 0; i < KV_READS_PER_WAKEUP; i++) {
    unsigned char buf[128];
    struct sockaddr_ll from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(w->fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return; /* EAGAIN, or an error the next wakeup reports again */
    }
    /* SOCK_DGRAM: buf is the ARP packet. Only Ethernet/IPv4 replies matter. */
    if (n < 28 || buf[7] != ARPOP_REPLY || buf[4] != 6 || buf[5] != 4) continue;
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    char mac[18], ip[INET_ADDRSTRLEN];
    snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", buf[8], buf[9], buf[10], buf[11], buf[12], buf[13]);
    inet_ntop(AF_INET, buf + 14, ip, sizeof ip);
    napi_env env = w->env;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    napi_value argv[3];
    napi_create_uint32(env, (uint32_t)from.sll_ifindex, &argv[0]);
    napi_create_string_utf8(env, mac, NAPI_AUTO_LENGTH, &argv[1]);
    napi_create_string_utf8(env, ip, NAPI_AUTO_LENGTH, &argv[2]);
    kv_watch_call(w, 0, 3, argv);
    napi_close_handle_scope(env, scope);
  }
}

static const kv_watch_kind ARP_LISTENER = {.resource = "keepvip:arp", .api = "arpListen", .handle = "ARP listener",
                                           .on_event = on_arp_readable};

/* arpListen(callback(ifindex, mac, ip)) starts the process's ARP reply listener (once; later calls
 * replace the callback). It is never closed. */
static kv_watch *listener;
static napi_value arp_listen(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    kv_throw_type(env, "arpListen(callback) needs a callback");
    return NULL;
  }
  if (listener) {
    kv_watch_set_callback(listener, 0, argv[0]);
    return NULL;
  }
  int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ARP));
  if (fd < 0) {
    kv_throw_errno(env, "socket(AF_PACKET, ETH_P_ARP)", errno);
    return NULL;
  }
  listener = kv_watch_open(env, &ARP_LISTENER, sizeof(kv_watch), fd, 1, argv, NULL);
  if (listener) kv_watch_set_ref(listener, false);
  return NULL;
}

napi_status kv_register_packet(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sendGratuitousArp", NULL, send_gratuitous_arp, NULL, NULL, NULL, napi_default, NULL},
      {"sendUnsolicitedNa", NULL, send_unsolicited_na, NULL, NULL, NULL, napi_default, NULL},
      {"sendArpProbe", NULL, send_arp_probe, NULL, NULL, NULL, napi_default, NULL},
      {"arpListen", NULL, arp_listen, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
