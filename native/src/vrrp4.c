/*
 * vrrp4.c: the IPv4 VRRP socket (IP protocol 112 with IP_HDRINCL, RFC 5798 section 5.1.1).
 *
 * It replaces the raw-socket package, measured as the bottleneck at scale: raw-socket sends one
 * datagram per event-loop turn (a queue drained by a writable poll) and reads one per readable
 * wakeup, so with 255 instances at advert_int 0.1 a master put ~530 adverts a second on the wire
 * instead of 2,550 and its backup took over. Here a send is one synchronous sendto() (a raw socket
 * never blocks for long; a full queue is EAGAIN, reported), and each wakeup reads up to
 * KV_READS_PER_WAKEUP datagrams into one buffer, each handed to JS as a copy.
 *
 *   vrrp4Open(ifname, groups: string[], rcvbufBytes, callback(error | null, datagram?)) -> handle
 *   vrrp4Send(handle, datagram: Buffer, dst: string)   whole IPv4 datagram, header included
 *   vrrp4Close(handle), vrrp4Ref(handle, ref)
 */
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL 49
#endif

static void on_readable(kv_watch *w, int status) {
  if (status < 0) {
    kv_watch_report_poll_error(w, 0, "recvfrom", status);
    return; /* libuv stopped the handle: the owner reopens the socket */
  }
  unsigned char data[4096];
  for (int i = 0; i < KV_READS_PER_WAKEUP && !w->closed; i++) {
    ssize_t n = recv(w->fd, data, sizeof data, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      kv_watch_report_errno(w, 0, "recvfrom", errno);
      return;
    }
    napi_handle_scope scope;
    if (napi_open_handle_scope(w->env, &scope) != napi_ok) return;
    napi_value argv[2];
    void *copy;
    napi_get_null(w->env, &argv[0]);
    if (napi_create_buffer_copy(w->env, (size_t)n, data, &copy, &argv[1]) == napi_ok) kv_watch_call(w, 0, 2, argv);
    napi_close_handle_scope(w->env, scope);
  }
}

static const kv_watch_kind VRRP4 = {.resource = "keepvip:vrrp4", .api = "vrrp4Open", .handle = "vrrp4 socket",
                                    .on_event = on_readable};

/* configure applies the socket options; returns NULL or the failing call's name (errno set). */
static const char *configure(int fd, const char *ifname, unsigned int ifindex, int rcvbuf) {
  /* The codec writes the header: TTL 255 (RFC 5798 5.1.1.3), our source, the IP id. */
  if (kv_setsockopt_int(fd, IPPROTO_IP, IP_HDRINCL, 1) < 0) return "setsockopt(IP_HDRINCL)";
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname) + 1) < 0) return "setsockopt(SO_BINDTODEVICE)";
  struct ip_mreqn mreq = {.imr_ifindex = (int)ifindex};
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) < 0) return "setsockopt(IP_MULTICAST_IF)";
  /* We must not hear our own adverts; groups joined by other sockets are not ours (keepalived). */
  if (kv_setsockopt_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0) < 0) return "setsockopt(IP_MULTICAST_LOOP)";
  if (kv_setsockopt_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0) < 0) return "setsockopt(IP_MULTICAST_ALL)";
  /* 255 instances of a peer at advert_int 0.1 are 2,550 adverts a second: room for seconds. */
  kv_set_rcvbuf(fd, rcvbuf);
  return NULL;
}

static napi_value vrrp4_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    kv_throw_type(env, "vrrp4Open(ifname, groups, rcvbuf, callback) needs four arguments");
    return NULL;
  }
  char ifname[IF_NAMESIZE + 1];
  int32_t rcvbuf;
  if (kv_get_string(env, argv[0], ifname, sizeof ifname, "ifname") < 0) return NULL;
  if (kv_get_int32(env, argv[2], &rcvbuf, "rcvbuf") < 0) return NULL;
  bool is_array = false;
  napi_is_array(env, argv[1], &is_array);
  if (!is_array) {
    kv_throw_type(env, "groups must be an array of IPv4 addresses");
    return NULL;
  }
  unsigned int ifindex = if_nametoindex(ifname);
  if (ifindex == 0) {
    kv_throw_errno(env, "if_nametoindex", errno);
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_VRRP);
  if (fd < 0) {
    kv_throw_errno(env, "socket(AF_INET, SOCK_RAW, 112)", errno);
    return NULL;
  }
  const char *failed = configure(fd, ifname, ifindex, rcvbuf);
  uint32_t count = 0;
  napi_get_array_length(env, argv[1], &count);
  for (uint32_t i = 0; failed == NULL && i < count; i++) {
    napi_value element;
    struct ip_mreqn mreq = {.imr_ifindex = (int)ifindex};
    if (napi_get_element(env, argv[1], i, &element) != napi_ok ||
        kv_get_in4(env, element, &mreq.imr_multiaddr, "multicast group") < 0) {
      close(fd);
      return NULL;
    }
    if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0) failed = "setsockopt(IP_ADD_MEMBERSHIP)";
  }
  if (failed) {
    int err = errno;
    close(fd);
    kv_throw_errno(env, failed, err);
    return NULL;
  }
  napi_value external;
  if (!kv_watch_open(env, &VRRP4, sizeof(kv_watch), fd, 1, &argv[3], &external)) return NULL;
  return external;
}

static napi_value vrrp4_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    kv_throw_type(env, "vrrp4Send(handle, datagram, dst) needs three arguments");
    return NULL;
  }
  kv_watch *s = kv_watch_unwrap(env, argv[0], &VRRP4);
  if (!s) return NULL;
  if (s->closed) {
    kv_throw_errno(env, "sendto", EBADF);
    return NULL;
  }
  void *data;
  size_t length;
  bool is_buffer = false;
  napi_is_buffer(env, argv[1], &is_buffer);
  if (!is_buffer) {
    kv_throw_type(env, "datagram must be a Buffer");
    return NULL;
  }
  NAPI_CALL(env, napi_get_buffer_info(env, argv[1], &data, &length));
  struct sockaddr_in to = {.sin_family = AF_INET};
  if (kv_get_in4(env, argv[2], &to.sin_addr, "dst") < 0) return NULL;
  ssize_t n;
  do {
    n = sendto(s->fd, data, length, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    kv_throw_errno(env, "sendto", errno);
    return NULL;
  }
  return NULL;
}

napi_status kv_register_vrrp4(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"vrrp4Open", NULL, vrrp4_open, NULL, NULL, NULL, napi_default, NULL},
      {"vrrp4Send", NULL, vrrp4_send, NULL, NULL, NULL, napi_default, NULL},
      {"vrrp4Close", NULL, kv_watch_js_close, NULL, NULL, NULL, napi_default, (void *)&VRRP4},
      {"vrrp4Ref", NULL, kv_watch_js_ref, NULL, NULL, NULL, napi_default, (void *)&VRRP4},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
