/*
 * pidfd.c: process exit notification through pidfd_open(2) (Linux 5.3). A pidfd becomes readable
 * when its process exits, in whatever PID and network namespace the caller runs, so track_process
 * learns of nginx's death the moment it happens. keepalived uses the proc connector
 * (NETLINK_CONNECTOR / CN_IDX_PROC) instead, but the kernel offers that socket only in the initial
 * network namespace (connect fails with ECONNREFUSED elsewhere), where our nodes never run.
 */
#include "util.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* same number on every architecture */
#endif

/* The process is gone, so the watch closes before the callback runs: it fires once. */
static void on_exit_readable(kv_watch *w, int status) { kv_watch_call_once(w, 0, 0, NULL); }

static const kv_watch_kind PIDFD = {.resource = "keepvip:pidfd", .api = "pidfdWatch", .handle = "pidfd watch",
                                    .on_event = on_exit_readable};

/* pidfdWatch(pid, callback) -> handle: callback() runs once when the process exits. Throws with
 * code ESRCH when there is no such process in the caller's PID namespace. */
static napi_value pidfd_watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
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
  napi_value external;
  kv_watch *w = kv_watch_open(env, &PIDFD, sizeof *w, fd, 1, &argv[1], &external);
  if (!w) return NULL;
  /* A watch alone must not keep the daemon's event loop alive. */
  kv_watch_set_ref(w, false);
  return external;
}

/* pidfdUnwatch(handle): stop watching (no callback afterwards). Safe after the exit fired. */
napi_status kv_register_pidfd(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"pidfdWatch", NULL, pidfd_watch, NULL, NULL, NULL, napi_default, NULL},
      {"pidfdUnwatch", NULL, kv_watch_js_close, NULL, NULL, NULL, napi_default, (void *)&PIDFD},
  };
  return napi_define_properties(env, exports, 2, props);
}
