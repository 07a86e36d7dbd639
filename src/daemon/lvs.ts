/**
 * The daemon's LVS side: the IPVS client (kernel/ipvs), the reconciler and the sync daemon
 * (lvs/), and what their events become: quorum_up / quorum_down scripts, RS and VS lines in
 * lvs_notify_fifo and VS lines in notify_fifo, as keepalived writes them (notify_up / notify_down
 * and the notify_fifo RS lines are the checker alerts', notify/checker-alerts.ts).
 */
import type { VerdictSource } from '../check/verdict.js';
import type { KeepvipConfig } from '../config/model.js';
import { watchAddresses } from '../kernel/address-watch.js';
import { listAddresses } from '../kernel/addresses.js';
import { IpvsClient } from '../kernel/ipvs/client.js';
import type { IpvsPort } from '../kernel/ipvs/types.js';
import { type LvsEvent, lvsEventScript, lvsFifoLine } from '../lvs/events.js';
import { HaSuspend, type HaSuspendOptions } from '../lvs/ha-suspend.js';
import { fileOwnership } from '../lvs/ownership.js';
import { realServerDown, realServerUp } from '../lvs/real-server-setup.js';
import { LvsReconciler } from '../lvs/reconciler.js';
import { type LvsStatus, serverNames } from '../lvs/status.js';
import { LvsSyncDaemon } from '../lvs/sync-daemon.js';
import { NotifyFifo } from '../notify/fifo.js';
import { NotifyQueue } from '../notify/notify-scripts.js';
import type { Clock } from '../util/clock.js';
import { resolveInvocation } from '../util/command.js';
import type { Logger } from '../util/logger.js';
import { scriptPolicy } from '../util/script-security.js';

/** DaemonLvsOptions wire the LVS side. */
export interface DaemonLvsOptions {
  config: KeepvipConfig;
  clock: Clock;
  log: Logger;
  /** port replaces the kernel's IPVS (tests). */
  port?: IpvsPort;
  /** verdicts are the checkers' (check/CheckScheduler). */
  verdicts?: VerdictSource;
  /** stateFiles are where the LVS side keeps what must outlive the process (lvsStateFiles(pid file)). */
  stateFiles?: LvsStateFiles;
  /** dontReleaseIpvs is keepalived's -I: leave the IPVS services on stop (as lvs_keep_on_stop). */
  dontReleaseIpvs?: boolean;
  /** addresses replace the host's address dump and rtnetlink watch that ha_suspend follows (tests). */
  addresses?: Pick<HaSuspendOptions, 'listAddresses' | 'watchAddresses'>;
}

/** LvsStateFiles are the LVS side's records: real_server_setup's changes, the owned IPVS services. */
export interface LvsStateFiles {
  realServer: string;
  ipvsOwned: string;
}

/** lvsStateFiles are the records of a daemon with this pid file (`/run/keepvip.pid` -> `/run/keepvip.realserver.json`...). */
export function lvsStateFiles(pidFile: string): LvsStateFiles {
  const base = pidFile.endsWith('.pid') ? pidFile.slice(0, -4) : pidFile;
  return { realServer: `${base}.realserver.json`, ipvsOwned: `${base}.ipvs-owned.json` };
}

/** DaemonLvs runs the LVS side of the daemon. */
export class DaemonLvs {
  readonly port: IpvsPort;
  readonly reconciler: LvsReconciler;
  readonly sync: LvsSyncDaemon;
  private config: KeepvipConfig;
  private readonly scripts: NotifyQueue;
  /** lvsFifo is lvs_notify_fifo (RS and VS lines); notifyFifo is notify_fifo (VS lines: the checker alerts write its RS lines). */
  private lvsFifo: NotifyFifo | undefined;
  private notifyFifo: NotifyFifo | undefined;
  private fifoKey = '';
  private available = false;
  private readonly states = new Map<string, string>();
  private stopping = false;
  private haSuspend: HaSuspend | undefined;
  /** realServerVips are the VIPs real_server_setup put on lo (through realServerUp). */
  private realServerVips: string[] = [];

  constructor(private readonly o: DaemonLvsOptions) {
    this.config = o.config;
    this.port = o.port ?? new IpvsClient();
    this.scripts = new NotifyQueue(o.log, o.config.globalDefs.notifyScriptTimeoutMs, o.clock);
    this.reconciler = new LvsReconciler({
      port: this.port,
      clock: o.clock,
      log: o.log,
      ...(o.verdicts ? { verdicts: o.verdicts } : {}),
      onEvent: (e) => this.onEvent(e),
      ...(o.stateFiles ? { ownership: fileOwnership(o.stateFiles.ipvsOwned) } : {}),
    });
    this.sync = new LvsSyncDaemon(this.port, o.log);
  }

  /** wanted: the configuration has something for IPVS. */
  private wanted(config: KeepvipConfig): boolean {
    return config.virtualServers.length > 0 || config.globalDefs.lvs?.syncDaemon !== undefined;
  }

  /** start programs the table and configures the sync daemon (the followed instance's state comes through onInstanceState). */
  async start(): Promise<void> {
    this.openFifos(this.config);
    await this.setupRealServer(this.config);
    await this.reconciler.start(this.config);
    if (this.wanted(this.config)) this.available = this.reconciler.status().state === 'programmed';
    if (this.available) {
      await this.sync.configure(this.config);
      await this.followCurrent();
    }
  }

  /**
   * startHaSuspend follows this host's addresses for ha_suspend and hands the virtual servers
   * whose address is away to the checkers; called before the checkers start, so none of them
   * runs a first check on a director that does not hold its VIP.
   */
  async startHaSuspend(suspend: (vsKeys: string[]) => void): Promise<void> {
    this.haSuspend = new HaSuspend({
      log: this.o.log,
      listAddresses: this.o.addresses?.listAddresses ?? (() => listAddresses()),
      watchAddresses: this.o.addresses?.watchAddresses ?? watchAddresses,
      onChange: suspend,
    });
    await this.haSuspend.configure(this.config);
  }

  /**
   * haSuspendFor is the first step of a SIGHUP for ha_suspend: the suspended set of the new
   * configuration goes to the checkers before they take that configuration (daemon/reload.ts),
   * so a virtual server newly given ha_suspend, or added with it while its VIP is elsewhere,
   * never arms a first check here. reload() then finds the set already current.
   */
  async haSuspendFor(config: KeepvipConfig): Promise<void> {
    await this.haSuspend?.configure(config);
  }

  /** connectVerdicts hands the checkers' verdicts to the reconciler. */
  connectVerdicts(verdicts: VerdictSource): void {
    this.reconciler.setVerdicts(verdicts);
  }

  /** onInstanceState follows vrrp_instance transitions for lvs_sync_daemon. */
  onInstanceState(instance: string, state: string): void {
    // Transitions before start (INIT -> BACKUP happens while the runner starts) are remembered.
    this.states.set(instance, state);
    // A stopping instance (STOPPED) does not make the sync daemon a backup: stop() ends it.
    if (this.stopping || state === 'STOPPED') return;
    if (!this.available || this.sync.instance !== instance) return;
    void this.sync.follow(state);
  }

  /** followCurrent puts the sync daemon in the role of the followed instance's last known state. */
  private async followCurrent(): Promise<void> {
    const inst = this.sync.instance;
    const state = inst === undefined ? undefined : this.states.get(inst);
    if (state !== undefined) await this.sync.follow(state);
  }

  /** reload is SIGHUP. */
  async reload(config: KeepvipConfig): Promise<void> {
    this.config = config;
    this.openFifos(config);
    await this.setupRealServer(config);
    await this.haSuspend?.configure(config);
    await this.reconciler.reload(config);
    if (!this.available && this.wanted(config))
      this.available = this.reconciler.status().state === 'programmed';
    if (this.available) {
      await this.sync.configure(config);
      await this.followCurrent();
    }
  }

  /** stop is SIGTERM: services removed (keepalived clear_services), sync daemon stopped, FIFOs closed. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.haSuspend?.close();
    const keep = this.o.dontReleaseIpvs === true || this.config.globalDefs.lvs?.keepOnStop === true;
    if (keep && this.available)
      this.o.log.info('IPVS: services left in the kernel for the next start to adopt');
    await this.reconciler.stop(keep);
    if (this.available && !keep) await this.sync.stop();
    await this.setupRealServer(undefined);
    await this.scripts.drain();
    this.closeFifos();
    this.port.close();
  }

  /** status is the `lvs` section of the status document. */
  status(): LvsStatus {
    const s: LvsStatus = this.reconciler.status();
    const suspended = this.haSuspend?.suspended ?? [];
    if (suspended.length > 0) s.haSuspended = suspended;
    const names = serverNames(this.config.virtualServers);
    if (Object.keys(names).length > 0) s.names = names;
    const sd = this.config.globalDefs.lvs?.syncDaemon;
    if (!sd) return s;
    const sync: { role?: string; instance?: string } = {};
    if (this.sync.current) sync.role = this.sync.current;
    if (sd.instance) sync.instance = sd.instance;
    s.syncDaemon = sync;
    return s;
  }

  private onEvent(e: LvsEvent): void {
    const line = lvsFifoLine(e);
    this.lvsFifo?.write(line);
    // Real-server up/down: notify_up/notify_down and the notify_fifo RS line are the checker
    // alerts' (notify/checker-alerts.ts); the quorum is ours.
    if (e.type === 'rs') return;
    this.notifyFifo?.write(line);
    // keepalived: when stopping, only omega runs the notifiers (do_vs_notifies).
    if (e.stopping && !e.vs.omega) return;
    const script = lvsEventScript(e);
    if (!script) return;
    const g = this.config.globalDefs;
    const policy = scriptPolicy(script, g.scriptUser, g.enableScriptSecurity);
    if (policy.refused !== undefined) {
      this.o.log.error(`SECURITY VIOLATION - quorum script ${script} is not run: ${policy.refused}`);
      return;
    }
    void this.scripts.enqueue(`lvs/${e.vsKey}`, [resolveInvocation(script)], policy.identity);
  }

  /**
   * setupRealServer is real_server_setup: this host is a DR real server of the listed VIPs, so
   * at start (and on SIGHUP for added ones) it does what `keepvip realserver up` does, and at
   * stop (or for VIPs dropped from the list) what `down` does: only what it changed is undone.
   */
  private async setupRealServer(config: KeepvipConfig | undefined): Promise<void> {
    const vips = config?.globalDefs.lvs?.realServerSetup?.vips ?? [];
    const o = {
      stateFile: (this.o.stateFiles ?? lvsStateFiles('/run/keepvip.pid')).realServer,
      out: (line: string) => this.o.log.info(`real_server_setup: ${line}`),
    };
    const dropped = this.realServerVips.filter((v) => !vips.includes(v));
    try {
      if (dropped.length > 0) await realServerDown(dropped, o);
      if (vips.length > 0 && vips.some((v) => !this.realServerVips.includes(v))) await realServerUp(vips, o);
      this.realServerVips = [...vips];
    } catch (e) {
      this.o.log.error(`real_server_setup: ${(e as Error).message}`);
    }
  }

  /** openFifos opens lvs_notify_fifo (with its script) and notify_fifo (lines only: the runner reads it with its script). */
  private openFifos(config: KeepvipConfig): void {
    const g = config.globalDefs;
    const key = JSON.stringify([g.lvs?.notifyFifo, g.notifyFifo?.path]);
    if (key === this.fifoKey) return;
    this.fifoKey = key;
    this.closeFifos();
    const run = { clock: this.o.clock };
    const lvsFifo = g.lvs?.notifyFifo;
    if (lvsFifo?.path) this.lvsFifo = NotifyFifo.open(lvsFifo.path, lvsFifo.script, this.o.log, run);
    // The runner's notifier starts notify_fifo_script; this writer only adds the VS lines.
    if (g.notifyFifo?.path && g.notifyFifo.path !== lvsFifo?.path)
      this.notifyFifo = NotifyFifo.open(g.notifyFifo.path, undefined, this.o.log, run);
  }

  private closeFifos(): void {
    this.lvsFifo?.close();
    this.notifyFifo?.close();
    this.lvsFifo = undefined;
    this.notifyFifo = undefined;
  }
}
