/*
 * util.h: helpers shared by the keepvip native addon's files: argument reading, errors that
 * carry the errno name as `code` (EPERM, ENODEV...) so the TypeScript side can branch on it
 * (util.c), and kv_watch, the one lifecycle of a watched fd or signal with JS callbacks (watch.c).
 */
#ifndef KEEPVIP_UTIL_H
#define KEEPVIP_UTIL_H

#include <node_api.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <uv.h>

/* IANA protocol number of VRRP (RFC 5798 section 5.1.1.4), for the IPv4 and IPv6 sockets. */
#define IPPROTO_VRRP 112
/* Datagrams read per wakeup before yielding to the loop, so a flood cannot starve timers. */
#define KV_READS_PER_WAKEUP 64

/* NAPI_CALL returns NULL from the calling napi_callback when a N-API call fails; N-API has
 * already set a pending exception in that case (or we set a generic one). */
#define NAPI_CALL(env, call)                                                  \
  do {                                                                        \
    if ((call) != napi_ok) {                                                  \
      kv_throw_napi_failure(env, #call);                                      \
      return NULL;                                                            \
    }                                                                         \
  } while (0)

/* kv_errno_error builds (without throwing) an Error whose code is the errno name. */
napi_value kv_errno_error(napi_env env, const char *syscall, int err);
/* kv_throw_errno throws an Error whose code is the errno name and whose syscall names the call. */
void kv_throw_errno(napi_env env, const char *syscall, int err);
/* kv_throw_type throws a TypeError for a bad argument (code E_ARG). */
void kv_throw_type(napi_env env, const char *message);
/* kv_throw_napi_failure throws a generic error unless an exception is already pending. */
void kv_throw_napi_failure(napi_env env, const char *what);
/* kv_get_buffer gets a Buffer argument's bytes; returns 0 or -1 after throwing "NAME must be a Buffer". */
int kv_get_buffer(napi_env env, napi_value v, void **data, size_t *length, const char *name);

/* kv_get_string copies a JS string argument into buf; returns 0 or -1 after throwing. */
int kv_get_string(napi_env env, napi_value v, char *buf, size_t size, const char *name);
/* kv_get_int32 reads a number argument; returns 0 or -1 after throwing. */
int kv_get_int32(napi_env env, napi_value v, int32_t *out, const char *name);
/* kv_get_in6 parses an IPv6 address string; returns 0 or -1 after throwing. */
int kv_get_in6(napi_env env, napi_value v, struct in6_addr *out, const char *name);
/* kv_get_in4 parses an IPv4 address string; returns 0 or -1 after throwing. */
int kv_get_in4(napi_env env, napi_value v, struct in_addr *out, const char *name);

/* kv_setsockopt_int sets an int socket option. */
int kv_setsockopt_int(int fd, int level, int option, int value);
/* kv_set_rcvbuf asks for a receive buffer of bytes (SO_RCVBUFFORCE passes rmem_max for a
 * privileged process; else the capped SO_RCVBUF). Nothing for bytes <= 0. */
void kv_set_rcvbuf(int fd, int bytes);

/*
 * kv_watch: one fd watched for readability (uv_poll_t) or one signal (uv_signal_t), with the JS
 * callbacks it calls and their async context. A part's own struct starts with a kv_watch and has
 * a static kv_watch_kind describing it. The lifecycle is the same everywhere:
 *   kv_watch_open   allocate, init the handle, reference the callbacks, make the JS external,
 *                   start; on any failure the fd is closed and everything released, after throwing
 *   on_event        the kind's hook, only while open: poll status (< 0: libuv stopped the handle
 *                   on POLLERR) or the signal number
 *   kv_watch_close  stop, close the handle and the fd, run the kind's on_close, drop the callbacks
 *                   and the async context; idempotent, also run by the external's finalizer
 * The struct is freed once libuv has closed the handle and the external was finalized (a watch
 * opened without an external is freed when its handle has closed).
 */
#define KV_WATCH_MAX_CALLBACKS 2

typedef struct kv_watch kv_watch;

typedef struct kv_watch_kind {
  const char *resource; /* async resource name, "keepvip:vrrp4" */
  const char *api;      /* the opening JS function, named when a N-API call fails */
  const char *handle;   /* "not a <handle> handle" when JS passes something else */
  bool is_signal;       /* a uv_signal_t on a signal number instead of a uv_poll_t on an fd */
  void (*on_event)(kv_watch *w, int value);
  void (*on_close)(kv_watch *w); /* optional: release the part's own resources */
} kv_watch_kind;

struct kv_watch {
  const kv_watch_kind *kind;
  napi_env env;
  int fd; /* -1 for a signal watch and once closed */
  union {
    uv_handle_t handle;
    uv_poll_t poll;
    uv_signal_t signal;
  } uv;
  napi_ref callbacks[KV_WATCH_MAX_CALLBACKS];
  napi_async_context async_context;
  int closed;        /* kv_watch_close ran */
  int handle_closed; /* libuv finished closing the handle */
  int finalized;     /* the JS external was garbage-collected, or there is none */
};

/* kv_watch_open allocates size bytes (the part's struct, starting with its kv_watch) and starts
 * watching fd, or the signal number for a signal kind. It takes ownership of fd in every case.
 * Returns the struct, or NULL after throwing. With external non-NULL the JS handle (an external
 * owning the struct) is stored there; with NULL the watch lives until closed. */
void *kv_watch_open(napi_env env, const kv_watch_kind *kind, size_t size, int fd_or_signum, size_t callback_count,
                    const napi_value *callbacks, napi_value *external);
/* kv_watch_close stops the watch and releases everything but the struct. Idempotent. */
void kv_watch_close(kv_watch *w);
/* kv_watch_restart starts polling again after libuv stopped the handle (status < 0). */
int kv_watch_restart(kv_watch *w);
/* kv_watch_set_ref chooses whether the open watch keeps the event loop alive. */
void kv_watch_set_ref(kv_watch *w, bool ref);
/* kv_watch_set_callback replaces callback `which`; returns 0 or -1 after throwing. */
int kv_watch_set_callback(kv_watch *w, size_t which, napi_value callback);
/* kv_watch_call calls callback `which` in a callback scope (promise jobs it queues run right after
 * it); a throw reaches 'uncaughtException', never an abort. The caller holds a handle scope. */
void kv_watch_call(kv_watch *w, size_t which, size_t argc, napi_value *argv);
/* kv_watch_call_once closes the watch, then calls callback `which` with argc argv (a one-shot
 * event such as a process exit: nothing can follow it). Opens its own handle scope; values in
 * argv come from a scope the caller holds (none for argc 0). */
void kv_watch_call_once(kv_watch *w, size_t which, size_t argc, napi_value *argv);
/* kv_watch_report_errno hands an Error coded with err's name to callback `which`. */
void kv_watch_report_errno(kv_watch *w, size_t which, const char *syscall, int err);
/* kv_watch_report_poll_error reports a failed poll (status < 0): the socket's SO_ERROR as
 * syscall's error when it has one (reading clears it), else libuv's status as "uv_poll". Returns
 * the SO_ERROR value (0 when there was none). */
int kv_watch_report_poll_error(kv_watch *w, size_t which, const char *syscall, int status);
/* kv_watch_unwrap returns the watch of kind behind a JS handle, or NULL after throwing. */
kv_watch *kv_watch_unwrap(napi_env env, napi_value handle, const kv_watch_kind *kind);
/* JS functions shared by every kind; the property descriptor's data is the kv_watch_kind.
 *   close(handle)       kv_watch_close; idempotent
 *   ref(handle, bool)   kv_watch_set_ref */
napi_value kv_watch_js_close(napi_env env, napi_callback_info info);
napi_value kv_watch_js_ref(napi_env env, napi_callback_info info);
/* kv_watch_js_drain: JS drain(handle): the watch's event handler runs now (reads what is queued). */
napi_value kv_watch_js_drain(napi_env env, napi_callback_info info);

/* Module parts register their functions on the exports object. */
napi_status kv_register_vrrp4(napi_env env, napi_value exports);
napi_status kv_register_vrrp6(napi_env env, napi_value exports);
napi_status kv_register_packet(napi_env env, napi_value exports);
napi_status kv_register_pidfd(napi_env env, napi_value exports);
napi_status kv_register_netlink(napi_env env, napi_value exports);
napi_status kv_register_rtsignal(napi_env env, napi_value exports);

#endif
