/*
 * util.h: helpers shared by the keepvip native addon's files: argument reading and errors that
 * carry the errno name as `code` (EPERM, ENODEV...), so the TypeScript side can branch on it.
 */
#ifndef KEEPVIP_UTIL_H
#define KEEPVIP_UTIL_H

#include <node_api.h>
#include <stddef.h>
#include <netinet/in.h>

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
/* kv_get_string copies a JS string argument into buf; returns 0 or -1 after throwing. */
int kv_get_string(napi_env env, napi_value v, char *buf, size_t size, const char *name);
/* kv_get_int32 reads a number argument; returns 0 or -1 after throwing. */
int kv_get_int32(napi_env env, napi_value v, int32_t *out, const char *name);
/* kv_get_in6 parses an IPv6 address string; returns 0 or -1 after throwing. */
int kv_get_in6(napi_env env, napi_value v, struct in6_addr *out, const char *name);
/* kv_get_in4 parses an IPv4 address string; returns 0 or -1 after throwing. */
int kv_get_in4(napi_env env, napi_value v, struct in_addr *out, const char *name);

/* Module parts register their functions on the exports object. */
napi_status kv_register_vrrp4(napi_env env, napi_value exports);
napi_status kv_register_vrrp6(napi_env env, napi_value exports);
napi_status kv_register_packet(napi_env env, napi_value exports);
napi_status kv_register_pidfd(napi_env env, napi_value exports);
napi_status kv_register_netlink(napi_env env, napi_value exports);
napi_status kv_register_rtsignal(napi_env env, napi_value exports);

#endif
