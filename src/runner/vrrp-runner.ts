/**
 * VrrpRunner owns all VRRP I/O of the daemon and puts its parts together: the sockets
 * (sockets.ts) and the receive pipeline (receive.ts), link watching (carrier down puts the
 * interface's instances in FAULT), tracking and priorities (tracking.ts), sync groups
 * (sync-groups.ts), the primary-address watch (primary-address.ts), reload (reload.ts), VMACs
 * and promote_secondaries, and start-up / shutdown of every instance (InstanceDriver).
 */
import type { KeepvipConfig, VrrpInstance } from '../config/model.js';
import type { KernelPort } from '../kernel/port.js';
import type { NotifyState } from '../notify/notify-scripts.js';
import { Notifier } from '../notify/notifier.js';
import { effectivePriority } from '../track/priority.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { InstanceDriver, type TransitionRecord } from './instance.js';
import { removeLeftoverVips } from './leftover-vips.js';
import { waitForLocalAddress, watchPrimaryAddresses } from './primary-address.js';
import { ReceivePath } from './receive.js';
import { planReload, type ReloadPlan } from './reload.js';
import { VrrpSockets } from './sockets.js';
import { notifyStateOf, SyncGroups } from './sync-groups.js';
import { Tracking } from './tracking.js';

/** VrrpRunnerOptions wire a runner to its configuration and the kernel. */
export interface VrrpRunnerOptions {
  config: KeepvipConfig;
  kernel: KernelPort;
  clock: Clock;
  log: Logger;
  handoff?: 'fast' | 'rfc';
  onTransition?: (instance: string, t: TransitionRecord) => void;
  notifier?: Notifier;
}

/** VrrpRunner runs every vrrp_instance of a configuration. */
export class VrrpRunner {
  readonly drivers = new Map<string, InstanceDriver>();
  /** drops counts packets rejected before they could be given to an instance. */
  readonly drops: Record<string, number>;
  private readonly localAddresses = new Set<string>();
  private readonly receivePath: ReceivePath;
  private readonly sockets: VrrpSockets;
  private readonly syncGroups: SyncGroups;
  private linkWatch?: { close(): void };
  /** baseInterface is each instance's configured interface (its VMAC, if any, is the driver's). */
  private readonly baseInterface = new Map<string, string>();
  private addressWatch?: { stop(): void };
  private netlinkOff?: () => void;
  /** tracking runs each vrrp_script, track_file and vrrp_track_process some instance tracks, once, shared. */
  readonly tracking: Tracking;
  private config: KeepvipConfig;
  private readonly linkUp = new Map<string, boolean>();
  private readonly faults = new Map<string, Set<string>>();
  private readonly notifier: Notifier;
  /** promoted: interfaces whose promote_secondaries keepvip set, with the step that restores them at stop. */
  private readonly promoted = new Map<string, (() => Promise<void>) | undefined>();
  /** vmacs: the use_vmac interfaces keepvip created, by instance, with the step that deletes them. */
  private readonly vmacs = new Map<string, () => Promise<void>>();

  constructor(private readonly o: VrrpRunnerOptions) {
    this.config = o.config;
    this.tracking = new Tracking({
      clock: o.clock,
      log: o.log,
      onChange: () => this.retrack(),
      watchExit: o.kernel.watchExit ?? (() => undefined),
    });
    this.notifier =
      o.notifier ??
      new Notifier(o.config, o.log, {
        clock: o.clock,
        countersFor: (name) => this.drivers.get(name)?.counters,
      });
    this.syncGroups = new SyncGroups({
      drivers: this.drivers,
      groupTransition: (group, state, priority) => this.notifier.groupTransition(group, state, priority),
    });
    this.syncGroups.index(this.config);
    this.receivePath = new ReceivePath({
      clock: o.clock,
      log: o.log,
      localAddresses: this.localAddresses,
      advertWhileMaster: (inst, priority, src) => this.notifier.advertWhileMaster(inst, priority, src),
    });
    this.drops = this.receivePath.drops;
    this.sockets = new VrrpSockets({
      kernel: o.kernel,
      clock: o.clock,
      log: o.log,
      onPacket: (entry, p) => this.receivePath.onPacket(entry, p),
      onRepeated: (entry, batch, start, end) => this.receivePath.repeated(entry, batch, start, end),
      onAhPacket: (entry, d) => this.receivePath.onAhPacket(entry, d),
      ahPeak: (name) => this.receivePath.ahPeak(name),
      onHealthChange: () => this.retrack(),
    });
  }

  /** start removes VIPs left over by a crash, opens sockets and starts every instance. */
  async start(): Promise<void> {
    const { kernel, log } = this.o;
    for (const inst of this.config.vrrpInstances) {
      await removeLeftoverVips(kernel, log, inst);
      await this.addInstance(inst);
    }
    const trackers = this.tracking.sync(this.config);
    await this.refreshLinks();
    this.linkWatch = kernel.watchLinks(
      (link) => {
        // A deleted interface takes the sockets' binding and group memberships with it: a re-created
        // one has a new index, so they would stay deaf (ENODEV on send). Reopen them (fault suite).
        if (link.deleted) this.sockets.interfaceDeleted(link.name);
        if (!this.linkUp.has(link.name)) return;
        const up = link.up && link.carrier;
        if (this.linkUp.get(link.name) === up) return;
        this.linkUp.set(link.name, up);
        log.info(`Netlink reports ${link.name} ${up ? 'up' : 'down'}`);
        this.retrack();
      },
      () => {
        // ENOBUFS on the link watch: changes were lost. Re-read every tracked link.
        log.warn('link notifications lost (ENOBUFS): re-reading the links');
        void this.refreshLinks(true).then(() => this.retrack());
      },
    );
    // ENOBUFS on the request socket: replies were lost, so some VIP adds or removes may not have
    // happened. Every instance re-applies the address state its protocol state asks for.
    this.netlinkOff = kernel.onNetlinkError?.((error) => {
      log.warn(`netlink request socket: ${error.message}; re-applying the VIP state`);
      for (const driver of this.drivers.values()) driver.reassertVips();
    });
    for (const driver of this.drivers.values()) driver.start();
    this.retrack();
    for (const tracker of trackers) tracker.start();
    this.addressWatch = watchPrimaryAddresses({
      kernel,
      clock: this.o.clock,
      log,
      drivers: this.drivers,
      baseInterface: (name) => this.baseInterface.get(name),
      onChanged: (address) => this.localAddresses.add(address),
    });
  }

  /**
   * reload applies a new configuration without a flap: instances whose configuration did not
   * change keep their state, timers and VIPs; removed instances release their VIPs; changed ones
   * restart; added ones start (reload.ts decides which). Trackers of unchanged scripts keep
   * their counters.
   */
  async reload(next: KeepvipConfig): Promise<ReloadPlan> {
    const plan = planReload(this.config, next);
    const { kept, restarted, added, removed } = plan;
    for (const name of [...removed, ...restarted]) await this.removeInstance(name);
    this.config = next;
    this.syncGroups.index(next);
    this.notifier.reconfigure(next);
    const starting: InstanceDriver[] = [];
    for (const inst of next.vrrpInstances) {
      if (added.includes(inst.name) || restarted.includes(inst.name))
        starting.push(await this.addInstance(inst));
    }
    const fresh = this.tracking.sync(this.config);
    await this.refreshLinks();
    for (const d of starting) d.start();
    this.retrack();
    for (const t of fresh) t.start();
    this.o.log.info(
      `Reloaded: kept ${kept.join(' ') || '-'}; restarted ${restarted.join(' ') || '-'}; added ${added.join(' ') || '-'}; removed ${removed.join(' ') || '-'}`,
    );
    return plan;
  }

  private async addInstance(inst: VrrpInstance): Promise<InstanceDriver> {
    if (inst.promoteSecondaries && !this.promoted.has(inst.interface)) {
      const restore = await this.o.kernel.setPromoteSecondaries?.(inst.interface).catch((err: Error) => {
        this.o.log.error(
          `(${inst.name}) cannot set promote_secondaries on ${inst.interface}: ${err.message}`,
        );
      });
      this.promoted.set(inst.interface, restore ?? undefined);
    }
    const local = await waitForLocalAddress(this.o.kernel, this.o.clock, this.o.log, inst);
    this.localAddresses.add(local);
    this.baseInterface.set(inst.name, inst.interface);
    // use_vmac: VIPs and GARPs on the VMAC; adverts on it too unless vmac_xmit_base (kernel/vmac.ts).
    const onVmac = await this.vmacFor(inst);
    const g = this.config.globalDefs;
    const entry = await this.sockets.socketFor(
      inst.useVmac && !inst.vmacXmitBase ? onVmac.interface : inst.interface,
      inst.family,
      inst.family === 'inet' ? [g.vrrpMcastGroup4] : [g.vrrpMcastGroup6],
    );
    const driver = new InstanceDriver({
      instance: onVmac,
      globals: this.config.globalDefs,
      localAddress: local,
      io: this.sockets.ioFor(entry, inst),
      clock: this.o.clock,
      log: this.o.log,
      // Instance `handoff` over the runner option over global_defs `vrrp_handoff` (ARCHITECTURE.md).
      handoff: inst.handoff ?? this.o.handoff ?? this.config.globalDefs.vrrpHandoff ?? 'fast',
      onTransition: (t) => {
        // The AH anti-replay state starts afresh on every takeover (receive.ts, resetAhReplay).
        if (t.to === 'MASTER') this.receivePath.resetAhReplay(inst.name);
        this.notifyTransition(inst, t);
        this.syncGroups.follow(inst.name, t, this.drivers.get(inst.name)?.effectivePriority ?? inst.priority);
        this.o.onTransition?.(inst.name, t);
      },
    });
    entry.byVrid.set(inst.virtualRouterId, driver);
    this.drivers.set(inst.name, driver);
    return driver;
  }

  private async removeInstance(name: string): Promise<void> {
    const driver = this.drivers.get(name);
    if (!driver) return;
    await driver.stop();
    this.drivers.delete(name);
    this.faults.delete(name);
    await this.deleteVmac(name);
    this.sockets.release(driver);
  }

  /** refreshLinks reads the links not known yet, or every tracked one when `all` (after lost notifications). */
  private async refreshLinks(all = false): Promise<void> {
    const ifnames = new Set([
      ...this.config.vrrpInstances.flatMap((i) => [i.interface, ...i.trackInterfaces.map((t) => t.name)]),
      ...this.config.vrrpSyncGroups.flatMap((g) => g.trackInterfaces.map((t) => t.name)),
    ]);
    for (const name of ifnames) {
      if (!all && this.linkUp.has(name)) continue;
      const link = await this.o.kernel.getLink(name).catch(() => undefined);
      this.linkUp.set(name, !!link && link.up && link.carrier);
    }
  }

  /** currentConfig is the configuration in force (the last one reloaded). */
  get currentConfig(): KeepvipConfig {
    return this.config;
  }

  /** status is the document `keepvip status` shows. */
  status() {
    const interfaceUp = (name: string) => this.linkUp.get(name) ?? false;
    return {
      instances: this.config.vrrpInstances.map((inst) => {
        const d = this.drivers.get(inst.name);
        return {
          ...d?.snapshot(),
          interface: inst.interface,
          vrid: inst.virtualRouterId,
          version: inst.version,
          faults: [...(this.faults.get(inst.name) ?? [])],
          tracks: this.tracking.statusFor(inst, this.syncGroups.groupOf(inst.name), interfaceUp),
        };
      }),
      drops: this.drops,
    };
  }

  /** retrack recomputes every instance's effective priority and fault from tracking and carrier. */
  private retrack(): void {
    const view = { interfaceUp: (name: string) => this.linkUp.get(name) ?? false };
    const own = new Map<string, { priority: number; faults: Set<string> }>();
    for (const inst of this.config.vrrpInstances) {
      const verdict = effectivePriority(
        inst.priority,
        this.tracking.statesFor(inst, this.syncGroups.groupOf(inst.name), view.interfaceUp),
      );
      const faults = new Set<string>();
      if (!inst.dontTrackPrimary && !view.interfaceUp(inst.interface))
        faults.add(`interface ${inst.interface}`);
      for (const f of verdict.faultBy) faults.add(f);
      const socket = this.sockets.brokenFor(inst);
      if (socket) faults.add(`VRRP socket on ${socket.ifname}`);
      own.set(inst.name, { priority: verdict.priority, faults });
    }
    for (const inst of this.config.vrrpInstances) {
      const driver = this.drivers.get(inst.name);
      const mine = own.get(inst.name);
      if (!driver || !mine) continue;
      const faults = new Set(mine.faults);
      // keepalived: a sync group is in FAULT while any member is.
      for (const f of this.syncGroups.memberFaults(inst.name, (m) => (own.get(m)?.faults.size ?? 0) > 0))
        faults.add(f);
      const wasFaulty = (this.faults.get(inst.name)?.size ?? 0) > 0;
      this.faults.set(inst.name, faults);
      if (faults.size > 0 && !wasFaulty) driver.setFault(true);
      driver.setPriority(mine.priority);
      if (faults.size === 0 && wasFaulty) driver.setFault(false);
    }
  }

  private notifyTransition(inst: VrrpInstance, t: TransitionRecord): void {
    const state: NotifyState | undefined = notifyStateOf(t.to);
    if (!state) return;
    const driver = this.drivers.get(inst.name);
    this.notifier.instanceTransition(inst, state, driver?.effectivePriority ?? inst.priority);
  }

  /** stop stops every instance gracefully (priority 0, VIPs removed) and closes the sockets. */
  async stop(): Promise<void> {
    this.addressWatch?.stop();
    this.addressWatch = undefined;
    this.tracking.stop();
    await Promise.all([...this.drivers.values()].map((d) => d.stop()));
    await this.notifier.drain();
    this.linkWatch?.close();
    this.netlinkOff?.();
    this.sockets.closeAll();
    for (const name of [...this.vmacs.keys()]) await this.deleteVmac(name);
    // As keepalived (reset_promote_secondaries): put back promote_secondaries where we changed it.
    for (const [ifname, restore] of this.promoted)
      await restore?.().catch((err: Error) =>
        this.o.log.warn(`cannot reset promote_secondaries on ${ifname}: ${err.message}`),
      );
    this.promoted.clear();
    // As keepalived at stop: the no_accept nftables tables go.
    await this.o.kernel
      .nftCleanup?.()
      .catch((err: Error) => this.o.log.warn(`nftables cleanup: ${err.message}`));
  }

  /** vmacFor creates the instance's VMAC (use_vmac) and returns the instance as its driver sees it: on the VMAC. */
  private async vmacFor(inst: VrrpInstance): Promise<VrrpInstance> {
    if (!inst.useVmac) return inst;
    if (!this.o.kernel.addVmac) throw new Error(`(${inst.name}) use_vmac needs a kernel with VMAC support`);
    const spec = {
      name: inst.useVmac,
      base: inst.interface,
      vrid: inst.virtualRouterId,
      family: inst.family,
    };
    this.vmacs.set(inst.name, await this.o.kernel.addVmac(spec));
    const onVmac = { ...inst, interface: inst.useVmac };
    await removeLeftoverVips(this.o.kernel, this.o.log, onVmac);
    return onVmac;
  }

  /** deleteVmac deletes an instance's VMAC after its VIPs went (keepalived's netlink_link_del_vmac). */
  private async deleteVmac(name: string): Promise<void> {
    const remove = this.vmacs.get(name);
    this.vmacs.delete(name);
    await remove?.().catch((err: Error) =>
      this.o.log.warn(`(${name}) cannot delete its VMAC: ${err.message}`),
    );
  }
}
