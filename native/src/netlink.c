/*
 * netlink.c: a netlink socket that survives overruns.
 *
 * The netlink npm package's binding, which keepvip used before, aborted the whole process
 * (std::terminate on a Napi::Error built from a NULL syscall name) whenever libuv reported
 * POLLERR on its socket, and a netlink socket reports POLLERR when the kernel overran its receive
 * queue (sk_err = ENOBUFS): with a hundred VRRP instances adding their VIPs at once, or any burst
 * of notifications, keepvip died with "terminate called after throwing an instance of
 * 'Napi::Error'". This socket instead reads
 * SO_ERROR, hands the errno to JS as an ordinary error (ENOBUFS: "messages were lost, re-read your
 * state"), and keeps polling. A datagram longer than the read buffer (MSG_TRUNC) is reported as
 * EMSGSIZE, never handed on cut. Framing, requests and the rtnetlink structs are ours in JS
 * (src/kernel/nlmsg.ts, netlink-socket.ts, rtnetlink.ts); the IPVS socket runs on it too.
 *
 *   nlOpen(protocol, groups: number[], rcvbufBytes, onMessage(buf), onError(err)) -> handle
 *                              onMessage gets one whole datagram; onError an Error coded with an
 *                              errno name (ENOBUFS: overrun, EMSGSIZE: a datagram was cut)
 *   nlSend(handle, buf)        synchronous sendmsg to the kernel (port 0)
 *   nlPort(handle) -> number   our port id (nl_pid), assigned by the kernel at bind
 *   nlRef(handle, bool)        whether the socket keeps the event loop alive
 *   nlClose(handle)            idempotent
 */
#include "util.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
/* Largest datagram we read: kernel dump parts are at most 32 KiB (NLMSG_GOODSIZE on 64 KiB pages). */
#define NL_READ_SIZE 65536

/* The callbacks, in kv_watch order. */
enum { ON_MESSAGE, ON_ERROR };

typedef struct nl_socket {
  kv_watch watch;
  unsigned char *buffer; /* NL_READ_SIZE bytes, released at close */
} nl_socket;

static void release_buffer(kv_watch *w) {
  nl_socket *s = (nl_socket *)w;
  free(s->buffer);
  s->buffer = NULL;
}

static void on_readable(kv_watch *w, int status) {
  nl_socket *s = (nl_socket *)w;
  if (status < 0) {
    /* libuv turns POLLERR into UV_EBADF and stops the handle. On netlink the real error is in
     * SO_ERROR (reading it clears it): ENOBUFS after an overrun. Report it and poll again. */
    int err = kv_watch_report_poll_error(w, ON_ERROR, "recvmsg", status);
    if (!w->closed && err) kv_watch_restart(w);
    return;
  }
  for (int i = 0; i < KV_READS_PER_WAKEUP && !w->closed; i++) {
    struct iovec iov = {.iov_base = s->buffer, .iov_len = NL_READ_SIZE};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n = recvmsg(w->fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      kv_watch_report_errno(w, ON_ERROR, "recvmsg", errno); /* ENOBUFS here too: the queue was overrun */
      continue;
    }
    if (msg.msg_flags & MSG_TRUNC) {
      /* The datagram was longer than NL_READ_SIZE and the kernel dropped the rest: its last
       * message is cut, and the replies it carried are lost. Handing on the part would look like
       * a shorter answer; report EMSGSIZE instead, as for an overrun the owner re-reads. */
      kv_watch_report_errno(w, ON_ERROR, "recvmsg", EMSGSIZE);
      continue;
    }
    napi_handle_scope scope;
    if (napi_open_handle_scope(w->env, &scope) != napi_ok) return;
    napi_value argv[1];
    void *copy;
    if (napi_create_buffer_copy(w->env, (size_t)n, s->buffer, &copy, &argv[0]) == napi_ok)
      kv_watch_call(w, ON_MESSAGE, 1, argv);
    napi_close_handle_scope(w->env, scope);
  }
}

static const kv_watch_kind NETLINK = {.resource = "keepvip:netlink", .api = "nlOpen", .handle = "netlink socket",
                                      .on_event = on_readable, .on_close = release_buffer};

static nl_socket *get_nl(napi_env env, napi_value v) { return (nl_socket *)kv_watch_unwrap(env, v, &NETLINK); }

static napi_value nl_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) {
    kv_throw_type(env, "nlOpen(protocol, groups, rcvbuf, onMessage, onError) needs five arguments");
    return NULL;
  }
  int32_t protocol, rcvbuf;
  if (kv_get_int32(env, argv[0], &protocol, "protocol") < 0) return NULL;
  if (kv_get_int32(env, argv[2], &rcvbuf, "rcvbuf") < 0) return NULL;
  bool is_array = false;
  napi_is_array(env, argv[1], &is_array);
  if (!is_array) {
    kv_throw_type(env, "groups must be an array of numbers");
    return NULL;
  }
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    kv_throw_errno(env, "socket(AF_NETLINK)", errno);
    return NULL;
  }
  kv_set_rcvbuf(fd, rcvbuf);
  struct sockaddr_nl addr = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int err = errno;
    close(fd);
    kv_throw_errno(env, "bind(AF_NETLINK)", err);
    return NULL;
  }
  uint32_t count = 0;
  napi_get_array_length(env, argv[1], &count);
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    int32_t group;
    if (napi_get_element(env, argv[1], i, &element) != napi_ok ||
        kv_get_int32(env, element, &group, "group") < 0) {
      close(fd);
      return NULL;
    }
    if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0) {
      int err = errno;
      close(fd);
      kv_throw_errno(env, "setsockopt(NETLINK_ADD_MEMBERSHIP)", err);
      return NULL;
    }
  }
  unsigned char *buffer = malloc(NL_READ_SIZE);
  if (!buffer) {
    close(fd);
    kv_throw_errno(env, "malloc", ENOMEM);
    return NULL;
  }
  napi_value external;
  nl_socket *s = kv_watch_open(env, &NETLINK, sizeof *s, fd, 2, &argv[3], &external);
  if (!s) {
    free(buffer);
    return NULL;
  }
  s->buffer = buffer;
  return external;
}

static napi_value nl_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    kv_throw_type(env, "nlSend(handle, data) needs two arguments");
    return NULL;
  }
  nl_socket *s = get_nl(env, argv[0]);
  if (!s) return NULL;
  if (s->watch.closed) {
    kv_throw_errno(env, "sendmsg", EBADF);
    return NULL;
  }
  void *data;
  size_t length;
  if (kv_get_buffer(env, argv[1], &data, &length, "data") < 0) return NULL;
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  ssize_t n;
  do {
    n = sendto(s->watch.fd, data, length, 0, (struct sockaddr *)&to, sizeof to);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    kv_throw_errno(env, "sendmsg", errno);
    return NULL;
  }
  return NULL;
}

static napi_value nl_port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  nl_socket *s = argc < 1 ? NULL : get_nl(env, argv[0]);
  if (!s) return NULL;
  struct sockaddr_nl addr;
  socklen_t len = sizeof addr;
  if (s->watch.closed || getsockname(s->watch.fd, (struct sockaddr *)&addr, &len) < 0) {
    kv_throw_errno(env, "getsockname", s->watch.closed ? EBADF : errno);
    return NULL;
  }
  NAPI_CALL(env, napi_create_uint32(env, addr.nl_pid, &result));
  return result;
}

napi_status kv_register_netlink(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"nlOpen", NULL, nl_open, NULL, NULL, NULL, napi_default, NULL},
      {"nlSend", NULL, nl_send, NULL, NULL, NULL, napi_default, NULL},
      {"nlPort", NULL, nl_port, NULL, NULL, NULL, napi_default, NULL},
      {"nlRef", NULL, kv_watch_js_ref, NULL, NULL, NULL, napi_default, (void *)&NETLINK},
      {"nlClose", NULL, kv_watch_js_close, NULL, NULL, NULL, napi_default, (void *)&NETLINK},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
