/**
 * The machine's other events: startup, shutdown, timer, fault, fault cleared and priority
 * changes (RFC 5798 6.4, keepalived's FAULT, keepvip's fast hand-off).
 */
import { nextAdvertMs, OWNER_PRIORITY, releaseBoundMs, skewTimeMs, STOP_PRIORITY } from '../timers.js';
import { log, preemption, tag } from './helpers.js';
import { becomeBackup, becomeMaster, becomeStopped, transition } from './transitions.js';
import type { Ctx, VrrpInstanceParams, VrrpState } from './types.js';

export function onStartup(c: Ctx, s: VrrpState): VrrpState {
  if (s.name !== 'INIT' && s.name !== 'STOPPED') {
    log(c, 'debug', `${tag(c.p)} startup while ${s.name} - ignored`);
    return s;
  }
  // RFC 5798 6.4.1 (100): "If the Priority = 255 (i.e., the router owns the IPvX address
  // associated with the virtual router), then: ... Transition to the {Master} state".
  // keepalived does the same for `state MASTER` with priority 255; any other instance,
  // `state MASTER` included, starts in BACKUP and waits Master_Down_Interval (keepalived.conf(5):
  // "otherwise the instance will wait between 3 and 4 advert intervals").
  if (c.p.priority === OWNER_PRIORITY) return becomeMaster(c, s, 'startup as address owner (priority 255)');
  // RFC 5798 6.4.1 (130-150): "else // rtr does not own virt addr ... Transition to the {Backup} state".
  return becomeBackup(c, s, 'startup', c.p.advertIntervalMs);
}

export function onShutdown(c: Ctx, s: VrrpState): VrrpState {
  switch (s.name) {
    case 'STOPPED':
      return s;
    case 'MASTER': {
      if (s.timer === 'release') return becomeStopped(c, s, 'shutdown repeated while releasing');
      // RFC 5798 6.4.3 (605-620): "If a Shutdown event is received, then: Cancel the Adver_Timer;
      // Send an ADVERTISEMENT with Priority = 0; Transition to the {Initialize} state".
      c.out.push({ type: 'send-advert', priority: STOP_PRIORITY });
      log(c, 'debug', `${tag(c.p)} sent 0 priority`);
      if (c.p.handoff === 'rfc') return becomeStopped(c, s, 'shutdown');
      // keepvip fast hand-off (not RFC): keep answering for the VIPs until the backup that
      // takes over after its Skew_Time is heard, so a planned stop drops no request.
      const boundMs = releaseBoundMs(c.p.version, c.p.advertIntervalMs);
      log(
        c,
        'info',
        `${tag(c.p)} keeping VIPs until the new master is heard (at most ${Math.round(boundMs)} ms)`,
      );
      return { ...s, deadlineMs: c.now + boundMs, timer: 'release' };
    }
    default:
      // RFC 5798 6.4.2 (305-315): "If a Shutdown event is received, then: Cancel the
      // Master_Down_Timer; Transition to the {Initialize} state".
      return becomeStopped(c, s, 'shutdown');
  }
}

/**
 * adverTimerRefresh is RFC 5798 6.4.3 (630-640), "If the Adver_Timer fires, then: Send an
 * ADVERTISEMENT; Reset the Adver_Timer to Advertisement_Interval", answered without a new state:
 * for a master's Adver_Timer it returns the next deadline (on the advert slots, timers.ts) and the
 * caller sends an advertisement at the state's priority; undefined for any other timer, which
 * needs the whole `step`. A master's timer path calls it for every periodic advert and `onTimer`
 * answers the case through it.
 */
export function adverTimerRefresh(p: VrrpInstanceParams, s: VrrpState, nowMs: number): number | undefined {
  if (s.name !== 'MASTER' || s.timer !== 'adver') return undefined;
  return nextAdvertMs(nowMs, p.advertIntervalMs, p.advertPhaseMs);
}

export function onTimer(c: Ctx, s: VrrpState): VrrpState {
  const { p, now } = c;
  if (s.name === 'BACKUP' && s.timer === 'master-down') {
    // RFC 5798 6.4.2 (325-355): "If the Master_Down_Timer fires, then: Send an ADVERTISEMENT ...
    // Transition to the {Master} state".
    return becomeMaster(c, s, 'Master_Down_Timer expired');
  }
  const adver = adverTimerRefresh(p, s, now);
  if (adver !== undefined) {
    c.out.push({ type: 'send-advert', priority: s.priority });
    return { ...s, deadlineMs: adver };
  }
  if (s.name === 'MASTER' && s.timer === 'release') {
    return becomeStopped(c, s, 'shutdown: no new master heard in time');
  }
  log(c, 'warn', `${tag(p)} BUG: timer ${s.timer} fired in state ${s.name} - disarmed`);
  return { ...s, deadlineMs: undefined, timer: undefined };
}

export function onFault(c: Ctx, s: VrrpState): VrrpState {
  switch (s.name) {
    case 'FAULT':
    case 'STOPPED':
      return s;
    case 'MASTER': {
      if (s.timer === 'release') return becomeStopped(c, s, 'fault while releasing');
      // keepalived vrrp_state_leave_master with wantstate FAULT: log, send priority 0 so a backup
      // takes over after Skew_Time, then remove the VIPs.
      const next = transition(c, s, 'FAULT', 'fault', { deadlineMs: undefined, timer: undefined });
      c.out.push({ type: 'send-advert', priority: STOP_PRIORITY });
      c.out.push({ type: 'remove-vips' });
      return next;
    }
    default:
      return transition(c, s, 'FAULT', 'fault', { deadlineMs: undefined, timer: undefined });
  }
}

export function onFaultCleared(c: Ctx, s: VrrpState): VrrpState {
  if (s.name !== 'FAULT') return s;
  // keepalived try_up_instance / vrrp_state_leave_fault: an owner configured as MASTER goes
  // straight to MASTER (RFC 5798 6.4.1 again); anyone else re-enters BACKUP with
  // Master_Adver_Interval reset to its own interval and a full Master_Down_Interval.
  if (c.p.priority === OWNER_PRIORITY) return becomeMaster(c, s, 'fault cleared, address owner');
  return becomeBackup(c, s, 'fault cleared', c.p.advertIntervalMs);
}

export function onPriority(c: Ctx, s: VrrpState, requested: number): VrrpState {
  const { p, now } = c;
  if (p.priority === OWNER_PRIORITY) {
    // RFC 5798 5.2.4: 255 is reserved for the owner; keepalived never tracks an owner's priority.
    log(c, 'debug', `${tag(p)} address owner keeps priority ${OWNER_PRIORITY} - tracking ignored`);
    return s;
  }
  if (!Number.isFinite(requested)) {
    log(c, 'warn', `${tag(p)} BUG: effective priority ${requested} - ignored`);
    return s;
  }
  // keepalived vrrp_set_effective_priority: a non-owner's effective priority stays in 1..254.
  const priority = Math.min(OWNER_PRIORITY - 1, Math.max(1, Math.round(requested)));
  if (priority === s.priority) return s;
  log(c, 'info', `${tag(p)} Changing effective priority from ${s.priority} to ${priority}`);
  const next: VrrpState = { ...s, priority };
  if (s.name === 'MASTER' && s.timer === 'adver') {
    // keepvip: a master tells the backups its new priority at once (a drop lets a backup take
    // over in Skew_Time under fast hand-off; under the RFC it is just an early advert).
    c.out.push({ type: 'send-advert', priority });
    return {
      ...next,
      masterPriority: priority,
      deadlineMs: nextAdvertMs(now, p.advertIntervalMs, p.advertPhaseMs),
    };
  }
  const { preempt, preemptDelayMs } = preemption(p);
  if (
    s.name === 'BACKUP' &&
    p.handoff === 'fast' &&
    preempt &&
    preemptDelayMs === 0 &&
    s.masterPriority !== undefined &&
    priority > s.masterPriority
  ) {
    // keepvip fast hand-off (not RFC): our priority rose above the live master's (a down file
    // removed, a check recovered). Under RFC 5798 we would wait for its next advert to preempt;
    // the master's priority is already known, so take over after Skew_Time as if we had heard it.
    const skew = skewTimeMs(p.version, priority, s.masterAdvertIntervalMs);
    log(
      c,
      'info',
      `${tag(p)} priority ${priority} now above the master's (${s.masterPriority}) - preempting in ${skew} ms`,
    );
    return {
      ...next,
      deadlineMs: Math.min(s.deadlineMs ?? Number.POSITIVE_INFINITY, now + skew),
      timer: 'master-down',
    };
  }
  return next;
}
