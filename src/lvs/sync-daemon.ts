/**
 * lvs_sync_daemon: the kernel's IPVS connection sync thread follows one vrrp_instance, as
 * keepalived does (vrrp_scheduler.c / ipvswrapper.c ipvs_syncd_master / ipvs_syncd_backup):
 * master while the instance is MASTER, backup otherwise, so that the connections the master
 * director forwards are known to the backup when it takes over. The sync id defaults to the
 * instance's virtual_router_id.
 */
import type { KeepvipConfig, LvsSyncDaemonDef } from '../config/model.js';
import type { IpvsPort, IpvsSyncDaemon } from '../kernel/ipvs/types.js';
import { SystemCallError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';

/** SyncRole is the role the sync daemon should have. */
export type SyncRole = 'master' | 'backup';

/** syncDaemonOf is the kernel request for a role, or undefined without lvs_sync_daemon. */
export function syncDaemonOf(config: KeepvipConfig, role: SyncRole): IpvsSyncDaemon | undefined {
  const def: LvsSyncDaemonDef | undefined = config.globalDefs.lvs?.syncDaemon;
  if (!def) return undefined;
  const inst = config.vrrpInstances.find((i) => i.name === def.instance);
  const d: IpvsSyncDaemon = {
    state: role,
    ifname: def.ifname,
    syncId: def.syncId ?? inst?.virtualRouterId ?? 0,
  };
  if (def.maxLen !== undefined) d.maxLen = def.maxLen;
  if (def.port !== undefined) d.port = def.port;
  if (def.ttl !== undefined) d.ttl = def.ttl;
  if (def.group !== undefined) d.mcastGroup = def.group;
  return d;
}

function same(a: IpvsSyncDaemon, b: IpvsSyncDaemon): boolean {
  return (
    a.state === b.state &&
    a.ifname === b.ifname &&
    a.syncId === b.syncId &&
    (a.maxLen === undefined || a.maxLen === b.maxLen) &&
    (a.port === undefined || a.port === b.port) &&
    (a.ttl === undefined || a.ttl === b.ttl) &&
    (a.mcastGroup === undefined || a.mcastGroup === b.mcastGroup)
  );
}

/** LvsSyncDaemon starts, switches and stops the kernel's sync daemon. */
export class LvsSyncDaemon {
  private role: SyncRole | undefined;
  private chain: Promise<void> = Promise.resolve();
  private config: KeepvipConfig | undefined;

  constructor(
    private readonly port: IpvsPort,
    private readonly log: Logger,
  ) {}

  /** instance is the vrrp_instance the daemon follows, if configured. */
  get instance(): string | undefined {
    return this.config?.globalDefs.lvs?.syncDaemon?.instance;
  }

  /** current is the role running now. */
  get current(): SyncRole | undefined {
    return this.role;
  }

  /** configure takes a configuration; a changed sync daemon is restarted in its role. */
  configure(config: KeepvipConfig): Promise<void> {
    const before = this.config;
    this.config = config;
    const role = this.role;
    if (role === undefined) return this.chain;
    const a = before ? syncDaemonOf(before, role) : undefined;
    const b = syncDaemonOf(config, role);
    if (a && b && same(a, b)) return this.chain;
    this.role = undefined;
    return b ? this.follow(role === 'master' ? 'MASTER' : 'BACKUP') : this.stop();
  }

  /** follow sets the role from the followed instance's state (MASTER: master; anything else: backup). */
  follow(state: string): Promise<void> {
    const want: SyncRole = state === 'MASTER' ? 'master' : 'backup';
    this.chain = this.chain
      .then(() => this.switchTo(want))
      .catch((e: Error) => this.log.error(`IPVS sync daemon: ${e.message}`));
    return this.chain;
  }

  private async switchTo(want: SyncRole): Promise<void> {
    if (!this.config || this.role === want) return;
    const d = syncDaemonOf(this.config, want);
    if (!d) return;
    const running = await this.port.getSyncDaemons().catch(() => [] as IpvsSyncDaemon[]);
    const other: SyncRole = want === 'master' ? 'backup' : 'master';
    if (running.some((r) => r.state === other)) await this.stopRole(other);
    const mine = running.find((r) => r.state === want);
    if (mine && same(d, mine)) {
      this.role = want;
      return; // adopted: a restart leaves the running thread alone
    }
    if (mine) await this.stopRole(want);
    await this.port.startSyncDaemon(d);
    this.role = want;
    this.log.info(`IPVS: sync daemon ${want} on ${d.ifname} (syncid ${d.syncId})`);
  }

  private async stopRole(role: SyncRole): Promise<void> {
    try {
      await this.port.stopSyncDaemon(role);
    } catch (e) {
      if (!(e instanceof SystemCallError && (e.errno === 'ESRCH' || e.errno === 'ENOENT'))) throw e;
    }
  }

  /** stop stops whatever role runs (keepalived stops the sync daemon when it exits). */
  stop(): Promise<void> {
    this.chain = this.chain
      .then(async () => {
        if (this.role === undefined) return;
        await this.stopRole(this.role);
        this.log.info(`IPVS: sync daemon ${this.role} stopped`);
        this.role = undefined;
      })
      .catch((e: Error) => this.log.error(`IPVS sync daemon: ${e.message}`));
    return this.chain;
  }
}
