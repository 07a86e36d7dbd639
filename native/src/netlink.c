/*
 * netlink.c: a netlink socket that survives overruns.
 *
 * The netlink npm package's binding aborts the whole process (std::terminate on a Napi::Error
 * built from a NULL syscall name) whenever libuv reports POLLERR on its socket, and a netlink
 * socket reports POLLERR when the kernel overran its receive queue (sk_err = ENOBUFS): with a
 * hundred VRRP instances adding their VIPs at once, or any burst of notifications, keepvip died
 * with "terminate called after throwing an instance of 'Napi::Error'". This socket instead reads
 * SO_ERROR, hands the errno to JS as an ordinary error (ENOBUFS: "messages were lost, re-read your
 * state"), and keeps polling. The netlink package's JS layers (message framing, rtnetlink
 * structs) run on top of it unchanged (src/kernel/netlink-socket.ts).
 *
 *   nlOpen(protocol, groups: number[], rcvbufBytes, onMessage(buf), onError(err)) -> handle
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
#include <uv.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
/* Largest datagram we read: kernel dump parts are at most 32 KiB (NLMSG_GOODSIZE on 64 KiB pages). */
#define NL_READ_SIZE 65536
/* Datagrams read per wakeup before yielding to the loop, so a flood cannot starve timers. */
#define NL_READS_PER_WAKEUP 64

typedef struct nl_socket {
  napi_env env;
  int fd;
  uv_poll_t poll;
  napi_ref on_message;
  napi_ref on_error;
  napi_async_context async_context;
  unsigned char *buffer;
  int closed;
  int handle_closed;
  int finalized;
} nl_socket;

static void on_handle_closed(uv_handle_t *handle) {
  nl_socket *s = handle->data;
  s->handle_closed = 1;
  if (s->finalized) free(s);
}

static void shutdown_nl(nl_socket *s) {
  if (s->closed) return;
  s->closed = 1;
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_handle_closed);
  close(s->fd);
  s->fd = -1;
  free(s->buffer);
  s->buffer = NULL;
  if (s->on_message) napi_delete_reference(s->env, s->on_message);
  if (s->on_error) napi_delete_reference(s->env, s->on_error);
  s->on_message = s->on_error = NULL;
  if (s->async_context) napi_async_destroy(s->env, s->async_context);
  s->async_context = NULL;
}

static void finalize_nl(napi_env env, void *data, void *hint) {
  nl_socket *s = data;
  shutdown_nl(s);
  s->finalized = 1;
  if (s->handle_closed) free(s);
}

/* call invokes a JS callback in a callback scope; a throw goes to 'uncaughtException' (never abort). */
static void call(nl_socket *s, napi_ref ref, size_t argc, napi_value *argv) {
  napi_env env = s->env;
  napi_value fn, global, result;
  if (!ref || napi_get_reference_value(env, ref, &fn) != napi_ok || fn == NULL) return;
  napi_get_global(env, &global);
  if (napi_make_callback(env, s->async_context, global, fn, argc, argv, &result) == napi_pending_exception) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
    napi_fatal_exception(env, exception);
  }
}

static void report_errno(nl_socket *s, const char *syscall, int err) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(s->env, &scope) != napi_ok) return;
  napi_value argv[1] = {kv_errno_error(s->env, syscall, err)};
  if (argv[0]) call(s, s->on_error, 1, argv);
  napi_close_handle_scope(s->env, scope);
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  nl_socket *s = handle->data;
  if (s->closed) return;
  if (status < 0) {
    /* libuv turns POLLERR into UV_EBADF and stops the handle. On netlink the real error is in
     * SO_ERROR (reading it clears it): ENOBUFS after an overrun. Report it and poll again. */
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    report_errno(s, err ? "recvmsg" : "uv_poll", err ? err : -status);
    if (!s->closed && err) uv_poll_start(&s->poll, UV_READABLE, on_poll);
    return;
  }
  for (int i = 0; i < NL_READS_PER_WAKEUP && !s->closed; i++) {
    ssize_t n = recv(s->fd, s->buffer, NL_READ_SIZE, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      report_errno(s, "recvmsg", errno); /* ENOBUFS here too: the queue was overrun */
      continue;
    }
    napi_handle_scope scope;
    if (napi_open_handle_scope(s->env, &scope) != napi_ok) return;
    napi_value argv[1];
    void *copy;
    if (napi_create_buffer_copy(s->env, (size_t)n, s->buffer, &copy, &argv[0]) == napi_ok)
      call(s, s->on_message, 1, argv);
    napi_close_handle_scope(s->env, scope);
  }
}

static nl_socket *get_nl(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    kv_throw_type(env, "not a netlink socket handle");
    return NULL;
  }
  return data;
}

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
  /* SO_RCVBUFFORCE passes rmem_max for a privileged process; fall back to the capped option. */
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
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
  nl_socket *s = calloc(1, sizeof *s);
  unsigned char *buffer = malloc(NL_READ_SIZE);
  if (!s || !buffer) {
    free(s);
    free(buffer);
    close(fd);
    kv_throw_errno(env, "malloc", ENOMEM);
    return NULL;
  }
  s->env = env;
  s->fd = fd;
  s->buffer = buffer;
  uv_loop_t *loop;
  napi_value resource_name, external;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &s->poll, fd) != 0) {
    close(fd);
    free(buffer);
    free(s);
    kv_throw_napi_failure(env, "uv_poll_init");
    return NULL;
  }
  s->poll.data = s;
  if (napi_create_reference(env, argv[3], 1, &s->on_message) != napi_ok ||
      napi_create_reference(env, argv[4], 1, &s->on_error) != napi_ok ||
      napi_create_string_utf8(env, "keepvip:netlink", NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_async_init(env, NULL, resource_name, &s->async_context) != napi_ok ||
      napi_create_external(env, s, finalize_nl, NULL, &external) != napi_ok) {
    shutdown_nl(s);
    s->finalized = 1;
    kv_throw_napi_failure(env, "nlOpen");
    return NULL;
  }
  int rc = uv_poll_start(&s->poll, UV_READABLE, on_poll);
  if (rc != 0) {
    shutdown_nl(s);
    kv_throw_errno(env, "uv_poll_start", -rc);
    return NULL;
  }
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
  if (s->closed) {
    kv_throw_errno(env, "sendmsg", EBADF);
    return NULL;
  }
  bool is_buffer = false;
  napi_is_buffer(env, argv[1], &is_buffer);
  if (!is_buffer) {
    kv_throw_type(env, "data must be a Buffer");
    return NULL;
  }
  void *data;
  size_t length;
  NAPI_CALL(env, napi_get_buffer_info(env, argv[1], &data, &length));
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  ssize_t n;
  do {
    n = sendto(s->fd, data, length, 0, (struct sockaddr *)&to, sizeof to);
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
  if (s->closed || getsockname(s->fd, (struct sockaddr *)&addr, &len) < 0) {
    kv_throw_errno(env, "getsockname", s->closed ? EBADF : errno);
    return NULL;
  }
  NAPI_CALL(env, napi_create_uint32(env, addr.nl_pid, &result));
  return result;
}

static napi_value nl_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  nl_socket *s = argc < 2 ? NULL : get_nl(env, argv[0]);
  if (!s) return NULL;
  bool ref = false;
  napi_get_value_bool(env, argv[1], &ref);
  if (!s->closed) {
    if (ref) uv_ref((uv_handle_t *)&s->poll);
    else uv_unref((uv_handle_t *)&s->poll);
  }
  return NULL;
}

static napi_value nl_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  nl_socket *s = argc < 1 ? NULL : get_nl(env, argv[0]);
  if (!s) return NULL;
  shutdown_nl(s);
  return NULL;
}

napi_status kv_register_netlink(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"nlOpen", NULL, nl_open, NULL, NULL, NULL, napi_default, NULL},
      {"nlSend", NULL, nl_send, NULL, NULL, NULL, napi_default, NULL},
      {"nlPort", NULL, nl_port, NULL, NULL, NULL, napi_default, NULL},
      {"nlRef", NULL, nl_ref, NULL, NULL, NULL, napi_default, NULL},
      {"nlClose", NULL, nl_close, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
