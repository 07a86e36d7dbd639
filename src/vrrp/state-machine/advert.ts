/**
 * The `advert` event: RFC 5798 6.4.2 (Backup) and 6.4.3 (Master) receiving an advertisement, with
 * keepalived's preempt_delay and answers to lower priorities and keepvip's fast hand-off.
 */
import { masterDownIntervalMs, nextAdvertMs, OWNER_PRIORITY, skewTimeMs } from '../timers.js';
import { compareAddresses, log, preemptDelayOf, preempts, preemption, tag } from './helpers.js';
import { becomeBackup, becomeStopped } from './transitions.js';
import type { AdvertEvent, Ctx, VrrpInstanceParams, VrrpState } from './types.js';

export function onAdvert(c: Ctx, s: VrrpState, e: AdvertEvent): VrrpState {
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

/**
 * masterDownRefresh is the common case of RFC 5798 6.4.2 (385-400) answered without a new state:
 * a backup hears its master again with the same priority and interval, no preempt delay starts
 * or stops and nothing is logged, so the advert only resets the Master_Down_Timer. It returns that
 * deadline, or undefined when the advert needs the whole `step`. A backup's receive path calls it
 * for every advert (2,550 a second at 255 instances at 0.1 s; runner/instance.ts) and
 * `backupReceives` answers this case through it, so the two cannot differ.
 */
export function masterDownRefresh(
  p: VrrpInstanceParams,
  s: VrrpState,
  priority: number,
  advertIntervalMs: number,
  srcAddress: string,
  nowMs: number,
): number | undefined {
  if (s.name !== 'BACKUP' || s.timer !== 'master-down') return undefined;
  if (priority !== s.masterPriority || srcAddress !== s.masterAddress) return undefined;
  if (!Number.isInteger(priority) || priority < 1 || priority > OWNER_PRIORITY) return undefined;
  if (!(advertIntervalMs > 0) || (p.version === 3 && advertIntervalMs !== s.masterAdvertIntervalMs))
    return undefined;
  // The same master and priority: never a tie hand-off (that needs a fall), so lower is plain.
  const lower = priority < s.priority;
  if (preemptDelayOf(p) > 0) {
    // Unchanged only while no delay runs for a better master, or one runs for a lower one.
    const until = s.preemptDelayUntilMs;
    if (lower ? until === undefined || until <= nowMs : until !== undefined) return undefined;
  } else if (lower && preempts(p)) return undefined; // fast hand-off or discard: the whole step
  return nowMs + masterDownIntervalMs(p.version, s.priority, s.masterAdvertIntervalMs);
}

/** backupReceives is RFC 5798 6.4.2 (365-410) plus keepalived's preempt_delay and keepvip's fast hand-off. */
function backupReceives(c: Ctx, s: VrrpState, e: AdvertEvent): VrrpState {
  const { p, now } = c;
  const refreshed = masterDownRefresh(p, s, e.priority, e.advertIntervalMs, e.srcAddress, now);
  if (refreshed !== undefined) return { ...s, deadlineMs: refreshed };
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
    return { ...s, deadlineMs: nextAdvertMs(now, p.advertIntervalMs, p.advertPhaseMs), timer: 'adver' };
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
