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
 */
import { KeepvipError } from '../util/errors.js';
import { parseIpv4, parseIpv6 } from './address.js';
import type { VrrpVersion } from './packet.js';
import { masterDownIntervalMs, OWNER_PRIORITY, releaseBoundMs, skewTimeMs, STOP_PRIORITY } from './timers.js';

/** VrrpVersion is the protocol version (defined in packet.ts, re-exported for the machine's users). */
export type { VrrpVersion } from './packet.js';

/** VrrpStateName is the protocol state; FAULT and STOPPED are keepalived's, INIT is RFC 5798's Initialize. */
export type VrrpStateName = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOPPED';

/**
 * VrrpTimer names the one armed timer: RFC 5798's Adver_Timer (MASTER) and Master_Down_Timer
 * (BACKUP), and keepvip's release timer (a MASTER stopping in `fast` mode, holding its VIPs
 * until it hears the new master).
 */
export type VrrpTimer = 'adver' | 'master-down' | 'release';

/** HandoffMode chooses keepvip's fast hand-off (default) or strict RFC timing. */
export type HandoffMode = 'fast' | 'rfc';

/** VrrpInstanceParams are the fixed settings of one instance, resolved from the configuration. */
export interface VrrpInstanceParams {
  /** name is the vrrp_instance name, used in every log line as "(NAME)". */
  name: string;
  version: VrrpVersion;
  /** priority is the configured priority 1..255; 255 is the address owner. */
  priority: number;
  /** advertIntervalMs is our Advertisement_Interval. */
  advertIntervalMs: number;
  /** preempt is RFC 5798's Preempt_Mode (keepalived: false with `nopreempt`). */
  preempt: boolean;
  /** preemptDelayMs is keepalived's preempt_delay (0 = none). */
  preemptDelayMs: number;
  /** localAddress is the primary address we send from, for the equal-priority tie-break (RFC 5798 6.4.3). */
  localAddress: string;
  family: 'inet' | 'inet6';
  handoff: HandoffMode;
  /** initialState is keepalived's `state`; only an address owner starts as MASTER at once. */
  initialState: 'MASTER' | 'BACKUP';
}

/** VrrpState is everything the machine remembers between steps; treat it as immutable. */
export interface VrrpState {
  readonly name: VrrpStateName;
  /** priority is the effective priority (tracking may change it; a 255 owner's never changes). */
  readonly priority: number;
  /** deadlineMs is the absolute monotonic deadline of the one armed timer, or undefined. */
  readonly deadlineMs?: number;
  readonly timer?: VrrpTimer;
  /** masterAdvertIntervalMs is Master_Adver_Interval (v3: learnt from the master; v2: ours). */
  readonly masterAdvertIntervalMs: number;
  /** masterAddress and masterPriority describe the master last heard (ours when MASTER). */
  readonly masterAddress?: string;
  readonly masterPriority?: number;
  /** preemptDelayUntilMs is keepalived's preempt_time: until then a lower-priority master is accepted. */
  readonly preemptDelayUntilMs?: number;
}

/** VrrpEvent is an input to the machine. */
export type VrrpEvent =
  | { type: 'startup' }
  | { type: 'shutdown' }
  /** advert is a decoded advertisement that passed the packet and per-instance checks. */
  | { type: 'advert'; priority: number; advertIntervalMs: number; srcAddress: string }
  /** timer: the runner calls this when now >= deadlineMs. */
  | { type: 'timer' }
  /** fault / fault-cleared: interface carrier or tracking says the instance is (no longer) faulty. */
  | { type: 'fault' }
  | { type: 'fault-cleared' }
  /** priority is a new effective priority from tracking. */
  | { type: 'priority'; priority: number }
  /**
   * sync-master / sync-backup: another member of this instance's vrrp_sync_group became MASTER
   * or left MASTER, and the group moves together (keepalived's sync group semantics).
   */
  | { type: 'sync-master'; group: string }
  | { type: 'sync-backup'; group: string };

/** VrrpEffect is an action the runner carries out, in order. */
export type VrrpEffect =
  /** send-advert: encode and send an advertisement with this priority (0 when stopping). */
  | { type: 'send-advert'; priority: number }
  /** add-vips: add the VIPs, then announce them (gratuitous ARP / unsolicited NA). */
  | { type: 'add-vips' }
  /**
   * remove-vips: release the VIPs. `yieldedTo` names the new master when we release because we
   * heard it (a higher priority, or its advert while stopping): in fast mode the runner may then
   * keep answering briefly until that master's gratuitous ARPs have moved the clients.
   */
  | { type: 'remove-vips'; yieldedTo?: string }
  | { type: 'transition'; from: VrrpStateName; to: VrrpStateName; reason: string }
  | { type: 'log'; level: 'info' | 'debug' | 'warn'; message: string };

/** StepResult is the next state and the effects to carry out. */
export interface StepResult {
  state: VrrpState;
  effects: VrrpEffect[];
}

/** Ctx carries what every handler needs for one step. */
interface Ctx {
  readonly p: VrrpInstanceParams;
  readonly now: number;
  readonly out: VrrpEffect[];
}

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

// ---------------------------------------------------------------------------------------------
// Transitions

/** transition is the one place a state changes: it emits the `transition` effect and keepalived's log line. */
function transition(
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
function becomeMaster(c: Ctx, s: VrrpState, reason: string): VrrpState {
  c.out.push({ type: 'send-advert', priority: s.priority });
  const next = transition(c, s, 'MASTER', reason, {
    deadlineMs: c.now + c.p.advertIntervalMs,
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
function becomeBackup(
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
function becomeStopped(c: Ctx, s: VrrpState, reason: string, yieldedTo?: string): VrrpState {
  const held = s.name === 'MASTER';
  const next = transition(c, s, 'STOPPED', reason, { deadlineMs: undefined, timer: undefined });
  if (held) c.out.push(yieldedTo ? { type: 'remove-vips', yieldedTo } : { type: 'remove-vips' });
  return next;
}

// ---------------------------------------------------------------------------------------------
// Events

function onStartup(c: Ctx, s: VrrpState): VrrpState {
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

function onShutdown(c: Ctx, s: VrrpState): VrrpState {
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

type AdvertEvent = Extract<VrrpEvent, { type: 'advert' }>;

function onAdvert(c: Ctx, s: VrrpState, e: AdvertEvent): VrrpState {
  if (
    !Number.isInteger(e.priority) ||
    e.priority < 0 ||
    e.priority > OWNER_PRIORITY ||
    !(e.advertIntervalMs > 0)
  ) {
    // The codec and checks reject these; reaching here is a bug in the receive path.
    log(
      c,
      'warn',
      `${tag(c.p)} BUG: advert from ${e.srcAddress} with priority ${e.priority}, interval ${e.advertIntervalMs} ms - ignored`,
    );
    return s;
  }
  if (s.name === 'BACKUP') return backupReceives(c, s, e);
  if (s.name === 'MASTER')
    return s.timer === 'release' ? releasingReceives(c, s, e) : masterReceives(c, s, e);
  return s; // INIT, FAULT and STOPPED do not take part in the protocol.
}

/** backupReceives is RFC 5798 6.4.2 (365-410) plus keepalived's preempt_delay and keepvip's fast hand-off. */
function backupReceives(c: Ctx, s: VrrpState, e: AdvertEvent): VrrpState {
  const { p, now } = c;
  if (e.priority === 0) {
    // RFC 5798 6.4.2 (370-375): "If the Priority in the ADVERTISEMENT is zero, then: Set the
    // Master_Down_Timer to Skew_Time".
    log(c, 'debug', `${tag(p)} Backup received priority 0 advertisement`);
    return {
      ...s,
      deadlineMs: now + skewTimeMs(p.version, s.priority, s.masterAdvertIntervalMs),
      timer: 'master-down',
    };
  }
  const { preempt, preemptDelayMs } = preemption(p);
  // keepvip fast hand-off (not RFC): a master whose priority fell to exactly ours is leaving too
  // when we would win RFC 5798 6.4.3's tie-break (our primary address is greater), which it
  // applies as soon as it hears us. Only after a fall, so equal configured priorities keep
  // whoever is master (seed 001: priorities 100/95 with weight -5 meet at 95).
  const tieHandoff =
    p.handoff === 'fast' &&
    e.priority === s.priority &&
    s.masterPriority !== undefined &&
    s.masterPriority > e.priority &&
    s.masterAddress === e.srcAddress &&
    compareAddresses(p.localAddress, e.srcAddress) > 0;
  const lower = e.priority < s.priority || tieHandoff;
  // keepalived vrrp_state_backup: while the preempt delay runs (or before it started) a
  // lower-priority master is accepted as if preemption were off.
  const delaying = preemptDelayMs > 0 && (s.preemptDelayUntilMs === undefined || s.preemptDelayUntilMs > now);
  if (!preempt || !lower || delaying) {
    // RFC 5798 6.4.2 (385-400): "If Preempt_Mode is False, or if the Priority in the
    // ADVERTISEMENT is greater than or equal to the local Priority, then: Set
    // Master_Adver_Interval to Adver Interval contained in the ADVERTISEMENT; Recompute the
    // Master_Down_Interval; Reset the Master_Down_Timer to Master_Down_Interval".
    // RFC 3768 has no Master_Adver_Interval: v2 keeps its own interval (the per-instance checks
    // drop v2 adverts whose interval differs, as keepalived does).
    const interval = p.version === 3 ? e.advertIntervalMs : s.masterAdvertIntervalMs;
    if (interval !== s.masterAdvertIntervalMs) {
      log(
        c,
        'debug',
        `${tag(p)} advertisement interval updated from ${s.masterAdvertIntervalMs}ms to ${interval}ms by master`,
      );
    }
    let preemptDelayUntilMs = s.preemptDelayUntilMs;
    if (preemptDelayMs > 0) {
      if (!lower) {
        if (preemptDelayUntilMs !== undefined) log(c, 'debug', `${tag(p)} stop preempt delay`);
        preemptDelayUntilMs = undefined;
      } else if (preemptDelayUntilMs === undefined) {
        log(c, 'debug', `${tag(p)} start preempt delay (${(preemptDelayMs / 1000).toFixed(6)})`);
        preemptDelayUntilMs = now + preemptDelayMs;
      }
    }
    return {
      ...s,
      deadlineMs: now + masterDownIntervalMs(p.version, s.priority, interval),
      timer: 'master-down',
      masterAdvertIntervalMs: interval,
      masterAddress: e.srcAddress,
      masterPriority: e.priority,
      preemptDelayUntilMs,
    };
  }
  if (p.handoff === 'fast') {
    // keepvip fast hand-off, a deliberate deviation from RFC 5798 6.4.2 (405-410): a live master
    // advertising less than us (its priority fell, or a planned move lowered it) is handled like
    // priority 0, so we take over after Skew_Time instead of Master_Down_Interval. Never later
    // than an already armed deadline.
    const skew = skewTimeMs(p.version, s.priority, s.masterAdvertIntervalMs);
    log(
      c,
      'info',
      `${tag(p)} received ${tieHandoff ? 'fallen equal' : 'lower'} priority (${e.priority}) advert from ${e.srcAddress} - preempting in ${skew} ms`,
    );
    return {
      ...s,
      deadlineMs: Math.min(s.deadlineMs ?? Number.POSITIVE_INFINITY, now + skew),
      timer: 'master-down',
      masterAddress: e.srcAddress,
      // A tie hand-off keeps the pre-fall priority, so a repeated advert does not cancel it.
      masterPriority: tieHandoff ? s.masterPriority : e.priority,
    };
  }
  // RFC 5798 6.4.2 (405-410): "else // preempt was true or priority was less: Discard the
  // ADVERTISEMENT". The Master_Down_Timer keeps running, so we preempt when it fires.
  log(
    c,
    'info',
    `${tag(p)} received lower priority (${e.priority}) advert from ${e.srcAddress} - discarding`,
  );
  return { ...s, masterAddress: e.srcAddress, masterPriority: e.priority };
}

/** masterReceives is RFC 5798 6.4.3 (650-740) with keepalived's answers to lower priorities. */
function masterReceives(c: Ctx, s: VrrpState, e: AdvertEvent): VrrpState {
  const { p, now } = c;
  if (e.priority === 0) {
    // RFC 5798 6.4.3 (655-665): "If the Priority in the ADVERTISEMENT is zero, then: Send an
    // ADVERTISEMENT; Reset the Adver_Timer to Advertisement_Interval".
    log(c, 'debug', `${tag(p)} Master received priority 0 message`);
    c.out.push({ type: 'send-advert', priority: s.priority });
    return { ...s, deadlineMs: now + p.advertIntervalMs, timer: 'adver' };
  }
  const addrCmp = compareAddresses(e.srcAddress, p.localAddress);
  if (e.priority === s.priority && addrCmp === 0) {
    log(
      c,
      'warn',
      `${tag(p)} WARNING - equal priority advert received from remote host with our IP address.`,
    );
    return s;
  }
  // RFC 5798 6.4.3 (675-715): "If the Priority in the ADVERTISEMENT is greater than the local
  // Priority, or If the Priority in the ADVERTISEMENT is equal to the local Priority and the
  // primary IPvX Address of the sender is greater than the local primary IPvX Address, then:
  // Cancel Adver_Timer; Set Master_Adver_Interval to Adver Interval contained in the
  // ADVERTISEMENT; Recompute the Skew_Time; Recompute the Master_Down_Interval; Set
  // Master_Down_Timer to Master_Down_Interval; Transition to the {Backup} state".
  // (Two priority-255 owners fall through to the address tie-break; keepalived instead lowers
  // its own priority to 254 and logs a configuration error.)
  if (e.priority > s.priority || (e.priority === s.priority && addrCmp > 0)) {
    log(
      c,
      'info',
      e.priority > s.priority
        ? `${tag(p)} Master received advert from ${e.srcAddress} with higher priority ${e.priority}, ours ${s.priority}`
        : `${tag(p)} Master received advert from ${e.srcAddress} with same priority ${e.priority} but higher IP address than ours`,
    );
    const interval = p.version === 3 ? e.advertIntervalMs : p.advertIntervalMs;
    const next = becomeBackup(c, s, `higher priority advert from ${e.srcAddress}`, interval, {
      address: e.srcAddress,
      priority: e.priority,
    });
    c.out.push({ type: 'remove-vips', yieldedTo: e.srcAddress });
    return next;
  }
  // RFC 5798 6.4.3 (720-725) says discard; keepalived (without lower_prio_no_advert) answers at
  // once so the lower router, which believes it is master, hears us and steps down.
  log(
    c,
    'info',
    `${tag(p)} Received advert from ${e.srcAddress} with lower priority ${e.priority}, ours ${s.priority}, forcing new election`,
  );
  c.out.push({ type: 'send-advert', priority: s.priority });
  return s;
}

/** releasingReceives: a stopping master (fast mode) lets go of the VIPs once a new master speaks. */
function releasingReceives(c: Ctx, s: VrrpState, e: AdvertEvent): VrrpState {
  if (e.priority === 0) return s; // another router stopping is no new master
  return becomeStopped(c, s, `shutdown: new master ${e.srcAddress} heard`, e.srcAddress);
}

function onTimer(c: Ctx, s: VrrpState): VrrpState {
  const { p, now } = c;
  if (s.name === 'BACKUP' && s.timer === 'master-down') {
    // RFC 5798 6.4.2 (325-355): "If the Master_Down_Timer fires, then: Send an ADVERTISEMENT ...
    // Transition to the {Master} state".
    return becomeMaster(c, s, 'Master_Down_Timer expired');
  }
  if (s.name === 'MASTER' && s.timer === 'adver') {
    // RFC 5798 6.4.3 (630-640): "If the Adver_Timer fires, then: Send an ADVERTISEMENT; Reset the
    // Adver_Timer to Advertisement_Interval".
    c.out.push({ type: 'send-advert', priority: s.priority });
    return { ...s, deadlineMs: now + p.advertIntervalMs };
  }
  if (s.name === 'MASTER' && s.timer === 'release') {
    return becomeStopped(c, s, 'shutdown: no new master heard in time');
  }
  log(c, 'warn', `${tag(p)} BUG: timer ${s.timer} fired in state ${s.name} - disarmed`);
  return { ...s, deadlineMs: undefined, timer: undefined };
}

function onFault(c: Ctx, s: VrrpState): VrrpState {
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

function onFaultCleared(c: Ctx, s: VrrpState): VrrpState {
  if (s.name !== 'FAULT') return s;
  // keepalived try_up_instance / vrrp_state_leave_fault: an owner configured as MASTER goes
  // straight to MASTER (RFC 5798 6.4.1 again); anyone else re-enters BACKUP with
  // Master_Adver_Interval reset to its own interval and a full Master_Down_Interval.
  if (c.p.priority === OWNER_PRIORITY) return becomeMaster(c, s, 'fault cleared, address owner');
  return becomeBackup(c, s, 'fault cleared', c.p.advertIntervalMs);
}

function onPriority(c: Ctx, s: VrrpState, requested: number): VrrpState {
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
    return { ...next, masterPriority: priority, deadlineMs: now + p.advertIntervalMs };
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

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * preemption applies keepalived's configuration rules (vrrp_complete_instance): an address
 * owner cannot be nopreempt; `state MASTER` clears nopreempt and preempt_delay; preempt_delay
 * means nothing with nopreempt.
 */
function preemption(p: VrrpInstanceParams): { preempt: boolean; preemptDelayMs: number } {
  if (p.initialState === 'MASTER') return { preempt: true, preemptDelayMs: 0 };
  if (p.priority === OWNER_PRIORITY) return { preempt: true, preemptDelayMs: p.preemptDelayMs };
  if (!p.preempt) return { preempt: false, preemptDelayMs: 0 };
  return { preempt: true, preemptDelayMs: p.preemptDelayMs };
}

function tag(p: VrrpInstanceParams): string {
  return `(${p.name})`;
}

function log(c: Ctx, level: 'info' | 'debug' | 'warn', message: string): void {
  c.out.push({ type: 'log', level, message });
}

/**
 * compareAddresses orders two IP addresses numerically (RFC 5798 6.4.3 compares "primary IPvX
 * Address" values): negative if a < b, 0 if equal, positive if a > b. IPv4 and IPv6 text forms
 * are accepted (an IPv6 zone such as `%eth0` is ignored); addresses of different families or
 * that do not parse compare as their text, so the result is still a total order.
 */
export function compareAddresses(a: string, b: string): number {
  const strip = (t: string) => t.split('%')[0] ?? '';
  const ba = parseIpv4(strip(a)) ?? parseIpv6(strip(a));
  const bb = parseIpv4(strip(b)) ?? parseIpv6(strip(b));
  if (!ba || !bb || ba.length !== bb.length) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(ba, bb);
}
