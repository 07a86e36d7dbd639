/**
 * ha_suspend: a virtual server's checkers pause while its address is not on this director,
 * as keepalived's checker process does (check_daemon.c update_checker_activity: netlink
 * address events; "Suspending healthchecker for service ..." / "Activating healthchecker for
 * service ..."). On a backup director the VIP is away, so its checkers stay quiet until VRRP
 * moves the VIP here; the verdicts they had stay as they were meanwhile.
 *
 * `suspendedVirtualServers` is the pure rule; `HaSuspend` follows the host's addresses (a
 * dump at start, then rtnetlink events: the VIPs the runner adds and removes, and any address
 * added by hand) and reports the set of suspended virtual servers whenever it changes.
 */
import type { KeepvipConfig, VirtualServer } from '../config/model.js';
import type { AddressChange, AddressWatcher } from '../kernel/address-watch.js';
import type { InstalledAddress } from '../kernel/addresses.js';
import type { Logger } from '../util/logger.js';
import { expandRange, lvsVirtualServerKey } from './desired.js';

/** canonicalAddress prints an address as the kernel layer does (IPv6 in RFC 5952 form). */
export function canonicalAddress(address: string): string {
  return address.includes(':') ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
}

/** haSuspendAddresses lists the addresses whose presence lets a virtual server's checkers run. */
export function haSuspendAddresses(
  vs: VirtualServer,
  config: Pick<KeepvipConfig, 'virtualServerGroups'>,
): string[] {
  if (vs.group === undefined) return vs.address === undefined ? [] : [canonicalAddress(vs.address)];
  // keepalived counts every address of the group's ranges (ha_suspend_addr_count).
  const g = (config.virtualServerGroups ?? []).find((x) => x.name === vs.group);
  return (g?.entries ?? []).flatMap((e) =>
    e.kind === 'range' ? expandRange(e.first, e.last, e.family).map(canonicalAddress) : [],
  );
}

/** suspendedVirtualServers are the keys of the ha_suspend virtual servers none of whose addresses is local. */
export function suspendedVirtualServers(
  config: Pick<KeepvipConfig, 'virtualServers' | 'virtualServerGroups'>,
  isLocal: (address: string) => boolean,
): string[] {
  const out: string[] = [];
  for (const vs of config.virtualServers) {
    if (!vs.haSuspend) continue;
    if (!haSuspendAddresses(vs, config).some(isLocal)) out.push(lvsVirtualServerKey(vs));
  }
  return out;
}

/** HaSuspendOptions wire HaSuspend to the kernel's addresses and to the checkers. */
export interface HaSuspendOptions {
  log: Logger;
  listAddresses: () => Promise<InstalledAddress[]>;
  watchAddresses: (onChange: (c: AddressChange) => void, onError: (e: Error) => void) => AddressWatcher;
  /** onChange receives the whole set of suspended virtual servers (keys) each time it changes. */
  onChange: (suspended: string[]) => void;
}

/** HaSuspend tells the checkers which virtual servers' addresses are not on this director. */
export class HaSuspend {
  private config: Pick<KeepvipConfig, 'virtualServers' | 'virtualServerGroups'> | undefined;
  /** local maps an address to the interfaces (indices) that have it. */
  private local = new Map<string, Set<number>>();
  private watcher: AddressWatcher | undefined;
  private current = new Set<string>();
  private resync: Promise<void> | undefined;

  constructor(private readonly o: HaSuspendOptions) {}

  /** suspended are the keys of the virtual servers whose checkers pause now. */
  get suspended(): string[] {
    return [...this.current];
  }

  /** configure takes a configuration (start and SIGHUP): watches addresses while any block has ha_suspend. */
  async configure(config: Pick<KeepvipConfig, 'virtualServers' | 'virtualServerGroups'>): Promise<void> {
    this.config = config;
    const wanted = config.virtualServers.some((vs) => vs.haSuspend);
    if (!wanted) {
      this.close();
      this.update();
      return;
    }
    if (this.watcher === undefined) {
      // Subscribe first, then dump: an address that changes in between is seen by one or the other.
      this.watcher = this.o.watchAddresses(
        (c) => this.onAddress(c),
        (e) => {
          this.o.log.warn(`ha_suspend: ${e.message}; re-reading the addresses`);
          void this.reread();
        },
      );
      await this.reread();
    }
    this.update();
  }

  /** close stops following the addresses. */
  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.local.clear();
  }

  private async reread(): Promise<void> {
    this.resync ??= this.o
      .listAddresses()
      .then((list) => {
        this.local.clear();
        for (const a of list) this.add(a);
        this.update();
      })
      .catch((e: Error) => this.o.log.error(`ha_suspend: cannot list addresses: ${e.message}`))
      .finally(() => {
        this.resync = undefined;
      });
    return this.resync;
  }

  private add(a: InstalledAddress): void {
    const k = canonicalAddress(a.address);
    const set = this.local.get(k) ?? new Set<number>();
    set.add(a.index);
    this.local.set(k, set);
  }

  private onAddress(c: AddressChange): void {
    if (c.added) this.add(c.address);
    else {
      const k = canonicalAddress(c.address.address);
      const set = this.local.get(k);
      set?.delete(c.address.index);
      if (set?.size === 0) this.local.delete(k);
    }
    this.update();
  }

  private update(): void {
    const config = this.config;
    const next = new Set(
      config === undefined || this.watcher === undefined
        ? []
        : suspendedVirtualServers(config, (a) => this.local.has(a)),
    );
    let changed = next.size !== this.current.size;
    for (const k of next)
      if (!this.current.has(k)) {
        this.o.log.info(`Suspending healthchecker for service ${k}`);
        changed = true;
      }
    for (const k of this.current)
      if (!next.has(k)) {
        this.o.log.info(`Activating healthchecker for service ${k}`);
        changed = true;
      }
    this.current = next;
    if (changed) this.o.onChange([...next]);
  }
}
