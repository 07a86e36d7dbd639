/**
 * LvsReconciler converges the kernel's IPVS table to the desired one (desired.ts) by diffing
 * against what the kernel has (diff.ts), as kube-proxy's IPVS mode and seesaw do, rather than
 * replaying commands as keepalived does. Consequences: a reload never resets weights or re-adds
 * failed servers (verdicts live in the checkers, not in the table); an entry deleted by hand is
 * put back at the next read of the kernel (every delay_loop); a restart adopts the table it
 * finds (equal entries cost nothing). A verdict change recomputes only its virtual server's
 * part of the desired table and diffs that part against the table as last known (read or
 * written), so it costs the one or two operations it needs and O(that block) CPU, not a dump
 * or a pass over the whole table (10,000 destinations). Only owned services are touched.
 */
import type { VerdictSource } from '../check/verdict.js';
import type { KeepvipConfig, LvsGlobals } from '../config/model.js';
import type { IpvsPort, IpvsTable, IpvsTimeouts } from '../kernel/ipvs/types.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { type ApplyResult, applyPlan, describeOp } from './apply.js';
import {
  assembleDesired,
  computeVirtualServer,
  type DesiredTable,
  destinationKey,
  lvsRealServerKey,
  lvsVirtualServerKey,
  serviceKey,
  serviceOwners,
  type VirtualServerPart,
} from './desired.js';
import { diffTables, planSize } from './diff.js';
import type { LvsEvent } from './events.js';
import { buildLvsStatus, type LastReconcile, type LvsState, type LvsStatus } from './status.js';

/** LvsReconcilerOptions wire the reconciler to the kernel, the clock and the checkers. */
export interface LvsReconcilerOptions {
  port: IpvsPort;
  clock: Clock;
  log: Logger;
  verdicts?: VerdictSource;
  /** onEvent receives real server up/down and quorum transitions (notify scripts, FIFO). */
  onEvent?: (e: LvsEvent) => void;
}

/** DEFAULT_DELAY_LOOP_MS is used when no virtual server gives one. */
const DEFAULT_DELAY_LOOP_MS = 60_000;

/** LvsReconciler owns the services of the configuration's virtual_server blocks. */
export class LvsReconciler {
  private config: KeepvipConfig | undefined;
  private state: LvsState = 'not-configured';
  private reason = '';
  /** parts are the desired table by virtual_server block (configuration order); desired joins them. */
  private parts: VirtualServerPart[] | undefined;
  private desiredCache: DesiredTable | undefined;
  /** owners maps a service key to its block's index; byServer a real server key to its blocks. */
  private owners = new Map<string, number>();
  private byServer = new Map<string, number[]>();
  /** dirty are the blocks whose verdicts changed since the last convergence ('all': recompute every one). */
  private dirty: Set<number> | 'all' = 'all';
  /** known is the kernel table as last read (by service key), patched with what was written since. */
  private known: Map<string, TableEntry> | undefined;
  private stale = true;
  private readonly quorum = new Map<string, boolean>();
  private readonly alive = new Map<string, boolean>();
  /** owned are the keys of the services keepvip programmed. */
  private owned = new Set<string>();
  private timer: TimerHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  private pending: { read: boolean; reason: string } | undefined;
  private unsubscribe: (() => void) | undefined;
  private savedTimeouts: IpvsTimeouts | undefined;
  private last: LastReconcile | undefined;
  /** reconciles counts convergences; operations the netlink requests they sent. */
  reconciles = 0;
  operations = 0;

  constructor(private readonly o: LvsReconcilerOptions) {}

  /** start checks the kernel, applies lvs_flush / lvs_timeouts, adopts the table and converges. */
  async start(config: KeepvipConfig): Promise<void> {
    this.config = config;
    if (config.virtualServers.length === 0 && !config.globalDefs.lvs?.syncDaemon) return;
    const ok = await this.o.port.available().catch(() => false);
    if (!ok) {
      this.state = 'not-programmed';
      this.reason = 'the kernel has no IPVS (generic netlink family IPVS not found)';
      this.o.log.warn(`IPVS: ${this.reason}; virtual_server blocks are not programmed, VRRP keeps running`);
      return;
    }
    this.state = 'programmed';
    const lvs = config.globalDefs.lvs;
    if (lvs?.flush) {
      this.o.log.info('IPVS: lvs_flush: flushing the whole table');
      await this.o.port.flush().catch((e: Error) => this.o.log.error(`IPVS: flush failed: ${e.message}`));
    }
    await this.applyTimeouts(lvs);
    // Adopt: every service the configuration describes is ours, whatever its current entries.
    this.owned = new Set(serviceOwners(config).keys());
    this.unsubscribe = this.o.verdicts?.subscribe((key) => this.onVerdict(key));
    await this.reconcile(true, 'start');
  }

  /** setVerdicts connects the checkers' verdicts (when they start after the reconciler). */
  setVerdicts(verdicts: VerdictSource): void {
    this.unsubscribe?.();
    (this.o as { verdicts?: VerdictSource }).verdicts = verdicts;
    this.unsubscribe = verdicts.subscribe((key) => this.onVerdict(key));
    this.dirty = 'all';
    this.schedule(false, 'verdicts connected');
  }

  /** reload takes a new configuration: weights and verdicts carry over; removed services are deleted. */
  async reload(config: KeepvipConfig): Promise<void> {
    const wasIdle = this.state === 'not-configured';
    this.config = config;
    this.dirty = 'all';
    if (wasIdle) return this.start(config);
    if (this.state !== 'programmed') return;
    await this.applyTimeouts(config.globalDefs.lvs);
    await this.reconcile(true, 'reload');
  }

  /** reconcile converges now (read: dump the kernel table first) and re-arms the delay_loop timer. */
  reconcile(read: boolean, reason: string): Promise<void> {
    this.chain = this.chain
      .then(() => this.converge(read || this.stale, reason))
      .catch((e: Error) => {
        this.stale = true;
        this.o.log.error(`IPVS: reconcile (${reason}) failed: ${e.message}`);
      });
    return this.chain;
  }

  /** onVerdict marks the block of a changed real server for recomputation and schedules a convergence. */
  private onVerdict(key: string): void {
    const blocks = this.byServer.get(key);
    if (this.dirty !== 'all') {
      if (blocks === undefined) this.dirty = 'all';
      else for (const i of blocks) this.dirty.add(i);
    }
    this.schedule(false, 'verdict');
  }

  /** schedule coalesces triggers: one pending convergence at most. */
  private schedule(read: boolean, reason: string): void {
    if (this.state !== 'programmed') {
      // Still compute states and events so status and notifications follow the checkers.
      if (this.state === 'not-programmed') this.compute();
      return;
    }
    if (this.pending) {
      this.pending.read ||= read;
      return;
    }
    this.pending = { read, reason };
    this.chain = this.chain
      .then(async () => {
        const p = this.pending!;
        this.pending = undefined;
        await this.converge(p.read || this.stale, p.reason);
      })
      .catch((e: Error) => {
        this.stale = true;
        this.o.log.error(`IPVS: reconcile failed: ${e.message}`);
      });
  }

  /** desired is the whole desired table (joined from the parts when asked: status, stop). */
  private get desired(): DesiredTable | undefined {
    if (this.parts === undefined) return undefined;
    this.desiredCache ??= assembleDesired(this.parts);
    return this.desiredCache;
  }

  /**
   * compute recomputes the dirty blocks (all of them after a start, reload or unknown server)
   * and returns the indices it recomputed, or 'all'. Up/down and quorum events leave from here.
   */
  private compute(stopping = false): Set<number> | 'all' | undefined {
    const config = this.config;
    if (!config) return undefined;
    const verdicts = this.o.verdicts;
    const lookup = (k: string) => verdicts?.get(k);
    const groups = config.virtualServerGroups ?? [];
    let which = this.dirty;
    if (this.parts === undefined || this.parts.length !== config.virtualServers.length) which = 'all';
    this.dirty = new Set();
    if (which !== 'all' && which.size === 0) return which;
    const prevAlive = this.alive;
    const prevQuorum = this.quorum;
    if (which === 'all') {
      this.owners = serviceOwners(config);
      this.byServer = new Map();
      config.virtualServers.forEach((vs, i) => {
        for (const rs of vs.realServers) {
          const k = lvsRealServerKey(vs, rs);
          const list = this.byServer.get(k);
          if (list === undefined) this.byServer.set(k, [i]);
          else list.push(i);
        }
      });
    }
    const indices = which === 'all' ? config.virtualServers.map((_, i) => i) : [...which];
    const parts = which === 'all' ? new Array<VirtualServerPart>(indices.length) : this.parts!;
    for (const i of indices) {
      const vs = config.virtualServers[i]!;
      const part = computeVirtualServer(
        vs,
        groups,
        lookup,
        prevQuorum.get(lvsVirtualServerKey(vs)),
        (k) => this.owners.get(k) === i,
      );
      parts[i] = part;
      this.noteEvents(vs, part, stopping);
    }
    if (which === 'all') {
      // A virtual server or real server that left the configuration starts afresh if it comes back.
      const vsKeys = new Set(parts.map((p) => p.vsKey));
      const rsKeys = new Set(this.byServer.keys());
      for (const k of prevQuorum.keys()) if (!vsKeys.has(k)) prevQuorum.delete(k);
      for (const k of prevAlive.keys()) if (!rsKeys.has(k)) prevAlive.delete(k);
    }
    this.parts = parts;
    this.desiredCache = undefined;
    return which === 'all' ? 'all' : new Set(indices);
  }

  /** noteEvents records a block's new server and quorum states and emits what changed. */
  private noteEvents(
    vs: KeepvipConfig['virtualServers'][number],
    part: VirtualServerPart,
    stopping: boolean,
  ): void {
    for (const st of part.servers) {
      const before = this.alive.get(st.key);
      this.alive.set(st.key, st.alive);
      if (before !== undefined && before !== st.alive) {
        this.o.log.info(`${st.alive ? 'Adding' : 'Removing'} service ${st.key} (${st.reason})`);
        this.emit({
          type: 'rs',
          vs,
          rs: st.server,
          vsKey: st.vsKey,
          rsKey: st.key,
          alive: st.alive,
          stopping,
        });
      }
    }
    const q = part.quorum;
    const before = this.quorum.get(part.vsKey);
    this.quorum.set(part.vsKey, q.up);
    if (before !== undefined && before !== q.up) {
      this.o.log.info(
        `${q.up ? 'Gained' : 'Lost'} quorum ${q.quorum}${q.up ? '+' : '-'}${q.hysteresis} (live weight ${q.liveWeight}) for VS ${part.vsKey}`,
      );
      this.emit({ type: 'quorum', vs, vsKey: part.vsKey, up: q.up, stopping });
    }
  }

  private emit(e: LvsEvent): void {
    try {
      this.o.onEvent?.(e);
    } catch (err) {
      this.o.log.error(`IPVS: event handler failed: ${(err as Error).message}`);
    }
  }

  /**
   * converge diffs and applies. A full one (start, reload, delay_loop, after a failure) reads
   * the kernel and diffs every owned service; a verdict change recomputes its block alone and
   * diffs that block's services against the table as last known: O(block), not O(table).
   */
  private async converge(read: boolean, reason: string): Promise<void> {
    if (this.state !== 'programmed' || !this.config) return;
    const which = this.compute();
    if (which === undefined || this.parts === undefined) return;
    const full = read || which === 'all' || this.known === undefined;
    let current: IpvsTable;
    let want: IpvsTable;
    if (full) {
      if (read || this.known === undefined) {
        this.known = new Map(
          (await this.o.port.getTable()).services.map((e) => [serviceKey(e.service.id), e]),
        );
        this.stale = false;
      }
      want = this.desired!.table;
      current = { services: [...this.known.values()] };
    } else {
      want = { services: [...which].flatMap((i) => this.parts![i]!.services) };
      const known = this.known!;
      current = {
        services: want.services.flatMap((s) => known.get(serviceKey(s.service.id)) ?? []),
      };
    }
    const plan = diffTables(want, current, full ? this.owned : new Set());
    let result: ApplyResult = { operations: 0, failures: [] };
    if (plan.length > 0) {
      result = await applyPlan(this.o.port, plan);
      for (const op of plan.flat()) this.o.log.debug(`IPVS: ${describeOp(op)}`);
    }
    for (const f of result.failures) this.o.log.error(`IPVS: ${describeOp(f.op)}: ${f.error}`);
    // The kernel now holds the desired services (counters as last read); others are as read.
    const known = this.known!;
    if (full) {
      const wanted = new Set(want.services.map((s) => serviceKey(s.service.id)));
      for (const k of this.owned) if (!wanted.has(k)) known.delete(k);
      this.owned = wanted;
    }
    for (const s of want.services) {
      const k = serviceKey(s.service.id);
      known.set(k, withCounters(s, known.get(k)));
    }
    if (result.failures.length > 0) this.stale = true;
    this.reconciles++;
    this.operations += result.operations;
    this.last = {
      atMs: this.o.clock.nowMs(),
      reason,
      read,
      planned: planSize(plan),
      operations: result.operations,
      failures: result.failures.map((f) => `${describeOp(f.op)}: ${f.error}`),
    };
    // Only a full convergence re-arms the delay_loop re-read: frequent verdicts must not postpone it.
    if (full) this.arm();
  }

  private arm(): void {
    this.timer?.cancel();
    const loops = this.config?.virtualServers.map((v) => v.delayLoopMs) ?? [];
    const delay = loops.length > 0 ? Math.min(...loops) : DEFAULT_DELAY_LOOP_MS;
    this.timer = this.o.clock.at(this.o.clock.nowMs() + delay, () => this.schedule(true, 'delay_loop'));
  }

  private async applyTimeouts(lvs: LvsGlobals | undefined): Promise<void> {
    const t = lvs?.timeouts;
    if (!t || (t.tcp === 0 && t.tcpFin === 0 && t.udp === 0)) return;
    try {
      this.savedTimeouts ??= await this.o.port.getTimeouts();
      await this.o.port.setTimeouts(t);
    } catch (e) {
      this.o.log.error(`IPVS: lvs_timeouts: ${(e as Error).message}`);
    }
  }

  /**
   * stop is keepalived's clear_services on SIGTERM: the owned services go (lvs_flush_on_stop:
   * the whole table), changed timeouts are restored; `keep` leaves the table for a restart to adopt.
   */
  async stop(keep = false): Promise<void> {
    this.timer?.cancel();
    this.unsubscribe?.();
    await this.chain;
    if (this.state !== 'programmed' || !this.config) {
      this.state = this.state === 'programmed' ? 'stopped' : this.state;
      return;
    }
    const lvs = this.config.globalDefs.lvs;
    if (!keep) {
      for (const vs of this.config.virtualServers) {
        if (!vs.omega) continue;
        // omega: notifiers run all the way down the exit (keepalived clear_service_rs / update_vs_notifies).
        for (const rs of vs.realServers) {
          const st = [...(this.desired?.servers.values() ?? [])].find((s) => s.server === rs);
          if (st?.alive)
            this.emit({ type: 'rs', vs, rs, vsKey: st.vsKey, rsKey: st.key, alive: false, stopping: true });
        }
        const vsKey = [...(this.desired?.servers.values() ?? [])].find((s) =>
          vs.realServers.includes(s.server),
        )?.vsKey;
        if (vsKey && this.quorum.get(vsKey))
          this.emit({ type: 'quorum', vs, vsKey, up: false, stopping: true });
      }
      if (lvs?.flushOnStop === 'full')
        await this.o.port.flush().catch((e: Error) => this.o.log.error(`IPVS: flush failed: ${e.message}`));
      else {
        const ids = [...(this.known?.values() ?? [])]
          .filter((s) => this.owned.has(serviceKey(s.service.id)))
          .map((s) => s.service.id);
        const r = await applyPlan(this.o.port, [ids.map((id) => ({ op: 'delete-service' as const, id }))]);
        for (const f of r.failures) this.o.log.error(`IPVS: ${describeOp(f.op)}: ${f.error}`);
        this.o.log.info(`IPVS: removed ${ids.length} service(s)`);
      }
    }
    if (this.savedTimeouts) await this.o.port.setTimeouts(this.savedTimeouts).catch(() => {});
    this.state = 'stopped';
  }

  /** status is the `lvs` section of `keepvip status`. */
  status(): LvsStatus {
    return buildLvsStatus({
      state: this.state,
      reason: this.reason,
      desired: this.desired,
      known: this.known === undefined ? undefined : { services: [...this.known.values()] },
      last: this.last,
      reconciles: this.reconciles,
      operations: this.operations,
    });
  }
}

type TableEntry = IpvsTable['services'][number];

/** withCounters is a desired entry carrying the statistics of the same entry as read. */
function withCounters(want: TableEntry, got: TableEntry | undefined): TableEntry {
  if (!got) return want;
  const byDest = new Map(got.destinations.map((d) => [destinationKey(d), d]));
  return {
    service: got.service.stats ? { ...want.service, stats: got.service.stats } : want.service,
    destinations: want.destinations.map((d) => {
      const g = byDest.get(destinationKey(d));
      if (!g) return d;
      const out = { ...d };
      if (g.stats) out.stats = g.stats;
      if (g.activeConns !== undefined) out.activeConns = g.activeConns;
      if (g.inactConns !== undefined) out.inactConns = g.inactConns;
      if (g.persistConns !== undefined) out.persistConns = g.persistConns;
      return out;
    }),
  };
}
