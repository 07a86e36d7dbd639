/*
 * vrrp6.c: the IPv6 VRRP socket (IP protocol 112, RFC 5798 section 5.1.2).
 *
 * Node has no raw sockets and the raw-socket package has no recvmsg, so the receive side cannot see
 * the hop limit RFC 5798 section 7.1 requires us to check (MUST be 255) nor the destination
 * address. This file opens the socket, joins the VRRP groups, watches the fd with a libuv poll
 * handle and hands each message to a JS callback with its ancillary data. Sending uses sendmsg with
 * an IPV6_PKTINFO cmsg so the runner picks the source (the link-local address, RFC 5798 5.1.2.1).
 *
 * The VRRP checksum is NOT delegated to the kernel: keepalived sets IPV6_CHECKSUM at offset 6, which
 * makes the kernel fill it on send and silently drop bad ones on receive; we leave it off so the
 * codec computes and verifies it and bad packets are counted per reason like every other check.
 */
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* IPTOS_PREC_INTERNETCONTROL, the traffic class keepalived sends VRRP with (seen on the wire). */
#define VRRP_TCLASS 0xc0
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29 /* linux/in6.h, Linux 4.20 */
#endif

typedef struct vrrp6_socket {
  kv_watch watch;
  unsigned int ifindex;
} vrrp6_socket;

/* read_one receives one message; returns 1 if one was delivered, 0 if the queue is empty. */
static int read_one(kv_watch *w) {
  napi_env env = w->env;
  unsigned char data[4096];
  union {
    struct cmsghdr align;
    unsigned char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in6_pktinfo))];
  } control;
  struct sockaddr_in6 from;
  struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
  struct msghdr msg = {
      .msg_name = &from,
      .msg_namelen = sizeof from,
      .msg_iov = &iov,
      .msg_iovlen = 1,
      .msg_control = control.buf,
      .msg_controllen = sizeof control.buf,
  };
  ssize_t n = recvmsg(w->fd, &msg, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    if (errno == EINTR) return 1;
    kv_watch_report_errno(w, 0, "recvmsg", errno);
    return 0;
  }
  int hop_limit = -1;
  struct in6_addr dst = IN6ADDR_ANY_INIT;
  unsigned int ifindex = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != IPPROTO_IPV6) continue;
    if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      memcpy(&hop_limit, CMSG_DATA(c), sizeof(int));
    } else if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
      struct in6_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof info);
      dst = info.ipi6_addr;
      ifindex = info.ipi6_ifindex;
    }
  }
  char src_text[INET6_ADDRSTRLEN], dst_text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &from.sin6_addr, src_text, sizeof src_text);
  inet_ntop(AF_INET6, &dst, dst_text, sizeof dst_text);

  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  napi_value argv[6];
  void *copy;
  napi_get_null(env, &argv[0]);
  napi_create_buffer_copy(env, (size_t)n, data, &copy, &argv[1]);
  napi_create_string_utf8(env, src_text, NAPI_AUTO_LENGTH, &argv[2]);
  napi_create_string_utf8(env, dst_text, NAPI_AUTO_LENGTH, &argv[3]);
  napi_create_int32(env, hop_limit, &argv[4]);
  napi_create_uint32(env, ifindex, &argv[5]);
  kv_watch_call(w, 0, 6, argv);
  napi_close_handle_scope(env, scope);
  return 1;
}

static void on_readable(kv_watch *w, int status) {
  if (status < 0) {
    kv_watch_report_errno(w, 0, "uv_poll", -status);
    return;
  }
  /* The callback may close the socket; re-check before every read. */
  for (int i = 0; i < KV_READS_PER_WAKEUP && !w->closed; i++) {
    if (!read_one(w)) break;
  }
}

static const kv_watch_kind VRRP6 = {.resource = "keepvip:vrrp6", .api = "vrrp6Open", .handle = "vrrp6 socket",
                                    .on_event = on_readable};

/* configure applies the socket options; returns 0 or the failing call's name with errno set. */
static const char *configure(int fd, const char *ifname, unsigned int ifindex) {
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname) + 1) < 0) return "setsockopt(SO_BINDTODEVICE)";
  /* RFC 5798 7.1: the receiver MUST verify the hop limit is 255, so ask for it with each message. */
  if (kv_setsockopt_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) < 0) return "setsockopt(IPV6_RECVHOPLIMIT)";
  if (kv_setsockopt_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0) return "setsockopt(IPV6_RECVPKTINFO)";
  /* RFC 5798 5.1.2.3: the sender sets the hop limit to 255, for multicast and unicast peers. */
  if (kv_setsockopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255) < 0) return "setsockopt(IPV6_MULTICAST_HOPS)";
  if (kv_setsockopt_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255) < 0) return "setsockopt(IPV6_UNICAST_HOPS)";
  if (kv_setsockopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, (int)ifindex) < 0) return "setsockopt(IPV6_MULTICAST_IF)";
  /* We must not hear our own adverts (keepalived if_setsockopt_mcast_loop does the same). */
  if (kv_setsockopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0) < 0) return "setsockopt(IPV6_MULTICAST_LOOP)";
  if (kv_setsockopt_int(fd, IPPROTO_IPV6, IPV6_TCLASS, VRRP_TCLASS) < 0) return "setsockopt(IPV6_TCLASS)";
  /* Only the groups this socket joined, not every group joined on the interface (keepalived's
   * if_setsockopt_mcast_all). Kernels before 4.20 lack the option: harmless, skip it. */
  if (kv_setsockopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0) < 0 && errno != ENOPROTOOPT) return "setsockopt(IPV6_MULTICAST_ALL)";
  return NULL;
}

/* vrrp6Open(ifname, groups: string[], callback) -> external. The callback is called as
 * (null, data, src, dst, hopLimit, ifindex) per message, or (error) when the socket fails. */
static napi_value vrrp6_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    kv_throw_type(env, "vrrp6Open(ifname, groups, callback) needs three arguments");
    return NULL;
  }
  char ifname[IF_NAMESIZE + 1];
  if (kv_get_string(env, argv[0], ifname, sizeof ifname, "ifname") < 0) return NULL;
  bool is_array = false;
  napi_is_array(env, argv[1], &is_array);
  if (!is_array) {
    kv_throw_type(env, "groups must be an array of IPv6 addresses");
    return NULL;
  }
  napi_valuetype callback_type;
  NAPI_CALL(env, napi_typeof(env, argv[2], &callback_type));
  if (callback_type != napi_function) {
    kv_throw_type(env, "callback must be a function");
    return NULL;
  }
  unsigned int ifindex = if_nametoindex(ifname);
  if (ifindex == 0) {
    kv_throw_errno(env, "if_nametoindex", errno);
    return NULL;
  }
  uint32_t group_count = 0;
  NAPI_CALL(env, napi_get_array_length(env, argv[1], &group_count));
  struct ipv6_mreq *groups = calloc(group_count ? group_count : 1, sizeof *groups);
  if (!groups) {
    kv_throw_errno(env, "calloc", ENOMEM);
    return NULL;
  }
  for (uint32_t i = 0; i < group_count; i++) {
    napi_value element;
    if (napi_get_element(env, argv[1], i, &element) != napi_ok ||
        kv_get_in6(env, element, &groups[i].ipv6mr_multiaddr, "multicast group") < 0) {
      free(groups);
      kv_throw_napi_failure(env, "groups");
      return NULL;
    }
    groups[i].ipv6mr_interface = ifindex;
  }

  int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_VRRP);
  if (fd < 0) {
    free(groups);
    kv_throw_errno(env, "socket(AF_INET6, SOCK_RAW, 112)", errno);
    return NULL;
  }
  const char *failed = configure(fd, ifname, ifindex);
  for (uint32_t i = 0; failed == NULL && i < group_count; i++) {
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &groups[i], sizeof groups[i]) < 0)
      failed = "setsockopt(IPV6_JOIN_GROUP)";
  }
  free(groups);
  if (failed) {
    int err = errno;
    close(fd);
    kv_throw_errno(env, failed, err);
    return NULL;
  }

  napi_value external;
  vrrp6_socket *s = kv_watch_open(env, &VRRP6, sizeof *s, fd, 1, &argv[2], &external);
  if (!s) return NULL;
  s->ifindex = ifindex;
  return external;
}

/* vrrp6Send(handle, data: Buffer, dst: string, src?: string) -> bytes sent. Synchronous: a raw
 * socket send never blocks for long, and EAGAIN (full queue) is reported as an error. */
static napi_value vrrp6_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    kv_throw_type(env, "vrrp6Send(handle, data, dst, src?) needs at least three arguments");
    return NULL;
  }
  vrrp6_socket *s = (vrrp6_socket *)kv_watch_unwrap(env, argv[0], &VRRP6);
  if (!s) return NULL;
  if (s->watch.closed) {
    kv_throw_errno(env, "sendmsg", EBADF);
    return NULL;
  }
  void *data;
  size_t length;
  if (kv_get_buffer(env, argv[1], &data, &length, "data") < 0) return NULL;
  struct sockaddr_in6 to = {.sin6_family = AF_INET6};
  if (kv_get_in6(env, argv[2], &to.sin6_addr, "dst") < 0) return NULL;
  /* Link-local and multicast destinations are only meaningful with the interface as scope. */
  if (IN6_IS_ADDR_LINKLOCAL(&to.sin6_addr) || IN6_IS_ADDR_MULTICAST(&to.sin6_addr)) to.sin6_scope_id = s->ifindex;

  struct in6_pktinfo pktinfo = {.ipi6_ifindex = s->ifindex};
  napi_valuetype src_type = napi_undefined;
  if (argc >= 4) napi_typeof(env, argv[3], &src_type);
  if (src_type == napi_string && kv_get_in6(env, argv[3], &pktinfo.ipi6_addr, "src") < 0) return NULL;

  union {
    struct cmsghdr align;
    unsigned char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {.iov_base = data, .iov_len = length};
  struct msghdr msg = {
      .msg_name = &to,
      .msg_namelen = sizeof to,
      .msg_iov = &iov,
      .msg_iovlen = 1,
      .msg_control = control.buf,
      .msg_controllen = sizeof control.buf,
  };
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof pktinfo);
  memcpy(CMSG_DATA(c), &pktinfo, sizeof pktinfo);

  ssize_t n;
  do {
    n = sendmsg(s->watch.fd, &msg, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    kv_throw_errno(env, "sendmsg", errno);
    return NULL;
  }
  napi_value result;
  NAPI_CALL(env, napi_create_int64(env, n, &result));
  return result;
}

/* vrrp6Close(handle): stops the poll, closes the fd, releases the callback. Idempotent.
 * vrrp6Ref(handle, ref: boolean): whether the open socket keeps the event loop alive. */
napi_status kv_register_vrrp6(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"vrrp6Open", NULL, vrrp6_open, NULL, NULL, NULL, napi_default, NULL},
      {"vrrp6Send", NULL, vrrp6_send, NULL, NULL, NULL, napi_default, NULL},
      {"vrrp6Close", NULL, kv_watch_js_close, NULL, NULL, NULL, napi_default, (void *)&VRRP6},
      {"vrrp6Ref", NULL, kv_watch_js_ref, NULL, NULL, NULL, napi_default, (void *)&VRRP6},
      {"vrrp6Drain", NULL, kv_watch_js_drain, NULL, NULL, NULL, napi_default, (void *)&VRRP6},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
