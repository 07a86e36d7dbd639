/*
 * vrrp4.c: the IPv4 VRRP socket (IP protocol 112 with IP_HDRINCL, RFC 5798 section 5.1.1).
 *
 * It replaces the raw-socket package, measured as the bottleneck at scale: raw-socket sends one
 * datagram per event-loop turn (a queue drained by a writable poll) and reads one per readable
 * wakeup, so with 255 instances at advert_int 0.1 a master put ~530 adverts a second on the wire
 * instead of 2,550 and its backup took over. Here a send is one synchronous sendto() (a raw socket
 * never blocks for long; a full queue is EAGAIN, reported) or one sendmmsg() for a batch, and each
 * wakeup reads up to KV_READS_PER_WAKEUP datagrams with one recvmmsg() into one batch for JS.
 *
 *   vrrp4Open(ifname, groups: string[], rcvbufBytes, callback(error | null, batch?), rx?) -> handle
 *       batch: [u16 LE length][whole IPv4 datagram], repeated; with rx (a Buffer the caller keeps
 *       alive for as long as the socket is open, e.g. from the callback's closure) the records are
 *       written into rx and batch is their byte count, so a wakeup allocates nothing (a copy made
 *       a new Buffer each time: 9 % of a 100-instance backup's time, with its page faults)
 *   vrrp4Send(handle, datagram: Buffer, dst: string)   whole IPv4 datagram, header included
 *   vrrp4SendMany(handle, datagrams: Buffer[], dsts: Buffer of 4-byte addresses) -> sent
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

/* BATCH_BYTES bounds one wakeup's batch: KV_READS_PER_WAKEUP datagrams of up to DATAGRAM_MAX. */
#define DATAGRAM_MAX 2048
#define BATCH_BYTES (KV_READS_PER_WAKEUP * (DATAGRAM_MAX + 2))

/* vrrp4_socket is the watch with the caller's receive buffer, if it gave one. */
typedef struct vrrp4_socket {
  kv_watch watch;
  unsigned char *rx;
  size_t rx_len;
} vrrp4_socket;

/*
 * on_readable reads what is queued with recvmmsg, up to KV_READS_PER_WAKEUP datagrams, and hands
 * them to JS in one call as one Buffer of [u16 little-endian length][datagram] records: one copy and
 * one JS call per wakeup instead of one per datagram (2,550 a second at 255 peers' instances).
 * A datagram longer than DATAGRAM_MAX (no VRRP advert is) arrives truncated and fails the codec's
 * length checks, counted as a bad packet like any other.
 */
static void on_readable(kv_watch *w, int status) {
  if (status < 0) {
    kv_watch_report_poll_error(w, 0, "recvmmsg", status);
    return; /* libuv stopped the handle: the owner reopens the socket */
  }
  /* Static: the addon runs on the main thread only, and 256 KB is no stack frame. */
  static unsigned char data[KV_READS_PER_WAKEUP][DATAGRAM_MAX];
  static unsigned char own[BATCH_BYTES];
  vrrp4_socket *s = (vrrp4_socket *)w;
  unsigned char *batch = s->rx != NULL && s->rx_len >= BATCH_BYTES ? s->rx : own;
  struct mmsghdr msgs[KV_READS_PER_WAKEUP];
  struct iovec iov[KV_READS_PER_WAKEUP];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < KV_READS_PER_WAKEUP; i++) {
    iov[i].iov_base = data[i];
    iov[i].iov_len = DATAGRAM_MAX;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  int n;
  do {
    n = recvmmsg(w->fd, msgs, KV_READS_PER_WAKEUP, MSG_DONTWAIT, NULL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    kv_watch_report_errno(w, 0, "recvmmsg", errno);
    return;
  }
  size_t used = 0;
  for (int i = 0; i < n; i++) {
    size_t len = msgs[i].msg_len > DATAGRAM_MAX ? DATAGRAM_MAX : msgs[i].msg_len;
    batch[used] = (unsigned char)(len & 0xff);
    batch[used + 1] = (unsigned char)(len >> 8);
    memcpy(batch + used + 2, data[i], len);
    used += len + 2;
  }
  if (used == 0 || w->closed) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(w->env, &scope) != napi_ok) return;
  napi_value argv[2];
  napi_get_null(w->env, &argv[0]);
  if (batch == s->rx) {
    if (napi_create_uint32(w->env, (uint32_t)used, &argv[1]) == napi_ok) kv_watch_call(w, 0, 2, argv);
  } else {
    void *copy;
    if (napi_create_buffer_copy(w->env, used, batch, &copy, &argv[1]) == napi_ok) kv_watch_call(w, 0, 2, argv);
  }
  napi_close_handle_scope(w->env, scope);
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
  size_t argc = 5;
  napi_value argv[5];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *rx = NULL;
  size_t rx_len = 0;
  if (argc >= 5 && kv_get_buffer(env, argv[4], &rx, &rx_len, "rx") < 0) return NULL;
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
  vrrp4_socket *s = kv_watch_open(env, &VRRP4, sizeof(vrrp4_socket), fd, 1, &argv[3], &external);
  if (!s) return NULL;
  s->rx = rx;
  s->rx_len = rx_len;
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
  if (kv_get_buffer(env, argv[1], &data, &length, "datagram") < 0) return NULL;
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

/* SEND_BATCH is how many datagrams one sendmmsg call takes. */
#define SEND_BATCH 64

/*
 * vrrp4_send_many sends the datagrams, datagram i to the IPv4 address at bytes 4i..4i+3 of dsts
 * (network order), with sendmmsg, SEND_BATCH at a time: the adverts of every instance whose timer fired in the same
 * turn leave in one system call. A datagram the kernel refuses is skipped and the rest still go.
 * Returns the number sent; when any failed it throws the first failure's errno error with `sent`
 * (how many went out) and `failed` (the indexes of those that did not).
 */
static napi_value vrrp4_send_many(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    kv_throw_type(env, "vrrp4SendMany(handle, datagrams, dsts) needs three arguments");
    return NULL;
  }
  kv_watch *s = kv_watch_unwrap(env, argv[0], &VRRP4);
  if (!s) return NULL;
  if (s->closed) {
    kv_throw_errno(env, "sendmmsg", EBADF);
    return NULL;
  }
  uint32_t count = 0;
  bool is_array = false;
  napi_is_array(env, argv[1], &is_array);
  if (!is_array) {
    kv_throw_type(env, "datagrams must be an array of Buffers");
    return NULL;
  }
  napi_get_array_length(env, argv[1], &count);
  void *dst_bytes;
  size_t dst_length;
  bool is_buffer = false;
  napi_is_buffer(env, argv[2], &is_buffer);
  if (!is_buffer) {
    kv_throw_type(env, "dsts must be a Buffer of 4-byte IPv4 addresses");
    return NULL;
  }
  NAPI_CALL(env, napi_get_buffer_info(env, argv[2], &dst_bytes, &dst_length));
  if (dst_length < (size_t)count * 4) {
    kv_throw_type(env, "dsts holds fewer addresses than datagrams");
    return NULL;
  }
  struct mmsghdr msgs[SEND_BATCH];
  struct iovec iov[SEND_BATCH];
  struct sockaddr_in to[SEND_BATCH];
  /* done: datagrams handled (sent or failed); sent: those that went out. */
  uint32_t done = 0, sent = 0, failed_count = 0;
  int first_errno = 0;
  napi_value failed = NULL;
  while (done < count) {
    uint32_t n = count - done > SEND_BATCH ? SEND_BATCH : count - done;
    memset(msgs, 0, sizeof(struct mmsghdr) * n);
    for (uint32_t i = 0; i < n; i++) {
      napi_value element;
      void *data;
      size_t length;
      bool buffer = false;
      if (napi_get_element(env, argv[1], done + i, &element) != napi_ok) return NULL;
      napi_is_buffer(env, element, &buffer);
      if (!buffer) {
        kv_throw_type(env, "datagrams must be an array of Buffers");
        return NULL;
      }
      NAPI_CALL(env, napi_get_buffer_info(env, element, &data, &length));
      iov[i].iov_base = data;
      iov[i].iov_len = length;
      memset(&to[i], 0, sizeof to[i]);
      to[i].sin_family = AF_INET;
      memcpy(&to[i].sin_addr, (unsigned char *)dst_bytes + 4 * (done + i), 4);
      msgs[i].msg_hdr.msg_name = &to[i];
      msgs[i].msg_hdr.msg_namelen = sizeof to[i];
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int r;
    do {
      r = sendmmsg(s->fd, msgs, n, MSG_DONTWAIT);
    } while (r < 0 && errno == EINTR);
    if (r > 0) {
      done += (uint32_t)r;
      sent += (uint32_t)r;
      continue;
    }
    /* The first datagram of this call failed (an nftables drop in OUTPUT is EPERM, a full queue
     * EAGAIN): skip it and send the rest, so one failing advert never takes the other instances'
     * adverts of the same turn down with it. */
    int e = r < 0 ? errno : EAGAIN;
    if (failed_count == 0) first_errno = e;
    if (!failed) {
      NAPI_CALL(env, napi_create_array(env, &failed));
    }
    napi_value index;
    NAPI_CALL(env, napi_create_uint32(env, done, &index));
    NAPI_CALL(env, napi_set_element(env, failed, failed_count++, index));
    done++;
  }
  if (failed_count > 0) {
    napi_value error = kv_errno_error(env, "sendmmsg", first_errno);
    if (!error) {
      kv_throw_napi_failure(env, "sendmmsg");
      return NULL;
    }
    napi_value v;
    napi_create_uint32(env, sent, &v);
    napi_set_named_property(env, error, "sent", v);
    napi_set_named_property(env, error, "failed", failed);
    napi_throw(env, error);
    return NULL;
  }
  napi_value result;
  NAPI_CALL(env, napi_create_uint32(env, sent, &result));
  return result;
}

napi_status kv_register_vrrp4(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"vrrp4Open", NULL, vrrp4_open, NULL, NULL, NULL, napi_default, NULL},
      {"vrrp4Send", NULL, vrrp4_send, NULL, NULL, NULL, napi_default, NULL},
      {"vrrp4SendMany", NULL, vrrp4_send_many, NULL, NULL, NULL, napi_default, NULL},
      {"vrrp4Close", NULL, kv_watch_js_close, NULL, NULL, NULL, napi_default, (void *)&VRRP4},
      {"vrrp4Ref", NULL, kv_watch_js_ref, NULL, NULL, NULL, napi_default, (void *)&VRRP4},
      {"vrrp4Drain", NULL, kv_watch_js_drain, NULL, NULL, NULL, napi_default, (void *)&VRRP4},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
