/*
 * sched.c: real-time scheduling of the calling thread, keepalived's vrrp_rt_priority and
 * checker_rt_priority (lib/process.c set_process_priorities / reset_process_priorities). Node
 * sets nice values itself (os.setPriority); it has no sched_setscheduler. On Linux both act on
 * the calling thread only, so the VRRP thread and the checker thread each set their own.
 *
 *   schedSetRealtime(priority)  SCHED_RR | SCHED_RESET_ON_FORK at priority (1..99): threads and
 *                               processes started later (scripts) get SCHED_OTHER back, as in
 *                               keepalived; priority 0 returns the thread to SCHED_OTHER.
 *                               Throws with the errno code (EPERM without CAP_SYS_NICE).
 *   schedRealtimeRange()        [sched_get_priority_min, sched_get_priority_max] of SCHED_RR
 */
#include "util.h"

#include <errno.h>
#include <sched.h>

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

static napi_value sched_set_realtime(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    kv_throw_type(env, "schedSetRealtime(priority) needs one argument");
    return NULL;
  }
  int32_t priority;
  if (kv_get_int32(env, argv[0], &priority, "priority") < 0) return NULL;
  struct sched_param sp = {.sched_priority = priority};
  int policy = priority > 0 ? SCHED_RR | SCHED_RESET_ON_FORK : SCHED_OTHER;
  if (sched_setscheduler(0, policy, &sp) < 0) {
    kv_throw_errno(env, "sched_setscheduler", errno);
    return NULL;
  }
  return NULL;
}

static napi_value sched_realtime_range(napi_env env, napi_callback_info info) {
  napi_value out, v;
  NAPI_CALL(env, napi_create_array_with_length(env, 2, &out));
  NAPI_CALL(env, napi_create_int32(env, sched_get_priority_min(SCHED_RR), &v));
  NAPI_CALL(env, napi_set_element(env, out, 0, v));
  NAPI_CALL(env, napi_create_int32(env, sched_get_priority_max(SCHED_RR), &v));
  NAPI_CALL(env, napi_set_element(env, out, 1, v));
  return out;
}

napi_status kv_register_sched(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"schedSetRealtime", NULL, sched_set_realtime, NULL, NULL, NULL, napi_default, NULL},
      {"schedRealtimeRange", NULL, sched_realtime_range, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, 2, props);
}
