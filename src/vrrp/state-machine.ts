/**
 * The VRRP state machine of one instance, pure: `step(params, state, event, nowMs)` returns the
 * next state and the effects the runner must carry out. No I/O, no timers, no clock: times are
 * absolute monotonic milliseconds passed in, and the state names the one deadline the runner
 * arms (`deadlineMs`). It follows RFC 5798 section 6.4 (RFC 3768 for version 2) and keepalived
 * 2.2.7's documented behaviour, plus keepvip's `fast` hand-off (see ARCHITECTURE.md).
 *
 * Every state change goes through `transition`, which emits the `transition` effect and
 * keepalived's "(NAME) Entering X STATE" line; notify scripts, logs and metrics hook on that.
 *
 * RFC 5798's Initialize state is split in two here: INIT is "configured, not started" and
 * STOPPED is where a Shutdown event leads (the RFC goes back to Initialize); a `startup` event
 * leaves either.
 *
 * Layout: this file is `initialState`, `step` and its dispatch; state-machine/ holds the types,
 * the transitions (the entries into each state), the `advert` handlers, the other events and
 * small helpers.
 */
import { KeepvipError } from '../util/errors.js';
import { onAdvert } from './state-machine/advert.js';
export { masterDownRefresh } from './state-machine/advert.js';
export { adverTimerRefresh } from './state-machine/events.js';
import {
  onFault,
  onFaultCleared,
  onPriority,
  onShutdown,
  onStartup,
  onTimer,
} from './state-machine/events.js';
import { log, tag } from './state-machine/helpers.js';
import { becomeBackup, becomeMaster } from './state-machine/transitions.js';
import type { Ctx, StepResult, VrrpEvent, VrrpInstanceParams, VrrpState } from './state-machine/types.js';
import { OWNER_PRIORITY } from './timers.js';

/** VrrpVersion is the protocol version (defined in packet.ts, re-exported for the machine's users). */
export type { VrrpVersion } from './packet.js';
export { compareAddresses } from './state-machine/helpers.js';
export type {
  HandoffMode,
  StepResult,
  VrrpEffect,
  VrrpEvent,
  VrrpInstanceParams,
  VrrpState,
  VrrpStateName,
  VrrpTimer,
} from './state-machine/types.js';

/** initialState validates the parameters and returns the INIT state (RFC 5798 6.4.1 runs on `startup`). */
export function initialState(p: VrrpInstanceParams): VrrpState {
  if (!Number.isInteger(p.priority) || p.priority < 1 || p.priority > OWNER_PRIORITY) {
    throw new KeepvipError('E_VRRP_PARAMS', `(${p.name}) priority ${p.priority} outside 1..255`);
  }
  if (!Number.isFinite(p.advertIntervalMs) || p.advertIntervalMs <= 0) {
    throw new KeepvipError(
      'E_VRRP_PARAMS',
      `(${p.name}) advert interval ${p.advertIntervalMs} ms must be > 0`,
    );
  }
  if (!Number.isFinite(p.preemptDelayMs) || p.preemptDelayMs < 0) {
    throw new KeepvipError('E_VRRP_PARAMS', `(${p.name}) preempt delay ${p.preemptDelayMs} ms must be >= 0`);
  }
  return { name: 'INIT', priority: p.priority, masterAdvertIntervalMs: p.advertIntervalMs };
}

/** step is the whole protocol: (state, event, now) -> next state and effects. Pure. */
export function step(p: VrrpInstanceParams, s: VrrpState, e: VrrpEvent, nowMs: number): StepResult {
  const c: Ctx = { p, now: nowMs, out: [] };
  let next = dispatch(c, s, e);
  // A deadline that passed before this event was handled fires now, after the event: a
  // discarded advert must not leave a Master_Down_Timer in the past (keepalived clamps the
  // remaining time to 0 in vrrp_state_backup for the same reason). Each firing re-arms in the
  // future, so this runs at most once or twice.
  for (let i = 0; next.deadlineMs !== undefined && next.deadlineMs <= nowMs; i++) {
    if (i === 3) {
      log(c, 'warn', `${tag(p)} BUG: timer ${next.timer} keeps expiring at ${nowMs} ms - disarmed`);
      next = { ...next, deadlineMs: undefined, timer: undefined };
      break;
    }
    next = onTimer(c, next);
  }
  return { state: next, effects: c.out };
}

function dispatch(c: Ctx, s: VrrpState, e: VrrpEvent): VrrpState {
  switch (e.type) {
    case 'startup':
      return onStartup(c, s);
    case 'shutdown':
      return onShutdown(c, s);
    case 'advert':
      return onAdvert(c, s, e);
    case 'timer':
      if (s.deadlineMs === undefined || c.now < s.deadlineMs) {
        log(c, 'debug', `${tag(c.p)} timer event with no timer due - ignored`);
        return s;
      }
      return onTimer(c, s);
    case 'fault':
      return onFault(c, s);
    case 'fault-cleared':
      return onFaultCleared(c, s);
    case 'priority':
      return onPriority(c, s, e.priority);
    case 'sync-master':
      // keepalived vrrp_sync_master: a backup member follows the group to MASTER at once.
      if (s.name !== 'BACKUP') return s;
      return becomeMaster(c, s, `sync group ${e.group} is MASTER`);
    case 'sync-backup': {
      // keepalived vrrp_sync_backup: a master member follows the group back to BACKUP.
      if (s.name !== 'MASTER' || s.timer === 'release') return s;
      const next = becomeBackup(c, s, `sync group ${e.group} left MASTER`, s.masterAdvertIntervalMs);
      c.out.push({ type: 'remove-vips' });
      return next;
    }
  }
}
