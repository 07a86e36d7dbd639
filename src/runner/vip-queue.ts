/**
 * VipQueue adds and removes one instance's addresses in order, one operation after the other
 * on a promise chain (an add still in flight is finished before the remove that follows it):
 * add: the no_accept drop set, the VIPs and excluded addresses, then (hook) the GARPs, then
 * virtual_routes and virtual_rules; remove: rules, routes, addresses, then the drop set. A
 * failed kernel call is logged and the rest goes on. toVipSpec resolves a VIP's device.
 */
import type { VirtualIpAddress, VrrpInstance } from '../config/model.js';
import type { VipSpec } from '../kernel/port.js';
import type { RouteSpec, RuleSpec } from '../kernel/routes.js';
import type { Logger } from '../util/logger.js';
import type { InstanceIo } from './instance-io.js';

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

/** VipQueueOptions give the queue its instance, the kernel and the hook after the addresses were added. */
export interface VipQueueOptions {
  instance: VrrpInstance;
  io: InstanceIo;
  log: Logger;
  /** addressesAdded runs once the addresses of an add are in place, before its routes and rules. */
  addressesAdded(): void;
}

/** VipQueue holds one instance's addresses, routes and rules and applies them in order. */
export class VipQueue {
  /** vips are the virtual_ipaddress entries (advertised). */
  readonly vips: VipSpec[];
  /** excluded are virtual_ipaddress_excluded: added and removed with the VIPs, never advertised. */
  readonly excluded: VipSpec[];
  /** all are the VIPs then the excluded addresses. */
  readonly all: VipSpec[];
  /** held tells whether the queue believes it holds the addresses (set when an add starts). */
  held = false;
  private readonly routes: RouteSpec[];
  private readonly rules: RuleSpec[];
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: VipQueueOptions) {
    const inst = o.instance;
    this.vips = inst.virtualIpAddresses.map((v) => toVipSpec(v, inst.interface));
    this.excluded = inst.virtualIpAddressesExcluded.map((v) => toVipSpec(v, inst.interface));
    this.all = [...this.vips, ...this.excluded];
    // A unicast route with neither gateway nor device goes out of the instance's interface.
    this.routes = inst.virtualRoutes.map((r) =>
      r.type === 'unicast' && r.via === undefined && r.dev === undefined ? { ...r, dev: inst.interface } : r,
    );
    this.rules = inst.virtualRules;
  }

  /** idle resolves when every queued operation is done. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** enqueue queues an add or a remove after the operations already queued. */
  enqueue(op: 'add' | 'remove'): Promise<void> {
    this.chain = this.chain.then(() => (op === 'add' ? this.add() : this.remove()));
    return this.chain;
  }

  private async add(): Promise<void> {
    const { io, log, instance } = this.o;
    const name = instance.name;
    log.info(`(${name}) setting VIPs.`);
    this.held = true;
    // keepalived (no_accept, vrrp_strict): the addresses join the nftables drop set before they exist.
    if (!instance.accept)
      await io.blockVips?.(this.addresses()).catch((err: Error) => {
        log.error(`(${name}) cannot install the no_accept rules: ${err.message}`);
      });
    for (const vip of this.all) {
      await io.addAddress(vip).catch((err: Error) => {
        log.error(`(${name}) cannot add VIP ${vip.address}: ${err.message}`);
      });
    }
    this.o.addressesAdded();
    // keepalived adds virtual_routes, then virtual_rules, after the addresses they may use.
    for (const r of this.routes)
      await io.addRoute?.(r).catch((err: Error) => {
        log.error(`(${name}) cannot add route to ${r.dst}/${r.dstPrefixLength}: ${err.message}`);
      });
    for (const r of this.rules)
      await io.addRule?.(r).catch((err: Error) => {
        log.error(`(${name}) cannot add rule: ${err.message}`);
      });
  }

  private async remove(): Promise<void> {
    const { io, log, instance } = this.o;
    const name = instance.name;
    if (!this.held) return;
    this.held = false;
    log.info(`(${name}) removing VIPs.`);
    for (const r of this.rules)
      await io.deleteRule?.(r).catch((err: Error) => {
        log.error(`(${name}) cannot remove rule: ${err.message}`);
      });
    for (const r of this.routes)
      await io.deleteRoute?.(r).catch((err: Error) => {
        log.error(`(${name}) cannot remove route to ${r.dst}/${r.dstPrefixLength}: ${err.message}`);
      });
    for (const vip of this.all) {
      await io.deleteAddress(vip).catch((err: Error) => {
        log.error(`(${name}) cannot remove VIP ${vip.address}: ${err.message}`);
      });
    }
    if (!instance.accept)
      await io.unblockVips?.(this.addresses()).catch((err: Error) => {
        log.error(`(${name}) cannot remove the no_accept rules: ${err.message}`);
      });
  }

  /** addresses are the VIPs and excluded addresses, without prefix length. */
  private addresses(): string[] {
    return this.all.map((v) => v.address);
  }
}
