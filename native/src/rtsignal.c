/*
 * rtsignal.c: real-time signal handlers. Node's process.on() knows only the classic signal names,
 * but keepalived's SIGJSON is SIGRTMIN+2 (lib/signals.h) and keepalived-exporter sends it; without
 * a handler its default action would terminate the daemon. libuv's uv_signal_t accepts any signal
 * number and delivers it on the event loop, as Node's own signal handling does.
 */
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <uv.h>

typedef struct rt_watch {
  napi_env env;
  uv_signal_t sig;
  napi_ref callback;
  napi_async_context async_context;
  int closed;
  int handle_closed;
  int finalized;
} rt_watch;

static void on_handle_closed(uv_handle_t *handle) {
  rt_watch *w = handle->data;
  w->handle_closed = 1;
  if (w->finalized) free(w);
}

static void stop_watch(rt_watch *w) {
  if (w->closed) return;
  w->closed = 1;
  uv_signal_stop(&w->sig);
  uv_close((uv_handle_t *)&w->sig, on_handle_closed);
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
  rt_watch *w = data;
  stop_watch(w);
  w->finalized = 1;
  if (w->handle_closed) free(w);
}

static void on_signal(uv_signal_t *handle, int signum) {
  rt_watch *w = handle->data;
  if (w->closed || !w->callback) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn = NULL, global, result, arg;
  napi_get_reference_value(env, w->callback, &fn);
  if (fn != NULL) {
    napi_get_global(env, &global);
    napi_create_int32(env, signum, &arg);
    napi_status st = napi_make_callback(env, w->async_context, global, fn, 1, &arg, &result);
    if (st == napi_pending_exception) {
      napi_value exception;
      napi_get_and_clear_last_exception(env, &exception);
      napi_fatal_exception(env, exception);
    }
  }
  napi_close_handle_scope(env, scope);
}

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
  napi_value argv[2], resource_name, external;
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
  rt_watch *w = calloc(1, sizeof *w);
  if (!w) {
    kv_throw_errno(env, "calloc", ENOMEM);
    return NULL;
  }
  w->env = env;
  struct uv_loop_s *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_signal_init(loop, &w->sig) != 0) {
    free(w);
    kv_throw_napi_failure(env, "uv_signal_init");
    return NULL;
  }
  w->sig.data = w;
  if (napi_create_reference(env, argv[1], 1, &w->callback) != napi_ok ||
      napi_create_string_utf8(env, "keepvip:rtsignal", NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_async_init(env, NULL, resource_name, &w->async_context) != napi_ok ||
      napi_create_external(env, w, finalize_watch, NULL, &external) != napi_ok) {
    stop_watch(w);
    w->finalized = 1;
    kv_throw_napi_failure(env, "rtSignalWatch");
    return NULL;
  }
  int rc = uv_signal_start(&w->sig, on_signal, SIGRTMIN + offset);
  if (rc != 0) {
    stop_watch(w);
    kv_throw_errno(env, "uv_signal_start", -rc);
    return NULL;
  }
  /* A handler alone must not keep the daemon's event loop alive (as process.on('SIGUSR1')). */
  uv_unref((uv_handle_t *)&w->sig);
  return external;
}

/* rtSignalUnwatch(handle): stop handling; the signal's default action applies again. */
static napi_value rt_signal_unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    kv_throw_type(env, "not a real-time signal handle");
    return NULL;
  }
  stop_watch(data);
  return NULL;
}

napi_status kv_register_rtsignal(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"rtSignalNumber", NULL, rt_signal_number, NULL, NULL, NULL, napi_default, NULL},
      {"rtSignalWatch", NULL, rt_signal_watch, NULL, NULL, NULL, napi_default, NULL},
      {"rtSignalUnwatch", NULL, rt_signal_unwatch, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, 3, props);
}
