/**
 * The state changes of the machine: `transition` is the one place a state changes; becomeMaster,
 * becomeBackup and becomeStopped are the RFC 5798 6.4 entries into each state.
 */
import { masterDownIntervalMs, nextAdvertMs } from '../timers.js';
import { log, tag } from './helpers.js';
import type { Ctx, VrrpState, VrrpStateName } from './types.js';

/** transition is the one place a state changes: it emits the `transition` effect and keepalived's log line. */
export function transition(
  c: Ctx,
  s: VrrpState,
  to: VrrpStateName,
  reason: string,
  fields: Partial<Omit<VrrpState, 'name'>>,
): VrrpState {
  c.out.push({ type: 'transition', from: s.name, to, reason });
  // keepalived: "(VI_1) Entering BACKUP STATE (init)" / "Entering FAULT STATE (init)" when
  // leaving the initial state, "(VI_1) Entering MASTER STATE" and so on otherwise.
  const init = (s.name === 'INIT' || s.name === 'STOPPED') && (to === 'BACKUP' || to === 'FAULT');
  log(c, 'info', `${tag(c.p)} Entering ${to} STATE${init ? ' (init)' : ''}`);
  return { ...s, ...fields, name: to };
}

/**
 * becomeMaster: RFC 5798 6.4.1 (105-125) and 6.4.2 (330-355): "Send an ADVERTISEMENT ...
 * broadcast a gratuitous ARP request ... Set the Adver_Timer to Advertisement_Interval ...
 * Transition to the {Master} state". The advert goes out before the VIPs are added, as in
 * keepalived's vrrp_state_master_tx, so the old master drops them before our ARPs arrive.
 */
export function becomeMaster(c: Ctx, s: VrrpState, reason: string): VrrpState {
  c.out.push({ type: 'send-advert', priority: s.priority });
  const next = transition(c, s, 'MASTER', reason, {
    deadlineMs: nextAdvertMs(c.now, c.p.advertIntervalMs, c.p.advertPhaseMs),
    timer: 'adver',
    masterAdvertIntervalMs: c.p.advertIntervalMs,
    masterAddress: c.p.localAddress,
    masterPriority: s.priority,
    preemptDelayUntilMs: undefined,
  });
  c.out.push({ type: 'add-vips' });
  return next;
}

/**
 * becomeBackup arms the Master_Down_Timer: RFC 5798 6.4.1 (140-150) "Set Master_Adver_Interval
 * to Advertisement_Interval ... Set the Master_Down_Timer to Master_Down_Interval ... Transition
 * to the {Backup} state", and 6.4.3 (695-715) with the new master's interval. keepalived clears
 * the preempt delay on every entry to BACKUP (vrrp_state_leave_master / leave_fault).
 */
export function becomeBackup(
  c: Ctx,
  s: VrrpState,
  reason: string,
  masterAdvertIntervalMs: number,
  master?: { address: string; priority: number },
): VrrpState {
  return transition(c, s, 'BACKUP', reason, {
    deadlineMs: c.now + masterDownIntervalMs(c.p.version, s.priority, masterAdvertIntervalMs),
    timer: 'master-down',
    masterAdvertIntervalMs,
    masterAddress: master?.address,
    masterPriority: master?.priority,
    preemptDelayUntilMs: undefined,
  });
}

/** becomeStopped ends a stop: the VIPs go (if we hold them) and the instance is STOPPED. */
export function becomeStopped(c: Ctx, s: VrrpState, reason: string, yieldedTo?: string): VrrpState {
  const held = s.name === 'MASTER';
  const next = transition(c, s, 'STOPPED', reason, { deadlineMs: undefined, timer: undefined });
  if (held) c.out.push(yieldedTo ? { type: 'remove-vips', yieldedTo } : { type: 'remove-vips' });
  return next;
}
