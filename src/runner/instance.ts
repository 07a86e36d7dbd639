/**
 * InstanceDriver runs one vrrp_instance: it feeds the pure state machine with events and the
 * monotonic time, arms the one timer the machine asks for, and carries out the effects through
 * its parts: AdvertSender (advert.ts) sends adverts, VipQueue (vip-queue.ts) adds and removes
 * the VIPs in order, GarpSchedule (garp-schedule.ts) announces them. All kernel access goes
 * through the injected InstanceIo (instance-io.ts), every timer through the injected clock.
 */
import type { GlobalDefs, VrrpInstance } from '../config/model.js';
import type { Logger } from '../util/logger.js';
import type { VrrpAdvert } from '../vrrp/packet.js';
import { advertPhaseMs } from '../vrrp/timers.js';
import type { InstanceForChecks } from '../vrrp/checks.js';
import {
  adverTimerRefresh,
  initialState,
  masterDownRefresh,
  step,
  type VrrpEffect,
  type VrrpEvent,
  type VrrpInstanceParams,
  type VrrpState,
  type VrrpStateName,
} from '../vrrp/state-machine.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { newInstanceCounters, type InstanceCounters } from '../util/counters.js';
import { AdvertSender } from './advert.js';
import { GarpSchedule } from './garp-schedule.js';
import type { InstanceIo } from './instance-io.js';
import { VipQueue } from './vip-queue.js';

/** PRECISE_HANDOVER_MS: a coarse timer hands a Master_Down deadline to a precise one this early. */
const PRECISE_HANDOVER_MS = 5;

/** RELEASE_GRACE_MS: how long a master that yielded (fast hand-off) keeps its VIPs, while the new master's GARPs move the clients. */
export const RELEASE_GRACE_MS = 150;

/** STOP_BOUND_MS: how long stop() waits by default for the state machine to reach STOPPED. */
export const STOP_BOUND_MS = 5000;

/** VipSpec is defined by the kernel seam (kernel/port.ts). */
export type { VipSpec } from '../kernel/port.js';
export type { InstanceIo } from './instance-io.js';
export { toVipSpec } from './vip-queue.js';

/** TransitionRecord is one state change, kept for `keepvip status`. */
export interface TransitionRecord {
  atMs: number;
  wallTime: string;
  from: VrrpStateName;
  to: VrrpStateName;
  reason: string;
}

/** takeoverWork is the queue of takeovers' work after their adverts (see dispatch). */
const takeoverWork: (() => void)[] = [];

/**
 * afterTakeovers runs fn after the current turn, one queued takeover's work per event-loop turn
 * (setImmediate): between two of them the loop runs due timers and reads the sockets. In a mass
 * failover of 255 instances the work of one slot's takeovers (VIPs, logs, notify, GARP) held the
 * next slot's Master_Down timers for milliseconds (bench/scale.ts, all at once: p99 17 ms).
 */
function afterTakeovers(fn: () => void): void {
  takeoverWork.push(fn);
  if (takeoverWork.length === 1) setImmediate(runTakeoverWork);
}

function runTakeoverWork(): void {
  const fn = takeoverWork.shift();
  if (takeoverWork.length > 0) setImmediate(runTakeoverWork);
  fn?.();
}

/** InstanceDriverOptions configure one driver. */
export interface InstanceDriverOptions {
  instance: VrrpInstance;
  globals: GlobalDefs;
  /** localAddress is our primary address on the interface, the source of adverts. */
  localAddress: string;
  io: InstanceIo;
  clock: Clock;
  log: Logger;
  handoff: 'fast' | 'rfc';
  /** onTransition lets the daemon hook notify scripts, sync groups and status. */
  onTransition?: (t: TransitionRecord) => void;
  /** onStep observes every step of the state machine before its effects are carried out (tests: invariants, effects). */
  onStep?: (step: DriverStep) => void;
}

/** DriverStep is one step of the state machine as the driver took it. */
export interface DriverStep {
  nowMs: number;
  event: VrrpEvent;
  state: VrrpState;
  effects: readonly VrrpEffect[];
}

/** InstanceDriver drives one VRRP instance. */
export class InstanceDriver {
  readonly name: string;
  readonly counters: InstanceCounters = newInstanceCounters();
  readonly transitions: TransitionRecord[] = [];
  params: VrrpInstanceParams;
  /** instance is the configuration this driver runs. */
  readonly instance: VrrpInstance;
  /** checks are the per-instance receive checks' inputs, computed once (the receive path is hot). */
  readonly checks: InstanceForChecks;
  private state: VrrpState;
  /**
   * refreshedMs is the Master_Down deadline the newest advert moved the timer to when
   * `masterDownRefresh` answered it without a step; `state` takes it before the next step or
   * read (`settledState`), so the steady backup's receive path allocates nothing.
   */
  private refreshedMs: number | undefined;
  /** releaseTimer delays removing the VIPs after yielding to a new master (fast hand-off). */
  private releaseTimer?: TimerHandle;
  private readonly vipQueue: VipQueue;
  private readonly garps: GarpSchedule;
  private readonly adverts: AdvertSender;
  private stoppedWaiters: (() => void)[] = [];

  constructor(private readonly o: InstanceDriverOptions) {
    this.instance = o.instance;
    this.checks = {
      vrid: o.instance.virtualRouterId,
      version: o.instance.version,
      advertIntervalMs: o.instance.advertIntervalMs,
      authentication: o.instance.authentication,
      addresses: o.instance.virtualIpAddresses.map((v) => v.address),
    };
    const inst = o.instance;
    this.name = inst.name;
    this.params = {
      name: inst.name,
      version: inst.version,
      priority: inst.priority,
      advertIntervalMs: inst.advertIntervalMs,
      advertPhaseMs: advertPhaseMs(inst.virtualRouterId, inst.advertIntervalMs),
      preempt: !inst.nopreempt,
      preemptDelayMs: inst.preemptDelayMs,
      localAddress: o.localAddress,
      family: inst.family,
      handoff: o.handoff,
      initialState: inst.initialState,
    };
    this.state = initialState(this.params);
    this.vipQueue = new VipQueue({
      instance: inst,
      io: o.io,
      log: o.log,
      // The add is asynchronous: a fast MASTER -> BACKUP change may have come meanwhile, and
      // its remove-vips found no GARP timer to cancel yet. Announce only while still MASTER.
      addressesAdded: () => {
        if (this.state.name === 'MASTER') this.garps.becameMaster();
      },
    });
    this.garps = new GarpSchedule({
      instance: inst,
      addresses: this.vipQueue.all,
      io: o.io,
      clock: o.clock,
      log: o.log,
    });
    this.adverts = new AdvertSender({
      instance: inst,
      globals: o.globals,
      addresses: this.vipQueue.vips.map((v) => v.address),
      localAddress: o.localAddress,
      io: o.io,
      counters: this.counters,
      log: o.log,
    });
  }

  /**
   * setPrimaryAddress follows a change of the interface's primary address: it is the advert
   * source (unless unicast_src_ip / mcast_src_ip fix it) and our side of the RFC 5798 6.4.3
   * tie-break. Returns whether anything changed.
   */
  setPrimaryAddress(address: string): boolean {
    if (this.params.localAddress === address) return false;
    this.params = { ...this.params, localAddress: address };
    const fixed =
      this.instance.unicastSrcIp ?? (this.instance.family === 'inet' ? this.instance.mcastSrcIp : undefined);
    if (fixed === undefined) this.adverts.sourceAddress = address;
    return true;
  }

  /** stateName is the current protocol state. */
  get stateName(): VrrpStateName {
    return this.state.name;
  }

  /** protocolState is the state machine's current state (read-only view for status and tests). */
  get protocolState(): Readonly<VrrpState> {
    return this.settledState();
  }

  private settledState(): VrrpState {
    if (this.refreshedMs !== undefined) {
      this.state = { ...this.state, deadlineMs: this.refreshedMs };
      this.refreshedMs = undefined;
    }
    return this.state;
  }

  /** effectivePriority is the priority after tracking. */
  get effectivePriority(): number {
    return this.state.priority;
  }

  /** garpTimersPending is the number of armed GARP timers (tests: they must not pile up or outlive MASTER). */
  get garpTimersPending(): number {
    return this.garps.pending;
  }

  /** snapshot is the read-only view `keepvip status` shows. */
  snapshot() {
    return {
      name: this.name,
      state: this.state.name,
      basePriority: this.params.priority,
      effectivePriority: this.state.priority,
      masterAddress: this.state.name === 'MASTER' ? this.adverts.sourceAddress : this.state.masterAddress,
      vips: this.vipQueue.vips.map((v) => `${v.address}/${v.prefixLength}`),
      counters: this.counters,
      transitions: this.transitions.slice(-20),
    };
  }

  /** start enters the protocol (RFC 5798 6.4.1 Initialize). */
  start(): void {
    this.dispatch({ type: 'startup' });
  }

  /** receive hands over a decoded, already checked advertisement for this instance. */
  receive(advert: VrrpAdvert, srcAddress: string): void {
    this.counters.advertsReceived++;
    if (advert.priority === 0) this.counters.priorityZeroReceived++;
    if (this.state.name === 'BACKUP' && this.refresh(advert, srcAddress)) return;
    const lowerWhileMaster =
      this.state.name === 'MASTER' && advert.priority > 0 && advert.priority < this.state.priority;
    this.dispatch({
      type: 'advert',
      priority: advert.priority,
      advertIntervalMs: advert.advertIntervalMs,
      srcAddress,
    });
    if (lowerWhileMaster && this.state.name === 'MASTER' && this.vipQueue.held)
      this.garps.heardLowerPriority(() => this.state.name === 'MASTER');
  }

  /**
   * refresh answers an advert that only resets the Master_Down_Timer (`masterDownRefresh`, the
   * state machine's own rule for it) without a step: no event, state or effect list is built.
   */
  private refresh(advert: VrrpAdvert, srcAddress: string): boolean {
    const now = this.o.clock.nowMs();
    const { priority, advertIntervalMs } = advert;
    const deadline = masterDownRefresh(this.params, this.state, priority, advertIntervalMs, srcAddress, now);
    if (deadline === undefined) return false;
    this.refreshedMs = deadline;
    this.armFor(deadline, true);
    if (this.o.onStep) {
      const event: VrrpEvent = { type: 'advert', priority, advertIntervalMs, srcAddress };
      this.o.onStep({ nowMs: now, event, state: this.settledState(), effects: [] });
    }
    return true;
  }

  /** setFault tells the instance its interface or a tracked object failed (true) or recovered. */
  setFault(faulty: boolean): void {
    this.dispatch({ type: faulty ? 'fault' : 'fault-cleared' });
  }

  /** setPriority applies a new effective priority computed from tracking. */
  setPriority(priority: number): void {
    if (priority !== this.state.priority) this.dispatch({ type: 'priority', priority });
  }

  /**
   * reassertVips re-applies the address state the protocol state asks for, after the kernel seam
   * lost netlink replies (ENOBUFS): a MASTER adds its VIPs again (EEXIST counts as done), any
   * other state removes them if it believes it holds them.
   */
  reassertVips(): void {
    if (this.state.name === 'MASTER') {
      this.vipQueue.held = false;
      void this.vipQueue.enqueue('add');
    } else if (this.vipQueue.held && !this.releaseTimer) void this.vipQueue.enqueue('remove');
  }

  /** followGroup moves this member with its vrrp_sync_group (another member became or left MASTER). */
  followGroup(group: string, to: 'MASTER' | 'BACKUP'): void {
    this.dispatch({ type: to === 'MASTER' ? 'sync-master' : 'sync-backup', group });
  }

  /** stop leaves the protocol gracefully: priority 0 sent, VIPs released; resolves when done (waits on the clock). */
  async stop(boundMs = STOP_BOUND_MS): Promise<void> {
    const { clock } = this.o;
    if (this.state.name !== 'STOPPED') {
      const done = new Promise<void>((resolve) => this.stoppedWaiters.push(resolve));
      this.dispatch({ type: 'shutdown' });
      if ((this.state.name as VrrpStateName) !== 'STOPPED') {
        // Cancel the bound once done: a pending timer would keep the process alive for boundMs
        // after "Stopped Keepvip" (a 5 s exit delay seen in the interop tests).
        let bound: TimerHandle | undefined;
        await Promise.race([
          done,
          new Promise<void>((r) => {
            bound = clock.at(clock.nowMs() + boundMs, r);
          }),
        ]);
        bound?.cancel();
      }
    }
    this.disarm();
    // A graceful stop that heard the new master holds the VIPs for RELEASE_GRACE_MS more, until
    // the new master's gratuitous ARPs have moved the clients (see remove-vips below).
    if (this.releaseTimer) await new Promise<void>((r) => clock.at(clock.nowMs() + RELEASE_GRACE_MS, r));
    this.releaseTimer?.cancel();
    this.garps.cancel();
    // Whatever the machine did, a stopped daemon owns no VIP.
    if (this.vipQueue.held) await this.vipQueue.enqueue('remove');
    await this.vipQueue.idle();
  }

  /**
   * handle feeds one event to the state machine at the clock's time, carries out its effects
   * and arms its timer. start, receive, setFault, setPriority and followGroup are its named
   * forms; the runner uses those, tests may inject any event (a stray timer, a bare shutdown).
   */
  handle(event: VrrpEvent): void {
    this.dispatch(event);
  }

  private dispatch(event: VrrpEvent): void {
    this.applyDeferred();
    const now = this.o.clock.nowMs();
    const { state, effects } = step(this.params, this.settledState(), event, now);
    this.state = state;
    this.o.onStep?.({ nowMs: now, event, state, effects });
    const transition = effects.some((e) => e.type === 'transition');
    if (event.type === 'timer' && transition && state.name === 'MASTER') {
      // A Master_Down_Timer takeover: the takeovers due in one turn (a mass failover; instances
      // share advert slots) send their adverts first, in one batch, and each instance's VIP, log,
      // notify and netlink work follows, one instance per event-loop turn (afterTakeovers), so
      // the next slot's timers are not held up behind all of it.
      for (const effect of effects) {
        if (effect.type === 'send-advert') this.apply(effect, now, false);
        else this.deferred.push(effect);
      }
      this.deferredAtMs = now;
      afterTakeovers(this.applyDeferred);
    } else {
      // Only the periodic advert may wait for the turn's batch: a priority change's or a stop's
      // advert leaves before the VIP, log, notify and netlink work that follows it.
      const urgent = event.type !== 'timer' || transition;
      for (const effect of effects) this.apply(effect, now, urgent);
    }
    this.arm();
    if (this.state.name === 'STOPPED') {
      for (const w of this.stoppedWaiters.splice(0)) w();
    }
  }

  /** deferred are a takeover's effects after its advert, applied in order before anything else. */
  private readonly deferred: VrrpEffect[] = [];
  private deferredAtMs = 0;

  private readonly applyDeferred = (): void => {
    if (this.deferred.length === 0) return;
    this.adverts.flush(); // every takeover advert of the turn, in one batch, before any VIP
    const effects = this.deferred.splice(0);
    for (const effect of effects) this.apply(effect, this.deferredAtMs, true);
  };

  private arm(): void {
    this.armFor(this.state.deadlineMs, this.state.timer === 'master-down');
  }

  private armFor(deadline: number | undefined, precise: boolean): void {
    // A backup's Master_Down_Timer moves later with every advert it hears (2,550 a second at 255
    // instances): keep the armed timer and, when it wakes before the newest deadline, re-arm
    // then, instead of cancelling and re-creating a timer per advert.
    if (this.armed && deadline !== undefined && deadline >= this.armedMs && precise === this.armedPrecise) {
      this.wantedMs = deadline;
      return;
    }
    this.disarm();
    if (deadline !== undefined) this.armAt(deadline, precise);
  }

  /** armed: a wake or fire timer is pending for armedMs; wantedMs is the newest deadline (>= armedMs). */
  private armed = false;
  /** armSeq counts armAt calls: a drain before a takeover tells by it whether an advert re-armed. */
  private armSeq = 0;
  private armedMs = 0;
  private armedPrecise = false;
  private wantedMs = 0;
  /** wakeTimer calls onWake, fireTimer (precise) onFire: each made once, then re-armed in place. */
  private wakeTimer?: TimerHandle;
  private fireTimer?: TimerHandle;

  private disarm(): void {
    this.armed = false;
    this.wakeTimer?.cancel();
    this.fireTimer?.cancel();
  }

  private armAt(deadline: number, precise: boolean): void {
    this.armSeq++;
    this.armed = true;
    this.armedMs = deadline;
    this.wantedMs = deadline;
    this.armedPrecise = precise;
    // A precise timer polls its last milliseconds: only for the deadline that really expires,
    // so a coarse timer wakes PRECISE_HANDOVER_MS early and hands over to a precise one then.
    const wakeMs = precise ? deadline - PRECISE_HANDOVER_MS : deadline;
    this.wakeTimer = rearmOrAt(this.o.clock, this.wakeTimer, wakeMs, this.onWake, false);
  }

  private readonly onWake = (): void => {
    if (this.wantedMs > this.armedMs) this.armAt(this.wantedMs, this.armedPrecise);
    // The Master_Down_Timer decides when a backup takes over: fire it on time.
    else if (this.armedPrecise)
      this.fireTimer = rearmOrAt(this.o.clock, this.fireTimer, this.wantedMs, this.onFire, true);
    else this.onFire();
  };

  private readonly onFire = (): void => {
    // Before a takeover, read what waits on the socket: after a busy turn (a reload's parse, a
    // burst of work) the timer can fire before the adverts that arrived in time were read. One
    // of them may have re-armed or disarmed the timer (a priority-0 advert, a better master).
    if (this.armedPrecise && this.o.io.drain) {
      const armed = this.armSeq;
      this.o.io.drain();
      if (!this.armed || this.armSeq !== armed) return;
    }
    // An advert heard during the precise phase (or just drained) moved the deadline: wait for it.
    if (this.wantedMs > this.armedMs) {
      this.armAt(this.wantedMs, this.armedPrecise);
      return;
    }
    this.armed = false;
    if (!this.advertise()) this.dispatch({ type: 'timer' });
  };

  /**
   * advertise answers a master's Adver_Timer without a step (`adverTimerRefresh`, the state
   * machine's own rule): the periodic advert waits for the turn's batch, the timer moves on.
   */
  private advertise(): boolean {
    const now = this.o.clock.nowMs();
    const deadline = adverTimerRefresh(this.params, this.state, now);
    if (deadline === undefined) return false;
    this.refreshedMs = deadline;
    this.adverts.send(this.state.priority);
    this.armFor(deadline, false);
    if (this.o.onStep) {
      const effects: VrrpEffect[] = [{ type: 'send-advert', priority: this.state.priority }];
      this.o.onStep({ nowMs: now, event: { type: 'timer' }, state: this.settledState(), effects });
    }
    return true;
  }

  /** apply carries out one effect; `urgent` flushes an advert at once (see dispatch). */
  private apply(effect: VrrpEffect, nowMs: number, urgent: boolean): void {
    switch (effect.type) {
      case 'send-advert':
        this.adverts.send(effect.priority);
        if (urgent) this.adverts.flush();
        return;
      case 'add-vips':
        this.counters.becameMaster++;
        this.releaseTimer?.cancel();
        this.releaseTimer = undefined;
        void this.vipQueue.enqueue('add');
        return;
      case 'remove-vips': {
        this.counters.releasedMaster++;
        this.garps.cancel();
        if (effect.yieldedTo !== undefined && this.params.handoff === 'fast') {
          // keepvip fast hand-off: we yielded to a new master we just heard. Its gratuitous ARPs
          // follow its advert by a few ms; until they reach the clients, requests still come
          // here, so keep answering for RELEASE_GRACE_MS (the old master is silent, no conflict).
          this.releaseTimer?.cancel();
          this.releaseTimer = this.o.clock.at(nowMs + RELEASE_GRACE_MS, () => {
            this.releaseTimer = undefined;
            if (this.state.name !== 'MASTER') void this.vipQueue.enqueue('remove');
          });
          return;
        }
        void this.vipQueue.enqueue('remove');
        return;
      }
      case 'transition': {
        const record: TransitionRecord = {
          atMs: nowMs,
          wallTime: new Date().toISOString(),
          from: effect.from,
          to: effect.to,
          reason: effect.reason,
        };
        this.transitions.push(record);
        if (this.transitions.length > 100) this.transitions.shift();
        this.o.onTransition?.(record);
        return;
      }
      case 'log':
        this.o.log[effect.level](effect.message);
        return;
    }
  }
}

/** rearmOrAt arms fn at atMs on the handle made for it before (no allocation), or on a new one. */
function rearmOrAt(
  clock: Clock,
  handle: TimerHandle | undefined,
  atMs: number,
  fn: () => void,
  precise: boolean,
): TimerHandle {
  if (!handle) return clock.at(atMs, fn, precise ? { precise } : undefined);
  handle.rearm(atMs);
  return handle;
}
