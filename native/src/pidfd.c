/*
 * pidfd.c: process exit notification through pidfd_open(2) (Linux 5.3). A pidfd becomes readable
 * when its process exits, in whatever PID and network namespace the caller runs, so track_process
 * learns of nginx's death the moment it happens. keepalived uses the proc connector
 * (NETLINK_CONNECTOR / CN_IDX_PROC) instead, but the kernel offers that socket only in the initial
 * network namespace (connect fails with ECONNREFUSED elsewhere), where our nodes never run.
 */
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* same number on every architecture */
#endif

typedef struct pid_watch {
  napi_env env;
  int fd;
  uv_poll_t poll;
  napi_ref callback;
  napi_async_context async_context;
  int closed;        /* stop ran: poll stopping, fd closed */
  int handle_closed; /* libuv finished closing the poll handle */
  int finalized;     /* the JS external was garbage-collected */
} pid_watch;

static void on_handle_closed(uv_handle_t *handle) {
  pid_watch *w = handle->data;
  w->handle_closed = 1;
  if (w->finalized) free(w);
}

/* stop_watch releases everything but the struct, which libuv owns until its close callback. */
static void stop_watch(pid_watch *w) {
  if (w->closed) return;
  w->closed = 1;
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, on_handle_closed);
  close(w->fd);
  w->fd = -1;
  if (w->callback) {
    napi_delete_reference(w->env, w->callback);
    w->callback = NULL;
  }
  if (w->async_context) {
    napi_async_destroy(w->env, w->async_context);
    w->async_context = NULL;
  }
}

static void finalize_watch(napi_env env, void *data, void *hint) {
  pid_watch *w = data;
  stop_watch(w);
  w->finalized = 1;
  if (w->handle_closed) free(w);
}

/* on_exit fires once: the process is gone, so the watch stops before the callback runs. */
static void on_exit_readable(uv_poll_t *handle, int status, int events) {
  pid_watch *w = handle->data;
  if (w->closed) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn = NULL, global, result;
  napi_async_context ctx = w->async_context;
  if (w->callback) napi_get_reference_value(env, w->callback, &fn);
  /* Keep the callback alive across stop_watch, which deletes the reference. */
  w->async_context = NULL;
  stop_watch(w);
  if (fn != NULL) {
    napi_get_global(env, &global);
    napi_status st = napi_make_callback(env, ctx, global, fn, 0, NULL, &result);
    if (st == napi_pending_exception) {
      napi_value exception;
      napi_get_and_clear_last_exception(env, &exception);
      napi_fatal_exception(env, exception);
    }
  }
  if (ctx) napi_async_destroy(env, ctx);
  napi_close_handle_scope(env, scope);
}

/* pidfdWatch(pid, callback) -> handle: callback() runs once when the process exits. Throws with
 * code ESRCH when there is no such process in the caller's PID namespace. */
static napi_value pidfd_watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], resource_name, external;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    kv_throw_type(env, "pidfdWatch(pid, callback) needs two arguments");
    return NULL;
  }
  int32_t pid;
  if (kv_get_int32(env, argv[0], &pid, "pid") < 0) return NULL;
  if (pid <= 0) {
    kv_throw_type(env, "pid must be positive");
    return NULL;
  }
  int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (fd < 0) {
    kv_throw_errno(env, "pidfd_open", errno);
    return NULL;
  }
  pid_watch *w = calloc(1, sizeof *w);
  if (!w) {
    close(fd);
    kv_throw_errno(env, "calloc", ENOMEM);
    return NULL;
  }
  w->env = env;
  w->fd = fd;
  struct uv_loop_s *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &w->poll, fd) != 0) {
    close(fd);
    free(w);
    kv_throw_napi_failure(env, "uv_poll_init");
    return NULL;
  }
  w->poll.data = w;
  if (napi_create_reference(env, argv[1], 1, &w->callback) != napi_ok ||
      napi_create_string_utf8(env, "keepvip:pidfd", NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_async_init(env, NULL, resource_name, &w->async_context) != napi_ok ||
      napi_create_external(env, w, finalize_watch, NULL, &external) != napi_ok) {
    stop_watch(w);
    w->finalized = 1;
    kv_throw_napi_failure(env, "pidfdWatch");
    return NULL;
  }
  int rc = uv_poll_start(&w->poll, UV_READABLE, on_exit_readable);
  if (rc != 0) {
    stop_watch(w);
    kv_throw_errno(env, "uv_poll_start", -rc);
    return NULL;
  }
  /* A watch alone must not keep the daemon's event loop alive. */
  uv_unref((uv_handle_t *)&w->poll);
  return external;
}

/* pidfdUnwatch(handle): stop watching (no callback afterwards). Safe after the exit fired. */
static napi_value pidfd_unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    kv_throw_type(env, "not a pidfd watch handle");
    return NULL;
  }
  stop_watch(data);
  return NULL;
}

napi_status kv_register_pidfd(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"pidfdWatch", NULL, pidfd_watch, NULL, NULL, NULL, napi_default, NULL},
      {"pidfdUnwatch", NULL, pidfd_unwatch, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, 2, props);
}
