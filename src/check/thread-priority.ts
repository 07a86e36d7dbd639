/**
 * What the VRRP (main) thread and the checker thread run at: keepalived's vrrp_priority /
 * checker_priority (nice) and vrrp_rt_priority / checker_rt_priority (SCHED_RR), applied by
 * kernel/sched.ts. keepalived's defaults: neither is changed (nice 0, SCHED_OTHER).
 */
import type { GlobalDefs } from '../config/model.js';
import type { ThreadPriority } from '../kernel/sched.js';

/** CHECKER_DEFAULT_NICE is the checker thread's nice value when checker_priority is not written (keepalived: 0). */
export const CHECKER_DEFAULT_NICE = 0;

/** vrrpThreadPriority is the VRRP thread's: only what is configured. */
export function vrrpThreadPriority(g: GlobalDefs): ThreadPriority {
  return {
    ...(g.vrrpPriority === undefined ? {} : { nice: g.vrrpPriority }),
    ...(g.vrrpRtPriority === undefined ? {} : { realtime: g.vrrpRtPriority }),
  };
}

/** checkerThreadPriority is the checker thread's: always a nice value (the thread starts with its creator's). */
export function checkerThreadPriority(g: GlobalDefs): ThreadPriority {
  return {
    nice: g.checkerPriority ?? CHECKER_DEFAULT_NICE,
    ...(g.checkerRtPriority === undefined ? {} : { realtime: g.checkerRtPriority }),
  };
}
