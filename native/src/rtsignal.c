/*
 * rtsignal.c: real-time signal handlers. Node's process.on() knows only the classic signal names,
 * but keepalived's SIGJSON is SIGRTMIN+2 (lib/signals.h) and keepalived-exporter sends it; without
 * a handler its default action would terminate the daemon. libuv's uv_signal_t accepts any signal
 * number and delivers it on the event loop, as Node's own signal handling does.
 */
#include "util.h"

#include <signal.h>

static void on_signal(kv_watch *w, int signum) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(w->env, &scope) != napi_ok) return;
  napi_value arg;
  napi_create_int32(w->env, signum, &arg);
  kv_watch_call(w, 0, 1, &arg);
  napi_close_handle_scope(w->env, scope);
}

static const kv_watch_kind RT_SIGNAL = {.resource = "keepvip:rtsignal", .api = "rtSignalWatch", .handle = "real-time signal",
                                        .is_signal = true, .on_event = on_signal};

/* rtSignalNumber(offset) -> SIGRTMIN + offset, or throws when beyond SIGRTMAX. */
static napi_value rt_signal_number(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t offset;
  if (argc < 1 || kv_get_int32(env, argv[0], &offset, "offset") < 0) return NULL;
  if (offset < 0 || SIGRTMIN + offset > SIGRTMAX) {
    kv_throw_type(env, "offset outside SIGRTMIN..SIGRTMAX");
    return NULL;
  }
  NAPI_CALL(env, napi_create_int32(env, SIGRTMIN + offset, &result));
  return result;
}

/* rtSignalWatch(offset, callback) -> handle: callback(signum) on every SIGRTMIN+offset. */
static napi_value rt_signal_watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    kv_throw_type(env, "rtSignalWatch(offset, callback) needs two arguments");
    return NULL;
  }
  int32_t offset;
  if (kv_get_int32(env, argv[0], &offset, "offset") < 0) return NULL;
  if (offset < 0 || SIGRTMIN + offset > SIGRTMAX) {
    kv_throw_type(env, "offset outside SIGRTMIN..SIGRTMAX");
    return NULL;
  }
  napi_value external;
  kv_watch *w = kv_watch_open(env, &RT_SIGNAL, sizeof *w, SIGRTMIN + offset, 1, &argv[1], &external);
  if (!w) return NULL;
  /* A handler alone must not keep the daemon's event loop alive (as process.on('SIGUSR1')). */
  kv_watch_set_ref(w, false);
  return external;
}

/* rtSignalUnwatch(handle): stop handling; the signal's default action applies again. */
napi_status kv_register_rtsignal(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"rtSignalNumber", NULL, rt_signal_number, NULL, NULL, NULL, napi_default, NULL},
      {"rtSignalWatch", NULL, rt_signal_watch, NULL, NULL, NULL, napi_default, NULL},
      {"rtSignalUnwatch", NULL, kv_watch_js_close, NULL, NULL, NULL, napi_default, (void *)&RT_SIGNAL},
  };
  return napi_define_properties(env, exports, 3, props);
}
