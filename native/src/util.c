/*
 * util.c: argument, error and socket option helpers for the keepvip native addon.
 */
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

napi_value kv_errno_error(napi_env env, const char *syscall, int err) {
  const char *name = strerrorname_np(err);
  char code[32];
  char message[256];
  snprintf(code, sizeof code, "%s", name ? name : "EUNKNOWN");
  snprintf(message, sizeof message, "%s failed: %s (%s)", syscall, code, strerror(err));
  napi_value js_code, js_message, error, js_syscall, js_errno;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &js_code) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &js_message) != napi_ok) return NULL;
  if (napi_create_error(env, js_code, js_message, &error) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &js_syscall) == napi_ok)
    napi_set_named_property(env, error, "syscall", js_syscall);
  if (napi_create_int32(env, err, &js_errno) == napi_ok) napi_set_named_property(env, error, "errno", js_errno);
  return error;
}

void kv_throw_errno(napi_env env, const char *syscall, int err) {
  napi_value error = kv_errno_error(env, syscall, err);
  if (error) napi_throw(env, error);
  else kv_throw_napi_failure(env, syscall);
}

void kv_throw_type(napi_env env, const char *message) { napi_throw_type_error(env, "E_ARG", message); }

void kv_throw_napi_failure(napi_env env, const char *what) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "E_NAPI", what);
}

int kv_get_buffer(napi_env env, napi_value v, void **data, size_t *length, const char *name) {
  bool is_buffer = false;
  if (napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer) {
    char message[128];
    snprintf(message, sizeof message, "%s must be a Buffer", name);
    kv_throw_type(env, message);
    return -1;
  }
  if (napi_get_buffer_info(env, v, data, length) != napi_ok) {
    kv_throw_napi_failure(env, name);
    return -1;
  }
  return 0;
}

int kv_get_string(napi_env env, napi_value v, char *buf, size_t size, const char *name) {
  size_t len = 0;
  napi_valuetype type;
  if (napi_typeof(env, v, &type) != napi_ok || type != napi_string) {
    char message[128];
    snprintf(message, sizeof message, "%s must be a string", name);
    kv_throw_type(env, message);
    return -1;
  }
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) {
    kv_throw_napi_failure(env, name);
    return -1;
  }
  if (len + 1 >= size) {
    char message[128];
    snprintf(message, sizeof message, "%s is too long", name);
    kv_throw_type(env, message);
    return -1;
  }
  return 0;
}

int kv_get_int32(napi_env env, napi_value v, int32_t *out, const char *name) {
  napi_valuetype type;
  if (napi_typeof(env, v, &type) != napi_ok || type != napi_number || napi_get_value_int32(env, v, out) != napi_ok) {
    char message[128];
    snprintf(message, sizeof message, "%s must be a number", name);
    kv_throw_type(env, message);
    return -1;
  }
  return 0;
}

int kv_get_in6(napi_env env, napi_value v, struct in6_addr *out, const char *name) {
  char text[INET6_ADDRSTRLEN + 1];
  if (kv_get_string(env, v, text, sizeof text, name) < 0) return -1;
  if (inet_pton(AF_INET6, text, out) != 1) {
    char message[160];
    snprintf(message, sizeof message, "%s is not an IPv6 address: %s", name, text);
    kv_throw_type(env, message);
    return -1;
  }
  return 0;
}

int kv_get_in4(napi_env env, napi_value v, struct in_addr *out, const char *name) {
  char text[INET_ADDRSTRLEN + 1];
  if (kv_get_string(env, v, text, sizeof text, name) < 0) return -1;
  if (inet_pton(AF_INET, text, out) != 1) {
    char message[160];
    snprintf(message, sizeof message, "%s is not an IPv4 address: %s", name, text);
    kv_throw_type(env, message);
    return -1;
  }
  return 0;
}

int kv_setsockopt_int(int fd, int level, int option, int value) {
  return setsockopt(fd, level, option, &value, sizeof value);
}

void kv_set_rcvbuf(int fd, int bytes) {
  if (bytes > 0 && kv_setsockopt_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, bytes) < 0)
    kv_setsockopt_int(fd, SOL_SOCKET, SO_RCVBUF, bytes);
}
