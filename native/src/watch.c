/*
 * watch.c: kv_watch, the lifecycle every watched fd and signal of the addon shares (util.h):
 * open, dispatch to the kind's hook while open, report errors to JS, close, finalize, free.
 */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void on_handle_closed(uv_handle_t *handle) {
  kv_watch *w = handle->data;
  w->handle_closed = 1;
  if (w->finalized) free(w);
}

static void finalize(napi_env env, void *data, void *hint) {
  kv_watch *w = data;
  kv_watch_close(w);
  w->finalized = 1;
  if (w->handle_closed) free(w);
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  kv_watch *w = handle->data;
  if (!w->closed) w->kind->on_event(w, status);
}

static void on_signal(uv_signal_t *handle, int signum) {
  kv_watch *w = handle->data;
  if (!w->closed) w->kind->on_event(w, signum);
}

static int start(kv_watch *w, int signum) {
  if (w->kind->is_signal) return uv_signal_start(&w->uv.signal, on_signal, signum);
  return uv_poll_start(&w->uv.poll, UV_READABLE, on_poll);
}

void kv_watch_close(kv_watch *w) {
  if (w->closed) return;
  w->closed = 1;
  if (w->kind->is_signal) uv_signal_stop(&w->uv.signal);
  else uv_poll_stop(&w->uv.poll);
  uv_close(&w->uv.handle, on_handle_closed);
  if (w->fd >= 0) close(w->fd);
  w->fd = -1;
  if (w->kind->on_close) w->kind->on_close(w);
  for (size_t i = 0; i < KV_WATCH_MAX_CALLBACKS; i++) {
    if (w->callbacks[i]) napi_delete_reference(w->env, w->callbacks[i]);
    w->callbacks[i] = NULL;
  }
  if (w->async_context) napi_async_destroy(w->env, w->async_context);
  w->async_context = NULL;
}

void *kv_watch_open(napi_env env, const kv_watch_kind *kind, size_t size, int fd_or_signum, size_t callback_count,
                    const napi_value *callbacks, napi_value *external) {
  int fd = kind->is_signal ? -1 : fd_or_signum;
  kv_watch *w = calloc(1, size);
  if (!w) {
    if (fd >= 0) close(fd);
    kv_throw_errno(env, "calloc", ENOMEM);
    return NULL;
  }
  w->kind = kind;
  w->env = env;
  w->fd = fd;
  uv_loop_t *loop;
  int init = -1;
  if (napi_get_uv_event_loop(env, &loop) == napi_ok)
    init = kind->is_signal ? uv_signal_init(loop, &w->uv.signal) : uv_poll_init(loop, &w->uv.poll, fd);
  if (init != 0) {
    if (fd >= 0) close(fd);
    free(w);
    kv_throw_napi_failure(env, kind->is_signal ? "uv_signal_init" : "uv_poll_init");
    return NULL;
  }
  w->uv.handle.data = w;
  /* From here on the struct is owned by the external's finalizer and the handle's close callback. */
  napi_status status = napi_ok;
  for (size_t i = 0; i < callback_count && i < KV_WATCH_MAX_CALLBACKS && status == napi_ok; i++)
    status = napi_create_reference(env, callbacks[i], 1, &w->callbacks[i]);
  napi_value resource_name;
  if (status == napi_ok) status = napi_create_string_utf8(env, kind->resource, NAPI_AUTO_LENGTH, &resource_name);
  if (status == napi_ok) status = napi_async_init(env, NULL, resource_name, &w->async_context);
  if (status == napi_ok && external) status = napi_create_external(env, w, finalize, NULL, external);
  if (status != napi_ok) {
    kv_watch_close(w);
    w->finalized = 1; /* no external exists: on_handle_closed frees */
    kv_throw_napi_failure(env, kind->api);
    return NULL;
  }
  if (!external) w->finalized = 1;
  int rc = start(w, fd_or_signum);
  if (rc != 0) {
    kv_watch_close(w);
    kv_throw_errno(env, kind->is_signal ? "uv_signal_start" : "uv_poll_start", -rc);
    return NULL;
  }
  return w;
}

int kv_watch_restart(kv_watch *w) { return w->closed || w->kind->is_signal ? UV_EINVAL : start(w, 0); }

void kv_watch_set_ref(kv_watch *w, bool ref) {
  if (w->closed) return;
  if (ref) uv_ref(&w->uv.handle);
  else uv_unref(&w->uv.handle);
}

int kv_watch_set_callback(kv_watch *w, size_t which, napi_value callback) {
  if (w->callbacks[which]) napi_delete_reference(w->env, w->callbacks[which]);
  w->callbacks[which] = NULL;
  if (napi_create_reference(w->env, callback, 1, &w->callbacks[which]) != napi_ok) {
    kv_throw_napi_failure(w->env, w->kind->api);
    return -1;
  }
  return 0;
}

static void make_callback(napi_env env, napi_async_context context, napi_value fn, size_t argc, napi_value *argv) {
  napi_value global, result;
  napi_get_global(env, &global);
  if (napi_make_callback(env, context, global, fn, argc, argv, &result) == napi_pending_exception) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
    napi_fatal_exception(env, exception);
  }
}

void kv_watch_call(kv_watch *w, size_t which, size_t argc, napi_value *argv) {
  napi_value fn;
  napi_ref ref = w->callbacks[which];
  if (!ref || napi_get_reference_value(w->env, ref, &fn) != napi_ok || fn == NULL) return;
  make_callback(w->env, w->async_context, fn, argc, argv);
}

void kv_watch_call_once(kv_watch *w, size_t which, size_t argc, napi_value *argv) {
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn = NULL;
  napi_async_context context = w->async_context;
  if (w->callbacks[which]) napi_get_reference_value(env, w->callbacks[which], &fn);
  /* Keep the function (held by this scope) and the context alive across the close. */
  w->async_context = NULL;
  kv_watch_close(w);
  if (fn != NULL) make_callback(env, context, fn, argc, argv);
  if (context) napi_async_destroy(env, context);
  napi_close_handle_scope(env, scope);
}

void kv_watch_report_errno(kv_watch *w, size_t which, const char *syscall, int err) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(w->env, &scope) != napi_ok) return;
  napi_value argv[1] = {kv_errno_error(w->env, syscall, err)};
  if (argv[0]) kv_watch_call(w, which, 1, argv);
  napi_close_handle_scope(w->env, scope);
}

int kv_watch_report_poll_error(kv_watch *w, size_t which, const char *syscall, int status) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  kv_watch_report_errno(w, which, err ? syscall : "uv_poll", err ? err : -status);
  return err;
}

kv_watch *kv_watch_unwrap(napi_env env, napi_value handle, const kv_watch_kind *kind) {
  void *data = NULL;
  napi_valuetype type = napi_undefined;
  if (handle) napi_typeof(env, handle, &type);
  if (type != napi_external || napi_get_value_external(env, handle, &data) != napi_ok || data == NULL ||
      ((kv_watch *)data)->kind != kind) {
    char message[96];
    snprintf(message, sizeof message, "not a %s handle", kind->handle);
    kv_throw_type(env, message);
    return NULL;
  }
  return data;
}

/* js_watch reads a shared JS function's (handle, arg) into the watch of the descriptor's kind and
 * *arg (NULL when not passed); NULL after throwing for a bad handle. */
static kv_watch *js_watch(napi_env env, napi_callback_info info, napi_value *arg) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL};
  void *kind;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &kind) != napi_ok) {
    kv_throw_napi_failure(env, "napi_get_cb_info");
    return NULL;
  }
  if (arg) *arg = argc >= 2 ? argv[1] : NULL;
  return kv_watch_unwrap(env, argc < 1 ? NULL : argv[0], kind);
}

napi_value kv_watch_js_close(napi_env env, napi_callback_info info) {
  kv_watch *w = js_watch(env, info, NULL);
  if (w) kv_watch_close(w);
  return NULL;
}

napi_value kv_watch_js_ref(napi_env env, napi_callback_info info) {
  napi_value arg;
  kv_watch *w = js_watch(env, info, &arg);
  if (!w) return NULL;
  bool ref = true;
  if (arg) napi_get_value_bool(env, arg, &ref);
  kv_watch_set_ref(w, ref);
  return NULL;
}

/*
 * JS drain(handle): runs the watch's event now, as if its fd had become readable: what is queued
 * is read and handed to the callback before this returns (nothing queued: nothing happens). A
 * backup reads its VRRP socket this way before a Master_Down_Timer takes over, so adverts that
 * arrived while the event loop was busy count before the timer that fired meanwhile.
 */
napi_value kv_watch_js_drain(napi_env env, napi_callback_info info) {
  kv_watch *w = js_watch(env, info, NULL);
  if (!w || w->closed) return NULL;
  w->kind->on_event(w, 0);
  return NULL;
}
