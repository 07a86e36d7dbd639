/*
 * sockopt.c: the checkers' probe sockets with keepalived's `fwmark` (SO_MARK) and `bind_if`
 * (SO_BINDTODEVICE), the two socket options Node cannot set. keepalived sets both on every
 * checker socket before it connects (check_api.c / layer4.c socket_bind_connect); so does this.
 *
 *   probeSocket(family 4|6, type 'tcp'|'udp', fwmark, ifname) -> fd
 *       a non-blocking, close-on-exec socket with SO_MARK (fwmark > 0) and SO_BINDTODEVICE
 *       (ifname non-empty) set; TCP fds are handed to net.Socket({ fd }), which connects them
 *   udpProbeOpen(fd, dst, port, bindAddr, bindPort, onMessage(buf), onError(err)) -> handle
 *       binds (bindAddr or bindPort given) and connects a probeSocket UDP fd, then watches it:
 *       each datagram goes to onMessage, an ICMP error (ECONNREFUSED...) to onError. Node's dgram
 *       cannot adopt an fd, hence this small socket of our own.
 *   udpProbeSend(handle, buf)   send(2) on the connected socket; throws with the errno code
 *   udpProbeClose(handle)       idempotent
 */
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Largest datagram a probe reads (the IPv4 UDP maximum). */
#define UDP_READ_SIZE 65536

/* The callbacks, in kv_watch order. */
enum { ON_MESSAGE, ON_ERROR };

/* probeSocket(family, type, fwmark, ifname) -> fd. Throws with the errno code: EPERM without
 * CAP_NET_ADMIN (SO_MARK) or CAP_NET_RAW (SO_BINDTODEVICE), ENODEV for an unknown device. */
static napi_value probe_socket(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    kv_throw_type(env, "probeSocket(family, type, fwmark, ifname) needs four arguments");
    return NULL;
  }
  int32_t family;
  uint32_t mark;
  char type[8], ifname[IF_NAMESIZE + 1];
  if (kv_get_int32(env, argv[0], &family, "family") < 0) return NULL;
  if (kv_get_string(env, argv[1], type, sizeof type, "type") < 0) return NULL;
  NAPI_CALL(env, napi_get_value_uint32(env, argv[2], &mark));
  if (kv_get_string(env, argv[3], ifname, sizeof ifname, "ifname") < 0) return NULL;
  if (family != 4 && family != 6) {
    kv_throw_type(env, "family must be 4 or 6");
    return NULL;
  }
  int stream = strcmp(type, "tcp") == 0;
  if (!stream && strcmp(type, "udp") != 0) {
    kv_throw_type(env, "type must be 'tcp' or 'udp'");
    return NULL;
  }
  int fd = socket(family == 6 ? AF_INET6 : AF_INET,
                  (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    kv_throw_errno(env, "socket", errno);
    return NULL;
  }
  if (mark != 0 && kv_setsockopt_int(fd, SOL_SOCKET, SO_MARK, (int)mark) < 0) {
    int err = errno;
    close(fd);
    kv_throw_errno(env, "setsockopt(SO_MARK)", err);
    return NULL;
  }
  if (ifname[0] != '\0' && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0) {
    int err = errno;
    close(fd);
    kv_throw_errno(env, "setsockopt(SO_BINDTODEVICE)", err);
    return NULL;
  }
  NAPI_CALL(env, napi_create_int32(env, fd, &result));
  return result;
}

static void on_readable(kv_watch *w, int status) {
  if (status < 0) {
    /* POLLERR: the ICMP error a connected UDP socket keeps in SO_ERROR (ECONNREFUSED for a port
     * unreachable). The probe ends on it, so the handle stays stopped. */
    kv_watch_report_poll_error(w, ON_ERROR, "recv", status);
    return;
  }
  unsigned char *buffer = malloc(UDP_READ_SIZE);
  if (!buffer) {
    kv_watch_report_errno(w, ON_ERROR, "malloc", ENOMEM);
    return;
  }
  for (int i = 0; i < KV_READS_PER_WAKEUP && !w->closed; i++) {
    ssize_t n = recv(w->fd, buffer, UDP_READ_SIZE, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      kv_watch_report_errno(w, ON_ERROR, "recv", errno);
      break;
    }
    napi_handle_scope scope;
    if (napi_open_handle_scope(w->env, &scope) != napi_ok) break;
    napi_value argv[1];
    void *copy;
    if (napi_create_buffer_copy(w->env, (size_t)n, buffer, &copy, &argv[0]) == napi_ok)
      kv_watch_call(w, ON_MESSAGE, 1, argv);
    napi_close_handle_scope(w->env, scope);
  }
  free(buffer);
}

static const kv_watch_kind UDP_PROBE = {.resource = "keepvip:udp-probe", .api = "udpProbeOpen",
                                        .handle = "UDP probe socket", .on_event = on_readable};

/* fill_addr parses text (IPv4 or IPv6 by family) and port into addr; returns its length or -1 after throwing. */
static socklen_t fill_addr(napi_env env, int family, napi_value text, uint32_t port, struct sockaddr_storage *addr,
                           const char *name) {
  memset(addr, 0, sizeof *addr);
  if (family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)addr;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (text != NULL && kv_get_in6(env, text, &a->sin6_addr, name) < 0) return (socklen_t)-1;
    return sizeof *a;
  }
  struct sockaddr_in *a = (struct sockaddr_in *)addr;
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)port);
  if (text != NULL && kv_get_in4(env, text, &a->sin_addr, name) < 0) return (socklen_t)-1;
  return sizeof *a;
}

/* udpProbeOpen(fd, dst, port, bindAddr|null, bindPort, onMessage, onError) -> handle. Takes the
 * fd in every case (closed when it throws). */
static napi_value udp_probe_open(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) {
    kv_throw_type(env, "udpProbeOpen(fd, dst, port, bindAddr, bindPort, onMessage, onError) needs seven arguments");
    return NULL;
  }
  int32_t fd;
  uint32_t port, bind_port;
  if (kv_get_int32(env, argv[0], &fd, "fd") < 0) return NULL;
  if (napi_get_value_uint32(env, argv[2], &port) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &bind_port) != napi_ok || port > 65535 || bind_port > 65535) {
    close(fd);
    kv_throw_type(env, "ports must be numbers 0..65535");
    return NULL;
  }
  struct sockaddr_storage local, remote;
  socklen_t len = sizeof local;
  if (getsockname(fd, (struct sockaddr *)&local, &len) < 0) {
    int err = errno;
    close(fd);
    kv_throw_errno(env, "getsockname", err);
    return NULL;
  }
  int family = local.ss_family;
  napi_valuetype bind_type;
  napi_typeof(env, argv[3], &bind_type);
  int bind_wanted = bind_type == napi_string || bind_port != 0;
  socklen_t local_len =
      fill_addr(env, family, bind_type == napi_string ? argv[3] : NULL, bind_port, &local, "bindAddr");
  socklen_t remote_len = local_len == (socklen_t)-1 ? local_len : fill_addr(env, family, argv[1], port, &remote, "dst");
  if (remote_len == (socklen_t)-1) {
    close(fd);
    return NULL;
  }
  if (bind_wanted && bind(fd, (struct sockaddr *)&local, local_len) < 0) {
    int err = errno;
    close(fd);
    kv_throw_errno(env, "bind", err);
    return NULL;
  }
  if (connect(fd, (struct sockaddr *)&remote, remote_len) < 0) {
    int err = errno;
    close(fd);
    kv_throw_errno(env, "connect", err);
    return NULL;
  }
  napi_value external;
  kv_watch *w = kv_watch_open(env, &UDP_PROBE, sizeof *w, fd, 2, &argv[5], &external);
  if (!w) return NULL;
  return external;
}

/* udpProbeSend(handle, data): one datagram to the connected peer. */
static napi_value udp_probe_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    kv_throw_type(env, "udpProbeSend(handle, data) needs two arguments");
    return NULL;
  }
  kv_watch *w = kv_watch_unwrap(env, argv[0], &UDP_PROBE);
  if (!w) return NULL;
  if (w->closed) {
    kv_throw_errno(env, "send", EBADF);
    return NULL;
  }
  void *data;
  size_t length;
  if (kv_get_buffer(env, argv[1], &data, &length, "data") < 0) return NULL;
  ssize_t n;
  do {
    n = send(w->fd, data, length, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    kv_throw_errno(env, "send", errno);
    return NULL;
  }
  return NULL;
}

napi_status kv_register_sockopt(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"probeSocket", NULL, probe_socket, NULL, NULL, NULL, napi_default, NULL},
      {"udpProbeOpen", NULL, udp_probe_open, NULL, NULL, NULL, napi_default, NULL},
      {"udpProbeSend", NULL, udp_probe_send, NULL, NULL, NULL, napi_default, NULL},
      {"udpProbeClose", NULL, kv_watch_js_close, NULL, NULL, NULL, napi_default, (void *)&UDP_PROBE},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
