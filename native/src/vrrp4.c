/*
 * vrrp4.c: the IPv4 VRRP socket (IP protocol 112 with IP_HDRINCL, RFC 5798 section 5.1.1).
 *
 * It replaces the raw-socket package, measured as the bottleneck at scale: raw-socket sends one
 * datagram per event-loop turn (a queue drained by a writable poll) and reads one per readable
 * wakeup, so with 255 instances at advert_int 0.1 a master put ~530 adverts a second on the wire
 * instead of 2,550 and its backup took over. Here a send is one synchronous sendto() (a raw socket
 * never blocks for long; a full queue is EAGAIN, reported), and each wakeup reads up to
 * MAX_READS_PER_WAKEUP datagrams into one buffer, each handed to JS as a copy.
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
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define IPPROTO_VRRP 112
#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL 49
#endif
#define MAX_READS_PER_WAKEUP 64

typedef struct vrrp4_socket {
  napi_env env;
  int fd;
  uv_poll_t poll;
  napi_ref callback;
  napi_async_context async_context;
  int closed;
  int handle_closed;
  int finalized;
} vrrp4_socket;

static void on_handle_closed(uv_handle_t *handle) {
  vrrp4_socket *s = handle->data;
  s->handle_closed = 1;
  if (s->finalized) free(s);
}

static void shutdown_socket(vrrp4_socket *s) {
  if (s->closed) return;
  s->closed = 1;
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_handle_closed);
  close(s->fd);
  s->fd = -1;
  if (s->callback) napi_delete_reference(s->env, s->callback);
  s->callback = NULL;
  if (s->async_context) napi_async_destroy(s->env, s->async_context);
  s->async_context = NULL;
}

static void finalize_socket(napi_env env, void *data, void *hint) {
  vrrp4_socket *s = data;
  shutdown_socket(s);
  s->finalized = 1;
  if (s->handle_closed) free(s);
}

/* deliver calls the JS callback in a callback scope; a throw reaches 'uncaughtException'. */
static void deliver(vrrp4_socket *s, size_t argc, napi_value *argv) {
  napi_env env = s->env;
  napi_value fn, global, result;
  if (!s->callback || napi_get_reference_value(env, s->callback, &fn) != napi_ok || fn == NULL) return;
  napi_get_global(env, &global);
  if (napi_make_callback(env, s->async_context, global, fn, argc, argv, &result) == napi_pending_exception) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
    napi_fatal_exception(env, exception);
  }
}

static void report_errno(vrrp4_socket *s, const char *syscall, int err) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(s->env, &scope) != napi_ok) return;
  napi_value argv[1] = {kv_errno_error(s->env, syscall, err)};
  if (argv[0]) deliver(s, 1, argv);
  napi_close_handle_scope(s->env, scope);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  vrrp4_socket *s = handle->data;
  if (s->closed) return;
  if (status < 0) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    report_errno(s, err ? "recvfrom" : "uv_poll", err ? err : -status);
    return; /* libuv stopped the handle: the owner reopens the socket */
  }
  unsigned char data[4096];
  for (int i = 0; i < MAX_READS_PER_WAKEUP && !s->closed; i++) {
    ssize_t n = recv(s->fd, data, sizeof data, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      report_errno(s, "recvfrom", errno);
      return;
    }
    napi_handle_scope scope;
    if (napi_open_handle_scope(s->env, &scope) != napi_ok) return;
    napi_value argv[2];
    void *copy;
    napi_get_null(s->env, &argv[0]);
    if (napi_create_buffer_copy(s->env, (size_t)n, data, &copy, &argv[1]) == napi_ok) deliver(s, 2, argv);
    napi_close_handle_scope(s->env, scope);
  }
}

static int set_int(int fd, int level, int option, int value) {
  return setsockopt(fd, level, option, &value, sizeof value);
}

/* configure applies the socket options; returns NULL or the failing call's name (errno set). */
static const char *configure(int fd, const char *ifname, unsigned int ifindex, int rcvbuf) {
  /* The codec writes the header: TTL 255 (RFC 5798 5.1.1.3), our source, the IP id. */
  if (set_int(fd, IPPROTO_IP, IP_HDRINCL, 1) < 0) return "setsockopt(IP_HDRINCL)";
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname) + 1) < 0) return "setsockopt(SO_BINDTODEVICE)";
  struct ip_mreqn mreq = {.imr_ifindex = (int)ifindex};
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) < 0) return "setsockopt(IP_MULTICAST_IF)";
  /* We must not hear our own adverts; groups joined by other sockets are not ours (keepalived). */
  if (set_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0) < 0) return "setsockopt(IP_MULTICAST_LOOP)";
  if (set_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0) < 0) return "setsockopt(IP_MULTICAST_ALL)";
  /* 255 instances of a peer at advert_int 0.1 are 2,550 adverts a second: room for seconds. */
  if (rcvbuf > 0 && set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf) < 0) set_int(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf);
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
  vrrp4_socket *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    kv_throw_errno(env, "calloc", ENOMEM);
    return NULL;
  }
  s->env = env;
  s->fd = fd;
  uv_loop_t *loop;
  napi_value resource_name, external;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &s->poll, fd) != 0) {
    close(fd);
    free(s);
    kv_throw_napi_failure(env, "uv_poll_init");
    return NULL;
  }
  s->poll.data = s;
  if (napi_create_reference(env, argv[3], 1, &s->callback) != napi_ok ||
      napi_create_string_utf8(env, "keepvip:vrrp4", NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_async_init(env, NULL, resource_name, &s->async_context) != napi_ok ||
      napi_create_external(env, s, finalize_socket, NULL, &external) != napi_ok) {
    shutdown_socket(s);
    s->finalized = 1;
    kv_throw_napi_failure(env, "vrrp4Open");
    return NULL;
  }
  int rc = uv_poll_start(&s->poll, UV_READABLE, on_readable);
  if (rc != 0) {
    shutdown_socket(s);
    kv_throw_errno(env, "uv_poll_start", -rc);
    return NULL;
  }
  return external;
}

static vrrp4_socket *get_socket(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    kv_throw_type(env, "not a vrrp4 socket handle");
    return NULL;
  }
  return data;
}

static napi_value vrrp4_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    kv_throw_type(env, "vrrp4Send(handle, datagram, dst) needs three arguments");
    return NULL;
  }
  vrrp4_socket *s = get_socket(env, argv[0]);
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

static napi_value vrrp4_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  vrrp4_socket *s = argc < 1 ? NULL : get_socket(env, argv[0]);
  if (!s) return NULL;
  shutdown_socket(s);
  return NULL;
}

static napi_value vrrp4_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  vrrp4_socket *s = argc < 2 ? NULL : get_socket(env, argv[0]);
  if (!s) return NULL;
  bool ref = true;
  napi_get_value_bool(env, argv[1], &ref);
  if (!s->closed) {
    if (ref) uv_ref((uv_handle_t *)&s->poll);
    else uv_unref((uv_handle_t *)&s->poll);
  }
  return NULL;
}

napi_status kv_register_vrrp4(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"vrrp4Open", NULL, vrrp4_open, NULL, NULL, NULL, napi_default, NULL},
      {"vrrp4Send", NULL, vrrp4_send, NULL, NULL, NULL, napi_default, NULL},
      {"vrrp4Close", NULL, vrrp4_close, NULL, NULL, NULL, napi_default, NULL},
      {"vrrp4Ref", NULL, vrrp4_ref, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
