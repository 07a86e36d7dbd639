/**
 * The interfaces' primary addresses, the source of adverts and our side of the RFC 5798 6.4.3
 * tie-break: waitForLocalAddress finds an instance's address at start-up (waiting for an IPv6
 * link-local address still in DAD), and watchPrimaryAddresses re-reads them when an address of
 * their interface changes, so adverts follow an operator's change. Both wait on the injected clock.
 */
import type { VrrpInstance } from '../config/model.js';
import type { KernelPort } from '../kernel/port.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { InstanceDriver } from './instance.js';

/** ADDRESS_WAIT_MS bounds the wait for an interface's source address at start-up. */
export const ADDRESS_WAIT_MS = 10_000;
/** ADDRESS_RETRY_MS is how often the address is asked for again while waiting. */
export const ADDRESS_RETRY_MS = 200;
/**
 * PRIMARY_ADDRESS_SETTLE_MS: after an address change on a watched interface the primary addresses
 * are re-read this much later, once for a burst (an operator's `ip addr del` + `ip addr add`).
 */
export const PRIMARY_ADDRESS_SETTLE_MS = 10;

/** fixedSourceOf is the configured advert source that overrides the interface's address, if any. */
function fixedSourceOf(inst: VrrpInstance): string | undefined {
  return inst.unicastSrcIp ?? (inst.family === 'inet' ? inst.mcastSrcIp : undefined);
}

/** waitForLocalAddress is an instance's advert source: configured, or the interface's primary address once it has one. */
export async function waitForLocalAddress(
  kernel: KernelPort,
  clock: Clock,
  log: Logger,
  inst: VrrpInstance,
): Promise<string> {
  const fixed = fixedSourceOf(inst);
  if (fixed) return fixed;
  // RFC 5798 5.1.2.1 (IPv6): the source is the interface's link-local address. At boot it may
  // still be tentative (DAD, about 1-2 s) or the interface may still be coming up: wait for it.
  const deadline = clock.nowMs() + ADDRESS_WAIT_MS;
  let logged = false;
  for (;;) {
    const addr = await kernel.getPrimaryAddress(inst.interface, inst.family).catch(() => undefined);
    if (addr) return addr;
    if (clock.nowMs() >= deadline) {
      throw new Error(`(${inst.name}) interface ${inst.interface} has no usable ${inst.family} address`);
    }
    if (!logged) log.info(`(${inst.name}) waiting for an ${inst.family} address on ${inst.interface}`);
    logged = true;
    await new Promise<void>((r) => clock.at(clock.nowMs() + ADDRESS_RETRY_MS, r));
  }
}

/** PrimaryAddressWatchOptions give the watch the drivers and what to do on a change. */
export interface PrimaryAddressWatchOptions {
  kernel: KernelPort;
  clock: Clock;
  log: Logger;
  drivers: ReadonlyMap<string, InstanceDriver>;
  /** baseInterface is an instance's configured interface (its VMAC, if any, is the driver's). */
  baseInterface(name: string): string | undefined;
  /** onChanged learns a new primary address a driver took (the runner's own-address set). */
  onChanged(address: string): void;
}

/** isVip tells whether an address is a virtual (or excluded) address of one of the drivers' instances. */
function isVip(drivers: ReadonlyMap<string, InstanceDriver>, address: string): boolean {
  for (const driver of drivers.values()) {
    const inst = driver.instance;
    if (inst.virtualIpAddresses.some((v) => v.address === address)) return true;
    if (inst.virtualIpAddressesExcluded.some((v) => v.address === address)) return true;
  }
  return false;
}

/**
 * watchPrimaryAddresses re-reads the interfaces' primary addresses when one of their addresses
 * changes: when the operator changes it, adverts must leave from the new one (the peer names the
 * master by it, and the old one may now belong to someone else). keepalived follows RTM_NEWADDR /
 * RTM_DELADDR too. A change of a VIP (255 of them at a failover) re-reads nothing; lost
 * notifications (ENOBUFS) re-read everything. It was a poll of RTM_GETADDR each second, which at
 * 255 VIPs parsed 257 addresses a second for nothing.
 */
export function watchPrimaryAddresses(o: PrimaryAddressWatchOptions): { stop(): void } {
  let stopped = false;
  let pending: { cancel(): void } | undefined;
  const tick = async () => {
    const seen = new Map<string, Promise<string | undefined>>();
    for (const driver of o.drivers.values()) {
      const inst = driver.instance;
      if (fixedSourceOf(inst)) continue;
      const ifname = o.baseInterface(inst.name) ?? inst.interface;
      const key = `${ifname}/${inst.family}`;
      if (!seen.has(key))
        seen.set(
          key,
          o.kernel.getPrimaryAddress(ifname, inst.family).catch(() => undefined),
        );
      const addr = await seen.get(key);
      const before = driver.params.localAddress;
      // A VIP is never our primary address (after the node's own address was re-added, the
      // kernel may list a VIP first).
      // Unchanged (the usual case) costs one comparison; only a change is checked against the VIPs.
      if (addr === undefined || addr === before || isVip(o.drivers, addr)) continue;
      if (driver.setPrimaryAddress(addr)) {
        o.onChanged(addr);
        o.log.info(`(${inst.name}) primary address of ${ifname} changed from ${before} to ${addr}`);
      }
    }
  };
  const reread = () => {
    if (pending || stopped) return;
    pending = o.clock.at(o.clock.nowMs() + PRIMARY_ADDRESS_SETTLE_MS, () => {
      pending = undefined;
      if (!stopped) void tick();
    });
  };
  const watched = (ifname: string | undefined) => {
    if (ifname === undefined) return true; // IPv6: the notification has no name
    for (const driver of o.drivers.values()) {
      const inst = driver.instance;
      if (!fixedSourceOf(inst) && (o.baseInterface(inst.name) ?? inst.interface) === ifname) return true;
    }
    return false;
  };
  const watcher = o.kernel.watchAddresses((c) => {
    if (watched(c.ifname) && !isVip(o.drivers, c.address)) reread();
  }, reread);
  // A change between the start-up read and the subscription is caught by one read now.
  reread();
  return {
    stop: () => {
      stopped = true;
      pending?.cancel();
      watcher.close();
    },
  };
}
