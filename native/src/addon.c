/*
 * addon.c: entry point of keepvip_native.node. The addon holds the few kernel calls Node and the
 * npm packages cannot make: an IPv6 raw socket with recvmsg ancillary data (hop limit, packet
 * info) and AF_PACKET frames for gratuitous ARP and unsolicited neighbour advertisements; here
 * also the small calls Node lacks outright (if_nametoindex, mkfifo).
 */
#include "util.h"

#include <errno.h>
#include <net/if.h>
#include <sys/stat.h>

/* ifNameToIndex(ifname) -> index in the caller's network namespace (ENODEV when absent). */
static napi_value if_name_to_index(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  char ifname[IF_NAMESIZE + 1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    kv_throw_type(env, "ifNameToIndex(ifname) needs a name");
    return NULL;
  }
  if (kv_get_string(env, argv[0], ifname, sizeof ifname, "ifname") < 0) return NULL;
  unsigned int index = if_nametoindex(ifname);
  if (index == 0) {
    kv_throw_errno(env, "if_nametoindex", errno);
    return NULL;
  }
  NAPI_CALL(env, napi_create_uint32(env, index, &result));
  return result;
}

/* mkfifo(path, mode): mkfifo(3); throws with the errno code (EEXIST when the path exists). */
static napi_value make_fifo(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char path[4096];
  uint32_t mode;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    kv_throw_type(env, "mkfifo(path, mode) needs two arguments");
    return NULL;
  }
  if (kv_get_string(env, argv[0], path, sizeof path, "path") < 0) return NULL;
  NAPI_CALL(env, napi_get_value_uint32(env, argv[1], &mode));
  if (mkfifo(path, (mode_t)(mode & 07777)) < 0) {
    kv_throw_errno(env, "mkfifo", errno);
    return NULL;
  }
  return NULL;
}

/* The checkers' probe sockets (sockopt.c). */
napi_status kv_register_sockopt(napi_env env, napi_value exports);
/* dr_path_check's packet socket (drprobe.c). */
napi_status kv_register_drprobe(napi_env env, napi_value exports);
/* vrrp_rt_priority / checker_rt_priority (sched.c). */
napi_status kv_register_sched(napi_env env, napi_value exports);
/* Starting programs without a fork (spawn.c). */
napi_status kv_register_spawn(napi_env env, napi_value exports);

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"ifNameToIndex", NULL, if_name_to_index, NULL, NULL, NULL, napi_default, NULL},
      {"mkfifo", NULL, make_fifo, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, 2, props) != napi_ok) return NULL;
  if (kv_register_vrrp4(env, exports) != napi_ok) return NULL;
  if (kv_register_vrrp6(env, exports) != napi_ok) return NULL;
  if (kv_register_packet(env, exports) != napi_ok) return NULL;
  if (kv_register_pidfd(env, exports) != napi_ok) return NULL;
  if (kv_register_netlink(env, exports) != napi_ok) return NULL;
  if (kv_register_rtsignal(env, exports) != napi_ok) return NULL;
  if (kv_register_sockopt(env, exports) != napi_ok) return NULL;
  if (kv_register_drprobe(env, exports) != napi_ok) return NULL;
  if (kv_register_sched(env, exports) != napi_ok) return NULL;
  if (kv_register_spawn(env, exports) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
