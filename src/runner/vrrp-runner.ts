/**
 * VrrpRunner owns all VRRP I/O of the daemon: one raw socket per interface and family shared by
 * the instances on it, the receive path (decode, check, hand to the instance by VRID, count
 * drops by reason), link watching (carrier down puts the interface's instances in FAULT), and
 * start-up / shutdown of every instance.
 */
import type { KeepvipConfig, VrrpInstance, VrrpSyncGroup } from '../config/model.js';
import type { Logger } from '../util/logger.js';
import { AH_LENGTH, ahKey, decodeAhDatagram, encodeAhDatagram } from '../vrrp/ah.js';
import { internetChecksum } from '../vrrp/checksum.js';
import { decodeAdvert } from '../vrrp/codec.js';
import { checkAdvertForInstance } from '../vrrp/checks.js';
import { decodeIpv4Datagram, encodeIpv4Datagram, IPV4_HEADER_LENGTH } from '../vrrp/ipv4.js';
import { IPPROTO_VRRP, type ReceivedDatagram, VRRP_TTL, VrrpAuthTypes } from '../vrrp/packet.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { countDrop } from '../util/counters.js';
import { InstanceDriver, type InstanceIo, type TransitionRecord, toVipSpec } from './instance.js';
import type { KernelPort, PacketSocket, ReceivedPacket } from '../kernel/port.js';
import { effectivePriority } from '../track/priority.js';
import { Tracking } from './tracking.js';
import type { NotifyState } from '../notify/notify-scripts.js';
import { Notifier } from '../notify/notifier.js';

/** stableJson serialises without source positions, so equal settings compare equal across files and lines. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (key, v) => (key === 'pos' ? undefined : v));
}

/** ADDRESS_WAIT_MS bounds the wait for an interface's source address at start-up. */
const ADDRESS_WAIT_MS = 10_000;
/** PRIMARY_ADDRESS_POLL_MS is how often the interfaces' primary addresses are re-read (watchPrimaryAddresses). */
const PRIMARY_ADDRESS_POLL_MS = 1000;

/** notifyStateOf maps a protocol state to the state word notify scripts get. */
function notifyStateOf(state: string): NotifyState | undefined {
  if (state === 'MASTER' || state === 'BACKUP' || state === 'FAULT') return state;
  return state === 'STOPPED' ? 'STOP' : undefined;
}

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

interface SocketEntry {
  socket: PacketSocket;
  ifname: string;
  family: 'inet' | 'inet6';
  byVrid: Map<number, InstanceDriver>;
  /** ah is the interface's IPsec AH socket (IP protocol 51), open while an instance uses auth_type AH. */
  ah?: PacketSocket;
  /** broken is set while the socket failed and is being reopened: its instances are in FAULT. */
  broken?: boolean;
  /** retryMs is the next reopen back-off (SOCKET_RETRY_MIN_MS doubling to SOCKET_RETRY_MAX_MS). */
  retryMs?: number;
  /** fail treats the socket as dead (FAULT, reopened with back-off), e.g. when its interface was deleted. */
  fail?: (err: Error) => void;
}

/** SOCKET_RETRY_MIN_MS / SOCKET_RETRY_MAX_MS bound the back-off of reopening a failed VRRP socket. */
const SOCKET_RETRY_MIN_MS = 250;
const SOCKET_RETRY_MAX_MS = 10_000;

/** VrrpRunner runs every vrrp_instance of a configuration. */
export class VrrpRunner {
  readonly drivers = new Map<string, InstanceDriver>();
  /** drops counts packets rejected before they could be given to an instance. */
  readonly drops: Record<string, number> = {};
  private readonly sockets = new Map<string, SocketEntry>();
  private readonly localAddresses = new Set<string>();
  private linkWatch?: { close(): void };
  /** baseInterface is each instance's configured interface (its VMAC, if any, is the driver's). */
  private readonly baseInterface = new Map<string, string>();
  private addressTimer?: TimerHandle;
  private netlinkOff?: () => void;
  private readonly lastDropLogMs = new Map<string, number>();
  /** tracking runs each vrrp_script, track_file and vrrp_track_process some instance tracks, once, shared. */
  readonly tracking: Tracking;
  private config: KeepvipConfig;
  private readonly linkUp = new Map<string, boolean>();
  private readonly faults = new Map<string, Set<string>>();
  private readonly notifier: Notifier;
  /** groupOf maps an instance name to its vrrp_sync_group. */
  private readonly groupOf = new Map<string, VrrpSyncGroup>();
  private syncing = false;
  private readonly groupState = new Map<string, NotifyState>();
  /** promoted: interfaces whose promote_secondaries keepvip set, with the step that restores them at stop. */
  private readonly promoted = new Map<string, (() => Promise<void>) | undefined>();
  /** vmacs: the use_vmac interfaces keepvip created, by instance, with the step that deletes them. */
  private readonly vmacs = new Map<string, () => Promise<void>>();
  /** ahSeq: the last AH sequence number heard per auth_type AH instance and sender (anti-replay). */
  private readonly ahSeq = new Map<string, Map<string, number>>();
  /** ahPeak: the highest AH sequence number heard per instance; ours is sent above it. */
  private readonly ahPeak = new Map<string, number>();

  constructor(private readonly o: VrrpRunnerOptions) {
    this.config = o.config;
    this.tracking = new Tracking({
      clock: o.clock,
      log: o.log,
      onChange: () => this.retrack(),
      watchExit: o.kernel.watchExit ?? (() => undefined),
    });
    this.indexConfig();
    this.notifier =
      o.notifier ??
      new Notifier(o.config, o.log, {
        clock: o.clock,
        countersFor: (name) => this.drivers.get(name)?.counters,
      });
  }

  private indexConfig(): void {
    this.groupOf.clear();
    for (const g of this.config.vrrpSyncGroups) for (const m of g.members) this.groupOf.set(m, g);
  }

  /** start removes VIPs left over by a crash, opens sockets and starts every instance. */
  async start(): Promise<void> {
    const { kernel, log } = this.o;
    for (const inst of this.config.vrrpInstances) {
      await this.removeLeftoverVips(inst);
      await this.addInstance(inst);
    }
    const trackers = this.tracking.sync(this.config);
    await this.refreshLinks();
    this.linkWatch = kernel.watchLinks(
      (link) => {
        // A deleted interface takes the sockets' binding and group memberships with it: a re-created
        // one has a new index, so they would stay deaf (ENODEV on send). Reopen them (fault suite).
        if (link.deleted)
          for (const e of this.sockets.values())
            if (e.ifname === link.name && !e.broken) e.fail?.(new Error(`interface ${link.name} deleted`));
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
    this.watchPrimaryAddresses();
  }

  /** isVip tells whether an address is a virtual (or excluded) address of one of our instances. */
  private isVip(address: string): boolean {
    for (const driver of this.drivers.values()) {
      const inst = driver.instance;
      if (inst.virtualIpAddresses.some((v) => v.address === address)) return true;
      if (inst.virtualIpAddressesExcluded.some((v) => v.address === address)) return true;
    }
    return false;
  }

  /**
   * watchPrimaryAddresses re-reads each interface's primary address every second: when the
   * operator changes it, adverts must leave from the new one (the peer names the master by it,
   * and the old one may now belong to someone else). keepalived follows RTM_NEWADDR/DELADDR;
   * one RTM_GETADDR dump per interface and family a second costs as little here.
   */
  private watchPrimaryAddresses(): void {
    const tick = async () => {
      const seen = new Map<string, Promise<string | undefined>>();
      for (const driver of this.drivers.values()) {
        const inst = driver.instance;
        if (inst.unicastSrcIp || (inst.family === 'inet' && inst.mcastSrcIp)) continue;
        const ifname = this.baseInterface.get(inst.name) ?? inst.interface;
        const key = `${ifname}/${inst.family}`;
        if (!seen.has(key))
          seen.set(
            key,
            this.o.kernel.getPrimaryAddress(ifname, inst.family).catch(() => undefined),
          );
        const addr = await seen.get(key);
        const before = driver.params.localAddress;
        // A VIP is never our primary address (after the node's own address was re-added, the
        // kernel may list a VIP first).
        // Unchanged (the usual case) costs one comparison; only a change is checked against the VIPs.
        if (addr === undefined || addr === before || this.isVip(addr)) continue;
        if (driver.setPrimaryAddress(addr)) {
          this.localAddresses.add(addr);
          this.o.log.info(`(${inst.name}) primary address of ${ifname} changed from ${before} to ${addr}`);
        }
      }
    };
    const arm = () => {
      this.addressTimer = this.o.clock.at(this.o.clock.nowMs() + PRIMARY_ADDRESS_POLL_MS, () => {
        void tick().finally(() => {
          if (this.addressTimer) arm();
        });
      });
    };
    arm();
  }

  /**
   * reload applies a new configuration without a flap: instances whose configuration did not
   * change keep their state, timers and VIPs; removed instances release their VIPs; changed ones
   * restart; added ones start. Trackers of unchanged scripts keep their counters.
   */
  async reload(
    next: KeepvipConfig,
  ): Promise<{ kept: string[]; restarted: string[]; added: string[]; removed: string[] }> {
    const before = new Map(this.config.vrrpInstances.map((i) => [i.name, this.fingerprint(i, this.config)]));
    const after = new Map(next.vrrpInstances.map((i) => [i.name, this.fingerprint(i, next)]));
    const kept: string[] = [];
    const restarted: string[] = [];
    const added: string[] = [];
    const removed: string[] = [];
    for (const [name, fp] of before) {
      const nfp = after.get(name);
      if (nfp === undefined) removed.push(name);
      else if (nfp === fp) kept.push(name);
      else restarted.push(name);
    }
    for (const name of after.keys()) if (!before.has(name)) added.push(name);
    for (const name of [...removed, ...restarted]) await this.removeInstance(name);
    this.config = next;
    this.indexConfig();
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
    return { kept, restarted, added, removed };
  }

  /** fingerprint is what must be equal for an instance to keep running across a reload. */
  private fingerprint(inst: VrrpInstance, config: KeepvipConfig): string {
    const scripts = inst.trackScripts.map((r) => config.vrrpScripts.find((s) => s.name === r.name));
    const group = config.vrrpSyncGroups.find((g) => g.members.includes(inst.name));
    const g = config.globalDefs;
    return stableJson({ inst, scripts, group, mcast: [g.vrrpMcastGroup4, g.vrrpMcastGroup6] });
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
    const local = await this.localAddressFor(inst);
    this.localAddresses.add(local);
    this.baseInterface.set(inst.name, inst.interface);
    // use_vmac: VIPs and GARPs on the VMAC; adverts on it too unless vmac_xmit_base (kernel/vmac.ts).
    const onVmac = await this.vmacFor(inst);
    const entry = await this.socketFor(
      inst.useVmac && !inst.vmacXmitBase ? onVmac.interface : inst.interface,
      inst.family,
    );
    const driver = new InstanceDriver({
      instance: onVmac,
      globals: this.config.globalDefs,
      localAddress: local,
      io: await this.ahIo(entry, inst, this.ioFor(entry)),
      clock: this.o.clock,
      log: this.o.log,
      // Instance `handoff` over the runner option over global_defs `vrrp_handoff` (ARCHITECTURE.md).
      handoff: inst.handoff ?? this.o.handoff ?? this.config.globalDefs.vrrpHandoff ?? 'fast',
      onTransition: (t) => {
        // The AH anti-replay state starts afresh on every takeover (keepalived resets it there only
        // after its counter cycled): a restarted peer, counting from 0 again, is heard once we are
        // MASTER instead of never.
        if (t.to === 'MASTER') this.ahSeq.delete(inst.name);
        this.notifyTransition(inst, t);
        this.syncGroupFollow(inst, t);
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
    for (const [key, entry] of this.sockets) {
      for (const [vrid, d] of entry.byVrid) if (d === driver) entry.byVrid.delete(vrid);
      // A socket no instance uses any more (its group changed, its instances went) is closed.
      if (entry.byVrid.size === 0) {
        entry.socket.close();
        entry.ah?.close();
        this.sockets.delete(key);
      }
    }
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
          tracks: this.tracking.statusFor(inst, this.groupOf.get(inst.name), interfaceUp),
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
        this.tracking.statesFor(inst, this.groupOf.get(inst.name), view.interfaceUp),
      );
      const faults = new Set<string>();
      if (!inst.dontTrackPrimary && !view.interfaceUp(inst.interface))
        faults.add(`interface ${inst.interface}`);
      for (const f of verdict.faultBy) faults.add(f);
      const socket = [...this.sockets.values()].find(
        (e) => e.broken && e.byVrid.get(inst.virtualRouterId)?.name === inst.name,
      );
      if (socket) faults.add(`VRRP socket on ${socket.ifname}`);
      own.set(inst.name, { priority: verdict.priority, faults });
    }
    for (const inst of this.config.vrrpInstances) {
      const driver = this.drivers.get(inst.name);
      const mine = own.get(inst.name);
      if (!driver || !mine) continue;
      const faults = new Set(mine.faults);
      // keepalived: a sync group is in FAULT while any member is.
      const group = this.groupOf.get(inst.name);
      for (const m of group?.members ?? []) {
        if (m !== inst.name && (own.get(m)?.faults.size ?? 0) > 0)
          faults.add(`sync group ${group!.name} member ${m}`);
      }
      const wasFaulty = (this.faults.get(inst.name)?.size ?? 0) > 0;
      this.faults.set(inst.name, faults);
      if (faults.size > 0 && !wasFaulty) driver.setFault(true);
      driver.setPriority(mine.priority);
      if (faults.size === 0 && wasFaulty) driver.setFault(false);
    }
  }

  /** syncGroupFollow moves the other members of a vrrp_sync_group with one that became or left MASTER. */
  private syncGroupFollow(inst: VrrpInstance, t: TransitionRecord): void {
    const group = this.groupOf.get(inst.name);
    if (!group) return;
    // The group's own notify scripts run once per group state change, not once per member.
    const groupState = notifyStateOf(t.to);
    if (groupState && this.groupState.get(group.name) !== groupState) {
      this.groupState.set(group.name, groupState);
      this.notifier.groupTransition(
        group,
        groupState,
        this.drivers.get(inst.name)?.effectivePriority ?? inst.priority,
      );
    }
    if (this.syncing) return;
    const to = t.to === 'MASTER' ? 'MASTER' : t.from === 'MASTER' && t.to === 'BACKUP' ? 'BACKUP' : undefined;
    if (!to) return;
    this.syncing = true;
    try {
      for (const m of group.members) {
        if (m !== inst.name) this.drivers.get(m)?.followGroup(group.name, to);
      }
    } finally {
      this.syncing = false;
    }
  }

  private notifyTransition(inst: VrrpInstance, t: TransitionRecord): void {
    const state = notifyStateOf(t.to);
    if (!state) return;
    const driver = this.drivers.get(inst.name);
    this.notifier.instanceTransition(inst, state, driver?.effectivePriority ?? inst.priority);
  }

  /** stop stops every instance gracefully (priority 0, VIPs removed) and closes the sockets. */
  async stop(): Promise<void> {
    this.addressTimer?.cancel();
    this.addressTimer = undefined;
    this.tracking.stop();
    await Promise.all([...this.drivers.values()].map((d) => d.stop()));
    await this.notifier.drain();
    this.linkWatch?.close();
    this.netlinkOff?.();
    for (const entry of this.sockets.values()) {
      entry.socket.close();
      entry.ah?.close();
    }
    this.sockets.clear();
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
    await this.removeLeftoverVips(onVmac);
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

  private async localAddressFor(inst: VrrpInstance): Promise<string> {
    if (inst.unicastSrcIp) return inst.unicastSrcIp;
    if (inst.family === 'inet' && inst.mcastSrcIp) return inst.mcastSrcIp;
    // RFC 5798 5.1.2.1 (IPv6): the source is the interface's link-local address. At boot it may
    // still be tentative (DAD, about 1-2 s) or the interface may still be coming up: wait for it.
    const deadline = this.o.clock.nowMs() + ADDRESS_WAIT_MS;
    let logged = false;
    for (;;) {
      const addr = await this.o.kernel.getPrimaryAddress(inst.interface, inst.family).catch(() => undefined);
      if (addr) return addr;
      if (this.o.clock.nowMs() >= deadline) {
        throw new Error(`(${inst.name}) interface ${inst.interface} has no usable ${inst.family} address`);
      }
      if (!logged)
        this.o.log.info(`(${inst.name}) waiting for an ${inst.family} address on ${inst.interface}`);
      logged = true;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async removeLeftoverVips(inst: VrrpInstance): Promise<void> {
    const present = await this.o.kernel.listAddresses();
    for (const v of [...inst.virtualIpAddresses, ...inst.virtualIpAddressesExcluded]) {
      const spec = toVipSpec(v, inst.interface);
      if (present.some((p) => p.address === spec.address && p.ifname === spec.dev)) {
        this.o.log.info(`(${inst.name}) removing leftover VIP ${spec.address} from ${spec.dev}`);
        await this.o.kernel.deleteAddress(spec);
      }
    }
  }

  private async socketFor(ifname: string, family: 'inet' | 'inet6'): Promise<SocketEntry> {
    const g = this.config.globalDefs;
    const groups = family === 'inet' ? [g.vrrpMcastGroup4] : [g.vrrpMcastGroup6];
    // The groups are part of the key: a reload that changes vrrp_mcast_group4/6 needs a socket
    // that joined the new group (issue 11: the old one kept the instance deaf to its peer).
    const key = `${family}/${ifname}/${groups.join(',')}`;
    const existing = this.sockets.get(key);
    if (existing) return existing;
    const entry: SocketEntry = {
      ifname,
      family,
      byVrid: new Map(),
      socket: undefined as unknown as PacketSocket,
    };
    const open = () =>
      this.o.kernel.openVrrpSocket({
        family,
        ifname,
        multicastGroups: groups,
        onPacket: (p) => this.onPacket(entry, p),
        onError: (err) => this.socketFailed(key, entry, open, err),
      });
    entry.fail = (err) => this.socketFailed(key, entry, open, err);
    entry.socket = await open();
    this.sockets.set(key, entry);
    return entry;
  }

  /**
   * socketFailed handles a VRRP socket that died: its instances can neither send nor hear adverts,
   * so they are in FAULT (issue 11: the socket used to close for good and the instance ran on
   * deaf) until the socket is reopened, retried with back-off on the injected clock.
   */
  private socketFailed(key: string, entry: SocketEntry, open: () => Promise<PacketSocket>, err: Error): void {
    this.o.log.error(
      `VRRP socket on ${entry.ifname}: ${err.message}; its instances are in FAULT until it is reopened`,
    );
    entry.socket.close();
    entry.broken = true;
    this.retrack();
    const retry = () => {
      if (this.sockets.get(key) !== entry) return; // the socket went with its instances
      open().then(
        (socket) => {
          entry.socket = socket;
          entry.broken = false;
          entry.retryMs = undefined;
          this.o.log.info(`VRRP socket on ${entry.ifname} reopened`);
          this.retrack();
        },
        (e: Error) => {
          this.o.log.warn(`reopening the VRRP socket on ${entry.ifname}: ${e.message}`);
          entry.retryMs = Math.min(SOCKET_RETRY_MAX_MS, (entry.retryMs ?? SOCKET_RETRY_MIN_MS) * 2);
          this.o.clock.at(this.o.clock.nowMs() + entry.retryMs, retry);
        },
      );
    };
    entry.retryMs = SOCKET_RETRY_MIN_MS;
    this.o.clock.at(this.o.clock.nowMs() + SOCKET_RETRY_MIN_MS, retry);
  }

  private ioFor(entry: SocketEntry): InstanceIo {
    const k = this.o.kernel;
    return {
      send: (data, dst, src) => entry.socket.send(data, dst, src),
      addAddress: (vip) => k.addAddress(vip),
      deleteAddress: (vip) => k.deleteAddress(vip),
      announce: (ifname, vips, repeat, intervalMs) => k.announce(ifname, vips, repeat, intervalMs),
      addRoute: k.addRoute && ((r) => k.addRoute!(r)),
      deleteRoute: k.deleteRoute && ((r) => k.deleteRoute!(r)),
      addRule: k.addRule && ((r) => k.addRule!(r)),
      deleteRule: k.deleteRule && ((r) => k.deleteRule!(r)),
      blockVips: k.nftBlockVips && ((a) => k.nftBlockVips!(a)),
      unblockVips: k.nftUnblockVips && ((a) => k.nftUnblockVips!(a)),
    };
  }

  /**
   * ahIo gives an auth_type AH instance (VRRPv2, IPv4) the interface's AH socket and sends its
   * adverts wrapped in AH (vrrp/ah.ts), as keepalived: Auth Type 2 in the VRRP header, the
   * sequence number counting up from the start time in seconds (VRRPv2 adverts are at least a
   * second apart, so a restarted keepvip is ahead of what it sent before) and above every
   * sequence number heard from a peer (so ahead of the counter keepalived keeps).
   */
  private async ahIo(entry: SocketEntry, inst: VrrpInstance, io: InstanceIo): Promise<InstanceIo> {
    const auth = inst.authentication;
    if (auth?.type !== 'AH' || inst.family !== 'inet' || !this.o.kernel.openAhSocket) return io;
    entry.ah ??= this.o.kernel.openAhSocket({
      ifname: entry.ifname,
      onPacket: (d) => this.onAhPacket(entry, d),
      onError: (err) => this.o.log.error(`AH socket on ${entry.ifname}: ${err.message}`),
    });
    const key = ahKey(auth.password);
    const unicast = inst.unicastPeers.length > 0;
    let seq = Math.floor(Date.now() / 1000);
    return {
      ...io,
      send: (data, dst) => {
        const vrrp = Buffer.from(data.subarray(IPV4_HEADER_LENGTH));
        vrrp[4] = VrrpAuthTypes.AH;
        vrrp.writeUInt16BE(0, 6);
        vrrp.writeUInt16BE(internetChecksum(vrrp), 6);
        // Above anything heard: keepalived keeps one counter for what it sends and hears, and drops
        // a sequence number not above it (a peer that was MASTER for a while is far ahead).
        seq = Math.min(Math.max(seq, this.ahPeak.get(inst.name) ?? 0) + 1, 0xfffffffd);
        const wrapped = encodeAhDatagram({
          srcAddress: [...data.subarray(12, 16)].join('.'),
          dstAddress: dst,
          id: data.readUInt16BE(4),
          seq,
          key,
          unicast,
          vrrp,
        });
        if (!entry.ah) return Promise.reject(new Error(`no AH socket on ${entry.ifname}`));
        return entry.ah.send(wrapped, dst);
      },
    };
  }

  /** onAhPacket verifies an AH datagram (ICV, SPI) with its instance's key and passes the VRRP advert inside on. */
  private onAhPacket(entry: SocketEntry, d: Buffer): void {
    const src = d.length >= IPV4_HEADER_LENGTH ? [...d.subarray(12, 16)].join('.') : undefined;
    if (src !== undefined && this.localAddresses.has(src)) return; // our own advert looped back
    const at = IPV4_HEADER_LENGTH + AH_LENGTH;
    const driver = d.length > at + 1 ? entry.byVrid.get(d[at + 1]!) : undefined;
    const auth = driver?.instance.authentication;
    if (!driver || auth?.type !== 'AH') {
      this.drop(
        entry,
        driver,
        driver ? 'auth-type' : 'unknown-vrid',
        'AH datagram for no auth_type AH instance',
        src,
      );
      return;
    }
    const r = decodeAhDatagram(d, ahKey(auth.password), driver.instance.unicastPeers.length > 0);
    if (!r.ok) {
      this.drop(entry, driver, r.reason, r.detail, src);
      return;
    }
    // RFC 2402 3.4.3 anti-replay, as keepalived (vrrp_in_chk_ipsecah): the sequence must grow.
    const seen = this.ahSeq.get(driver.name) ?? new Map<string, number>();
    this.ahSeq.set(driver.name, seen);
    const last = seen.get(src!);
    if (last !== undefined && r.seq <= last) {
      this.drop(entry, driver, 'ah-seq', `sequence number ${r.seq} already processed (last ${last})`, src);
      return;
    }
    seen.set(src!, r.seq);
    this.ahPeak.set(driver.name, Math.max(this.ahPeak.get(driver.name) ?? 0, r.seq));
    const plain = encodeIpv4Datagram({
      srcAddress: src!,
      dstAddress: [...d.subarray(16, 20)].join('.'),
      ttl: d[8]!,
      protocol: IPPROTO_VRRP,
      payload: r.vrrp,
      id: d.readUInt16BE(4),
    });
    this.onPacket(entry, { family: 'inet', data: plain }, true);
  }

  /** onPacket is the receive path: every advertisement on an interface passes here once. */
  private onPacket(entry: SocketEntry, p: ReceivedPacket, viaAh = false): void {
    let datagram: ReceivedDatagram;
    if (entry.family === 'inet') {
      const ip = decodeIpv4Datagram(p.data);
      if (!ip.ok) {
        this.drop(entry, undefined, ip.reason, ip.detail);
        return;
      }
      datagram = ip.value;
    } else {
      datagram = {
        family: 'inet6',
        srcAddress: p.srcAddress ?? '::',
        dstAddress: p.dstAddress ?? '::',
        ttl: p.hopLimit ?? 0,
        payload: p.data,
      };
    }
    if (this.localAddresses.has(datagram.srcAddress)) return; // our own advert looped back
    // The VRID byte sits at offset 1 of the VRRP header; read it only to attribute drops.
    const vridGuess = datagram.payload.length >= 2 ? datagram.payload[1] : undefined;
    const guessDriver = vridGuess === undefined ? undefined : entry.byVrid.get(vridGuess);
    const decoded = decodeAdvert(datagram);
    if (!decoded.ok) {
      this.drop(entry, guessDriver, decoded.reason, decoded.detail, datagram.srcAddress);
      return;
    }
    const advert = decoded.value;
    // Auth Type AH counts only inside a verified AH datagram (onAhPacket), never from the VRRP socket.
    if (advert.authType === VrrpAuthTypes.AH && !viaAh) {
      this.drop(entry, guessDriver, 'auth-type', 'Auth Type AH without an AH header', datagram.srcAddress);
      return;
    }
    const driver = entry.byVrid.get(advert.vrid);
    if (!driver) {
      this.drop(entry, undefined, 'unknown-vrid', `VRID ${advert.vrid}`, datagram.srcAddress);
      return;
    }
    const inst = driver.instance;
    // keepalived 2.2.7 (vrrp_check_packet): without unicast_peer the TTL / hop limit MUST be 255
    // (RFC 3768 7.1, RFC 5798 7.1) whatever the destination. The codec checks multicast only, so
    // without this a unicast advert from off-link (TTL 64) reached the state machine.
    const ttlKnown = entry.family === 'inet' || p.hopLimit !== undefined;
    if (inst.unicastPeers.length === 0 && ttlKnown && datagram.ttl !== VRRP_TTL) {
      const detail = `TTL ${datagram.ttl} on a unicast advert, expected 255`;
      this.drop(entry, driver, 'ttl', detail, datagram.srcAddress);
      return;
    }
    // keepalived 2.2.7: `unicast_peer { ADDR min_ttl N max_ttl M }` bounds that peer's TTL / hop limit.
    const window = inst.unicastPeerTtl?.[datagram.srcAddress];
    if (window && ttlKnown && (datagram.ttl < window.min || datagram.ttl > window.max)) {
      const detail = `TTL ${datagram.ttl} outside min_ttl ${window.min} / max_ttl ${window.max}`;
      this.drop(entry, driver, 'ttl', detail, datagram.srcAddress);
      return;
    }
    const checked = checkAdvertForInstance(advert, driver.checks);
    if (!checked.ok) {
      this.drop(entry, driver, checked.reason, checked.detail, datagram.srcAddress);
      return;
    }
    if (driver.stateName === 'MASTER')
      this.notifier.advertWhileMaster(inst, advert.priority, datagram.srcAddress);
    driver.receive(advert, datagram.srcAddress);
  }

  private drop(
    entry: SocketEntry,
    driver: InstanceDriver | undefined,
    reason: string,
    detail: string,
    src?: string,
  ): void {
    countDrop(driver ? driver.counters.drops : this.drops, reason);
    // Rate-limited: a flood of bad packets must not flood the log (one line per reason per 10 s).
    const key = `${entry.ifname}/${reason}`;
    const now = this.o.clock.nowMs();
    const last = this.lastDropLogMs.get(key);
    if (last !== undefined && now - last < 10_000) return;
    this.lastDropLogMs.set(key, now);
    const who = driver ? `(${driver.name}) ` : '';
    this.o.log.info(
      `${who}bad VRRP packet on ${entry.ifname}${src ? ` from ${src}` : ''}: ${reason} (${detail})`,
    );
  }
}
