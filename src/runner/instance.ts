/**
 * InstanceDriver runs one vrrp_instance: it feeds the pure state machine with events and the
 * monotonic time, arms the one timer the machine asks for, and carries out the effects (send an
 * advertisement, add or remove the VIPs, announce them with gratuitous ARP / unsolicited NA).
 * All kernel access goes through the injected InstanceIo, so the driver holds no socket itself.
 */
import type { GlobalDefs, VirtualIpAddress, VrrpInstance } from '../config/model.js';
import type { Logger } from '../util/logger.js';
import { IPPROTO_VRRP, type VrrpAdvert, VRRP_TTL } from '../vrrp/packet.js';
import type { InstanceForChecks } from '../vrrp/checks.js';
import { authDataFromPassword, encodeAdvert } from '../vrrp/codec.js';
import { encodeIpv4Datagram } from '../vrrp/ipv4.js';
import {
  initialState,
  step,
  type VrrpEffect,
  type VrrpEvent,
  type VrrpInstanceParams,
  type VrrpState,
  type VrrpStateName,
} from '../vrrp/state-machine.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { newInstanceCounters, type InstanceCounters } from '../util/counters.js';
import type { VipSpec } from '../kernel/port.js';
import type { RouteSpec, RuleSpec } from '../kernel/routes.js';

/** PRECISE_HANDOVER_MS: a coarse timer hands a Master_Down deadline to a precise one this early. */
const PRECISE_HANDOVER_MS = 5;

/** RELEASE_GRACE_MS: how long a master that yielded (fast hand-off) keeps its VIPs, while the new master's GARPs move the clients. */
export const RELEASE_GRACE_MS = 150;

/** VipSpec is defined by the kernel seam (kernel/port.ts). */
export type { VipSpec } from '../kernel/port.js';

/** InstanceIo is everything the driver asks of the kernel. */
export interface InstanceIo {
  /** send puts bytes on the wire: inet, a whole IPv4 datagram; inet6, the VRRP message. */
  send(data: Buffer, dstAddress: string, srcAddress: string): Promise<void>;
  addAddress(vip: VipSpec): Promise<void>;
  deleteAddress(vip: VipSpec): Promise<void>;
  /** announce sends one burst of gratuitous ARPs / unsolicited NAs for the addresses. */
  announce(ifname: string, vips: VipSpec[], repeat: number, intervalMs: number): Promise<void>;
  /** addRoute / deleteRoute / addRule / deleteRule carry virtual_routes and virtual_rules (with the VIPs). */
  addRoute?(route: RouteSpec): Promise<void>;
  deleteRoute?(route: RouteSpec): Promise<void>;
  addRule?(rule: RuleSpec): Promise<void>;
  deleteRule?(rule: RuleSpec): Promise<void>;
  /** blockVips / unblockVips: no_accept, traffic to the addresses is dropped while held (kernel/nftables.ts). */
  blockVips?(addresses: string[]): Promise<void>;
  unblockVips?(addresses: string[]): Promise<void>;
}

/** TransitionRecord is one state change, kept for `keepvip status`. */
export interface TransitionRecord {
  atMs: number;
  wallTime: string;
  from: VrrpStateName;
  to: VrrpStateName;
  reason: string;
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
  private timer?: TimerHandle;
  private garpTimers: TimerHandle[] = [];
  /** releaseTimer delays removing the VIPs after yielding to a new master (fast hand-off). */
  private releaseTimer?: TimerHandle;
  private vipChain: Promise<void> = Promise.resolve();
  private readonly vips: VipSpec[];
  /** excluded are virtual_ipaddress_excluded: added and removed with the VIPs, never advertised. */
  private readonly excluded: VipSpec[];
  private readonly routes: RouteSpec[];
  private readonly rules: RuleSpec[];
  private readonly destinations: string[];
  private sourceAddress: string;
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
      preempt: !inst.nopreempt,
      preemptDelayMs: inst.preemptDelayMs,
      localAddress: o.localAddress,
      family: inst.family,
      handoff: o.handoff,
      initialState: inst.initialState,
    };
    this.state = initialState(this.params);
    this.vips = inst.virtualIpAddresses.map((v) => toVipSpec(v, inst.interface));
    this.excluded = inst.virtualIpAddressesExcluded.map((v) => toVipSpec(v, inst.interface));
    // A unicast route with neither gateway nor device goes out of the instance's interface.
    this.routes = inst.virtualRoutes.map((r) =>
      r.type === 'unicast' && r.via === undefined && r.dev === undefined ? { ...r, dev: inst.interface } : r,
    );
    this.rules = inst.virtualRules;
    const group = inst.family === 'inet' ? o.globals.vrrpMcastGroup4 : o.globals.vrrpMcastGroup6;
    this.destinations = inst.unicastPeers.length > 0 ? inst.unicastPeers : [group];
    this.sourceAddress = inst.unicastSrcIp ?? inst.mcastSrcIp ?? o.localAddress;
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
    if (fixed === undefined) this.sourceAddress = address;
    return true;
  }

  /** stateName is the current protocol state. */
  get stateName(): VrrpStateName {
    return this.state.name;
  }

  /** effectivePriority is the priority after tracking. */
  get effectivePriority(): number {
    return this.state.priority;
  }

  /** snapshot is the read-only view `keepvip status` shows. */
  snapshot() {
    return {
      name: this.name,
      state: this.state.name,
      basePriority: this.params.priority,
      effectivePriority: this.state.priority,
      masterAddress: this.state.name === 'MASTER' ? this.sourceAddress : this.state.masterAddress,
      vips: this.vips.map((v) => `${v.address}/${v.prefixLength}`),
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
    const lowerWhileMaster =
      this.state.name === 'MASTER' && advert.priority > 0 && advert.priority < this.state.priority;
    this.dispatch({
      type: 'advert',
      priority: advert.priority,
      advertIntervalMs: advert.advertIntervalMs,
      srcAddress,
    });
    if (lowerWhileMaster && this.state.name === 'MASTER') this.lowerPriorityGarps();
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
      this.vipsHeld = false;
      void this.enqueueVips('add');
    } else if (this.vipsHeld && !this.releaseTimer) void this.enqueueVips('remove');
  }

  /** followGroup moves this member with its vrrp_sync_group (another member became or left MASTER). */
  followGroup(group: string, to: 'MASTER' | 'BACKUP'): void {
    this.dispatch({ type: to === 'MASTER' ? 'sync-master' : 'sync-backup', group });
  }

  /** stop leaves the protocol gracefully: priority 0 sent, VIPs released; resolves when done. */
  async stop(boundMs = 5000): Promise<void> {
    if (this.state.name !== 'STOPPED') {
      const done = new Promise<void>((resolve) => this.stoppedWaiters.push(resolve));
      this.dispatch({ type: 'shutdown' });
      if ((this.state.name as VrrpStateName) !== 'STOPPED') {
        // Clear the bound once done: a pending timer would keep the process alive for boundMs
        // after "Stopped Keepvip" (a 5 s exit delay seen in the interop tests).
        let bound: NodeJS.Timeout | undefined;
        await Promise.race([done, new Promise((r) => (bound = setTimeout(r, boundMs)))]);
        clearTimeout(bound);
      }
    }
    this.timer?.cancel();
    // A graceful stop that heard the new master holds the VIPs for RELEASE_GRACE_MS more, until
    // the new master's gratuitous ARPs have moved the clients (see remove-vips below).
    if (this.releaseTimer) await new Promise((r) => setTimeout(r, RELEASE_GRACE_MS));
    this.releaseTimer?.cancel();
    this.cancelGarps();
    // Whatever the machine did, a stopped daemon owns no VIP.
    if (this.vipsHeld) await this.enqueueVips('remove');
    await this.vipChain;
  }

  private vipsHeld = false;

  private dispatch(event: VrrpEvent): void {
    const now = this.o.clock.nowMs();
    const { state, effects } = step(this.params, this.state, event, now);
    this.state = state;
    for (const effect of effects) this.apply(effect, now);
    this.arm();
    if (this.state.name === 'STOPPED') {
      for (const w of this.stoppedWaiters.splice(0)) w();
    }
  }

  private arm(): void {
    const deadline = this.state.deadlineMs;
    const precise = this.state.timer === 'master-down';
    // A backup's Master_Down_Timer moves later with every advert it hears (2,550 a second at 255
    // instances): keep the armed timer and, when it fires before the newest deadline, re-arm
    // then, instead of cancelling and re-creating a timer per advert.
    if (
      this.timer &&
      deadline !== undefined &&
      this.armedMs !== undefined &&
      deadline >= this.armedMs &&
      precise === this.armedPrecise
    ) {
      this.wantedMs = deadline;
      return;
    }
    this.timer?.cancel();
    this.timer = undefined;
    if (deadline === undefined) return;
    this.armAt(deadline, precise);
  }

  private armedMs?: number;
  private armedPrecise = false;
  private wantedMs?: number;

  private armAt(deadline: number, precise: boolean): void {
    this.armedMs = deadline;
    this.wantedMs = deadline;
    this.armedPrecise = precise;
    const fire = () => {
      this.timer = undefined;
      this.dispatch({ type: 'timer' });
    };
    // A precise timer polls its last milliseconds: only for the deadline that really expires,
    // so a coarse timer wakes PRECISE_HANDOVER_MS early and hands over to a precise one then.
    const wakeMs = precise ? deadline - PRECISE_HANDOVER_MS : deadline;
    this.timer = this.o.clock.at(wakeMs, () => {
      this.timer = undefined;
      const wanted = this.wantedMs ?? deadline;
      if (wanted > deadline) this.armAt(wanted, precise);
      // The Master_Down_Timer decides when a backup takes over: fire it on time.
      else if (precise) this.timer = this.o.clock.at(wanted, fire, { precise: true });
      else fire();
    });
  }

  private apply(effect: VrrpEffect, nowMs: number): void {
    switch (effect.type) {
      case 'send-advert':
        this.sendAdvert(effect.priority);
        return;
      case 'add-vips':
        this.counters.becameMaster++;
        this.releaseTimer?.cancel();
        this.releaseTimer = undefined;
        void this.enqueueVips('add');
        return;
      case 'remove-vips': {
        this.counters.releasedMaster++;
        this.cancelGarps();
        if (effect.yieldedTo !== undefined && this.params.handoff === 'fast') {
          // keepvip fast hand-off: we yielded to a new master we just heard. Its gratuitous ARPs
          // follow its advert by a few ms; until they reach the clients, requests still come
          // here, so keep answering for RELEASE_GRACE_MS (the old master is silent, no conflict).
          this.releaseTimer?.cancel();
          this.releaseTimer = this.o.clock.at(nowMs + RELEASE_GRACE_MS, () => {
            this.releaseTimer = undefined;
            if (this.state.name !== 'MASTER') void this.enqueueVips('remove');
          });
          return;
        }
        void this.enqueueVips('remove');
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

  private sendAdvert(priority: number): void {
    const inst = this.o.instance;
    const advert: VrrpAdvert = {
      version: inst.version,
      vrid: inst.virtualRouterId,
      priority,
      advertIntervalMs: inst.advertIntervalMs,
      addresses: this.vips.map((v) => v.address),
      authType: inst.version === 2 && inst.authentication?.type === 'PASS' ? 1 : 0,
      authData:
        inst.version === 2 && inst.authentication?.type === 'PASS'
          ? authDataFromPassword(inst.authentication.password)
          : undefined,
    };
    this.counters.advertsSent++;
    if (priority === 0) this.counters.priorityZeroSent++;
    for (const dst of this.destinations) {
      const msg = encodeAdvert(advert, {
        family: inst.family,
        srcAddress: this.sourceAddress,
        dstAddress: dst,
        mcastGroup4: this.o.globals.vrrpMcastGroup4,
      });
      const data =
        inst.family === 'inet'
          ? encodeIpv4Datagram({
              srcAddress: this.sourceAddress,
              dstAddress: dst,
              ttl: VRRP_TTL,
              protocol: IPPROTO_VRRP,
              payload: msg,
              id: this.nextIpId(),
            })
          : msg;
      this.o.io.send(data, dst, this.sourceAddress).catch((err: Error) => {
        this.o.log.warn(`(${this.name}) failed to send advert to ${dst}: ${err.message}`);
      });
    }
  }

  private ipId = 0;

  /** nextIpId counts the IPv4 identification up per advert as keepalived does, skipping 0 (0 lets the kernel pick). */
  private nextIpId(): number {
    this.ipId = (this.ipId % 0xffff) + 1;
    return this.ipId;
  }

  private enqueueVips(op: 'add' | 'remove'): Promise<void> {
    this.vipChain = this.vipChain.then(async () => {
      if (op === 'add') {
        this.o.log.info(`(${this.name}) setting VIPs.`);
        this.vipsHeld = true;
        // keepalived (no_accept, vrrp_strict): the addresses join the nftables drop set before they exist.
        if (!this.o.instance.accept)
          await this.o.io.blockVips?.(this.allAddresses()).catch((err: Error) => {
            this.o.log.error(`(${this.name}) cannot install the no_accept rules: ${err.message}`);
          });
        for (const vip of [...this.vips, ...this.excluded]) {
          await this.o.io.addAddress(vip).catch((err: Error) => {
            this.o.log.error(`(${this.name}) cannot add VIP ${vip.address}: ${err.message}`);
          });
        }
        // The add is asynchronous: a fast MASTER -> BACKUP change may have come meanwhile, and
        // its remove-vips found no GARP timer to cancel yet. Announce only while still MASTER.
        if (this.state.name === 'MASTER') this.scheduleGarps();
        // keepalived adds virtual_routes, then virtual_rules, after the addresses they may use.
        for (const r of this.routes)
          await this.o.io.addRoute?.(r).catch((err: Error) => {
            this.o.log.error(
              `(${this.name}) cannot add route to ${r.dst}/${r.dstPrefixLength}: ${err.message}`,
            );
          });
        for (const r of this.rules)
          await this.o.io.addRule?.(r).catch((err: Error) => {
            this.o.log.error(`(${this.name}) cannot add rule: ${err.message}`);
          });
      } else {
        if (!this.vipsHeld) return;
        this.vipsHeld = false;
        this.o.log.info(`(${this.name}) removing VIPs.`);
        for (const r of this.rules)
          await this.o.io.deleteRule?.(r).catch((err: Error) => {
            this.o.log.error(`(${this.name}) cannot remove rule: ${err.message}`);
          });
        for (const r of this.routes)
          await this.o.io.deleteRoute?.(r).catch((err: Error) => {
            this.o.log.error(
              `(${this.name}) cannot remove route to ${r.dst}/${r.dstPrefixLength}: ${err.message}`,
            );
          });
        for (const vip of [...this.vips, ...this.excluded]) {
          await this.o.io.deleteAddress(vip).catch((err: Error) => {
            this.o.log.error(`(${this.name}) cannot remove VIP ${vip.address}: ${err.message}`);
          });
        }
        if (!this.o.instance.accept)
          await this.o.io.unblockVips?.(this.allAddresses()).catch((err: Error) => {
            this.o.log.error(`(${this.name}) cannot remove the no_accept rules: ${err.message}`);
          });
      }
    });
    return this.vipChain;
  }

  /** scheduleGarps sends keepalived's announcement pattern: a burst now, another after garp_master_delay, then refreshes. */
  private scheduleGarps(): void {
    const g = this.o.instance.garp;
    const burst = (repeat: number) => this.announceBurst(repeat);
    this.cancelGarps();
    burst(g.masterRepeat);
    const now = this.o.clock.nowMs();
    if (g.masterDelayMs > 0) {
      this.garpTimers.push(this.o.clock.at(now + g.masterDelayMs, () => burst(g.masterRepeat)));
    }
    if (g.masterRefreshMs > 0) {
      // One refresh timer at a time: the slot is re-armed, not appended (they used to pile up).
      const slot = this.garpTimers.length;
      const refresh = (at: number) => {
        this.garpTimers[slot] = this.o.clock.at(at, () => {
          burst(g.masterRefreshRepeat);
          refresh(at + g.masterRefreshMs);
        });
      };
      refresh(now + g.masterRefreshMs);
    }
  }

  /** allAddresses are the VIPs and excluded addresses, without prefix length. */
  private allAddresses(): string[] {
    return [...this.vips, ...this.excluded].map((v) => v.address);
  }

  /** announceBurst sends one burst of `repeat` gratuitous ARPs / unsolicited NAs for every held address, per device. */
  private announceBurst(repeat: number): void {
    const inst = this.o.instance;
    const byDev = new Map<string, VipSpec[]>();
    for (const v of [...this.vips, ...this.excluded]) byDev.set(v.dev, [...(byDev.get(v.dev) ?? []), v]);
    for (const [dev, vips] of byDev) {
      const what = inst.family === 'inet' ? 'gratuitous ARPs' : 'unsolicited neighbour advertisements';
      this.o.log.info(
        `(${this.name}) Sending/queueing ${what} on ${dev} for ${vips.map((v) => v.address).join(' ')}`,
      );
      this.o.io.announce(dev, vips, repeat, inst.garp.intervalMs).catch((err: Error) => {
        this.o.log.warn(`(${this.name}) announcing VIPs on ${dev} failed: ${err.message}`);
      });
    }
  }

  /**
   * lowerPriorityGarps is keepalived's answer to a lower-priority advert heard as MASTER
   * (vrrp_state_master_rx): besides the advert the state machine sends, garp_lower_prio_repeat
   * gratuitous ARPs at once and as many again after garp_lower_prio_delay, so hosts that followed
   * the other router's ARPs come back.
   */
  private lowerPriorityGarps(): void {
    const g = this.o.instance.garp;
    if (g.lowerPrioRepeat <= 0 || !this.vipsHeld) return;
    this.announceBurst(g.lowerPrioRepeat);
    if (g.lowerPrioDelayMs > 0) {
      const at = this.o.clock.nowMs() + g.lowerPrioDelayMs;
      this.garpTimers.push(
        this.o.clock.at(at, () => {
          if (this.state.name === 'MASTER') this.announceBurst(g.lowerPrioRepeat);
        }),
      );
    }
  }

  private cancelGarps(): void {
    for (const t of this.garpTimers.splice(0)) t.cancel();
  }
}

/** toVipSpec resolves a configured VIP's device against the instance interface. */
export function toVipSpec(v: VirtualIpAddress, ifname: string): VipSpec {
  return {
    address: v.address,
    family: v.family,
    prefixLength: v.prefixLength,
    dev: v.dev ?? ifname,
    brd: v.brd,
    scope: v.scope,
    label: v.label,
  };
}
