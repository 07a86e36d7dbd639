/**
 * LvsReconciler converges the kernel's IPVS table to the desired one (desired.ts) by diffing
 * against what the kernel has (diff.ts), as kube-proxy's IPVS mode and seesaw do, rather than
 * replaying commands as keepalived does. Consequences: a reload never resets weights or re-adds
 * failed servers (verdicts live in the checkers, not in the table); an entry deleted by hand is
 * put back when its service is next read (each service once per delay_loop, one at a time; a
 * large table no faster than REREAD_DESTINATIONS_PER_S = 100 destinations a second); a restart adopts the table it
 * finds (equal entries cost nothing). A verdict change recomputes only its virtual server's
 * part of the desired table and diffs that part against the table as last known (read or
 * written), so it costs the one or two operations it needs and O(that block) CPU, not a dump
 * or a pass over the whole table (10,000 destinations). Only owned services are touched.
 */
import type { VerdictSource } from '../check/verdict.js';
import type { KeepvipConfig, LvsGlobals } from '../config/model.js';
import type { IpvsPort, IpvsStats, IpvsTable, IpvsTimeouts } from '../kernel/ipvs/types.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { SystemCallError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { type ApplyResult, applyPlan, describeOp } from './apply.js';
import { DesiredParts } from './desired-parts.js';
import { destinationKey, serviceKey, serviceOwners } from './desired.js';
import { diffTables, type IpvsPlan, planSize } from './diff.js';
import type { LvsEvent } from './events.js';
import type { OwnershipStore } from './ownership.js';
import { buildLvsStatus, type LastReconcile, type LvsState, type LvsStatus } from './status.js';

/** LvsReconcilerOptions wire the reconciler to the kernel, the clock and the checkers. */
export interface LvsReconcilerOptions {
  port: IpvsPort;
  clock: Clock;
  log: Logger;
  verdicts?: VerdictSource;
  /** onEvent receives real server up/down and quorum transitions (notify scripts, FIFO). */
  onEvent?: (e: LvsEvent) => void;
  /** ownership keeps the owned services across restarts (ownership.ts); without it only the configuration's are owned at start. */
  ownership?: OwnershipStore;
}

/** DEFAULT_DELAY_LOOP_MS is used when no virtual server gives one. */
const DEFAULT_DELAY_LOOP_MS = 60_000;

/**
 * REREAD_DESTINATIONS_PER_S bounds the periodic re-read: a table of D destinations is read again
 * every delay_loop but at most every D / REREAD_DESTINATIONS_PER_S seconds. Reading and decoding
 * a dump is O(table) on the VRRP thread: at delay_loop 1 s with 12,000 destinations it was most of
 * that thread's CPU and, through its garbage, of the process's GC threads (bench/checkers.ts in a
 * 1-CPU guest: VRRP advert lateness p50 0.4 s; at 1,000 a second, a read every 12 s still took
 * seconds there). keepalived never re-reads; a hand-deleted entry still comes back, within 2 min
 * at that size, within delay_loop for tables up to 100 x delay_loop destinations.
 */
export const REREAD_DESTINATIONS_PER_S = 100;

/** LvsReconciler owns the services of the configuration's virtual_server blocks. */
export class LvsReconciler {
  private config: KeepvipConfig | undefined;
  private state: LvsState = 'not-configured';
  private reason = '';
  /** parts are the desired table by virtual_server block, recomputed by block (desired-parts.ts). */
  private readonly parts: DesiredParts;
  /** known is the kernel table as last read (by service key), patched with what was written since. */
  private known: Map<string, TableEntry> | undefined;
  private stale = true;
  /** owned are the keys of the services keepvip programmed. */
  private owned = new Set<string>();
  /** savedOwned is the owned set as last written to the ownership store. */
  private savedOwned = '';
  private timer: TimerHandle | undefined;
  /** patrol are the keys of the services left to re-read in this round; patrolStepMs spaces them. */
  private patrol: string[] = [];
  private patrolStepMs = DEFAULT_DELAY_LOOP_MS;
  private chain: Promise<void> = Promise.resolve();
  private pending: { read: boolean; reason: string } | undefined;
  private unsubscribe: (() => void) | undefined;
  private savedTimeouts: IpvsTimeouts | undefined;
  private last: LastReconcile | undefined;
  /** reconciles counts convergences; operations the netlink requests they sent. */
  reconciles = 0;
  operations = 0;

  constructor(private readonly o: LvsReconcilerOptions) {
    this.parts = new DesiredParts((e) => this.emit(e), o.log);
  }

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
    // Adopt: every service the configuration describes is ours, whatever its current entries, and
    // so is every service a previous run recorded (deleted below if no longer wanted).
    const recorded = this.loadOwnership();
    this.owned = new Set([...serviceOwners(config).keys(), ...recorded]);
    this.savedOwned = JSON.stringify([...recorded].sort());
    this.unsubscribe = this.o.verdicts?.subscribe((key) => this.onVerdict(key));
    await this.reconcile(true, 'start');
  }

  /** setVerdicts connects the checkers' verdicts (when they start after the reconciler). */
  setVerdicts(verdicts: VerdictSource): void {
    this.unsubscribe?.();
    (this.o as { verdicts?: VerdictSource }).verdicts = verdicts;
    this.unsubscribe = verdicts.subscribe((key) => this.onVerdict(key));
    this.parts.markAll();
    this.schedule(false, 'verdicts connected');
  }

  /** reload takes a new configuration: weights and verdicts carry over; removed services are deleted. */
  async reload(config: KeepvipConfig): Promise<void> {
    const wasIdle = this.state === 'not-configured';
    this.config = config;
    this.parts.markAll();
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
    this.parts.markVerdict(key);
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

  /** compute recomputes the dirty blocks (events leave from there); 'all' after a start, reload or unknown server. */
  private compute(): Set<number> | 'all' | undefined {
    if (!this.config) return undefined;
    const verdicts = this.o.verdicts;
    return this.parts.compute(this.config, (k) => verdicts?.get(k));
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
    const desired = this.parts.desired;
    if (which === undefined || desired === undefined) return;
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
      want = desired.table;
      current = { services: [...this.known.values()] };
    } else {
      want = { services: this.parts.servicesOf(which) };
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
      // A deletion that failed stays owned until it is done.
      for (const f of result.failures) if (f.op.op === 'delete-service') this.owned.add(serviceKey(f.op.id));
      this.saveOwnership();
    }
    // A service no operation touched is, as read, the desired one: the read entry stays (a
    // 12,000-destination re-read copied every destination here: 0.9 s in the 1-CPU guest).
    const touched = new Set(plan.flat().map((op) => serviceKey('service' in op ? op.service.id : op.id)));
    for (const s of want.services) {
      const k = serviceKey(s.service.id);
      const got = known.get(k);
      if (got === undefined || touched.has(k)) known.set(k, withCounters(s, got));
    }
    this.record(reason, read, plan, result);
    // Only a full convergence re-arms the delay_loop re-read: frequent verdicts must not postpone it.
    if (full) this.arm();
  }

  private loadOwnership(): string[] {
    try {
      return this.o.ownership?.load() ?? [];
    } catch (e) {
      this.o.log.error(`IPVS: cannot read the owned services record: ${(e as Error).message}`);
      return [];
    }
  }

  /** saveOwnership records the owned services when they changed (a restart then knows what is ours). */
  private saveOwnership(clear = false): void {
    if (!this.o.ownership) return;
    const text = clear ? '[]' : JSON.stringify([...this.owned].sort());
    if (text === this.savedOwned) return;
    try {
      if (clear) this.o.ownership.clear();
      else this.o.ownership.save([...this.owned]);
      this.savedOwned = text;
    } catch (e) {
      this.o.log.error(`IPVS: cannot record the owned services: ${(e as Error).message}`);
    }
  }

  /**
   * arm starts a patrol round: every desired service is read again once per round, one service
   * per step, the steps spread evenly over the round (delay_loop, or longer for a large table:
   * REREAD_DESTINATIONS_PER_S). Reading the whole table at once held the VRRP thread for seconds
   * in the 1-CPU guest at 12,000 destinations; one service at a time, decoded a slice per turn of
   * the loop, lets the VRRP timers run in between.
   */
  private arm(): void {
    this.timer?.cancel();
    const loops = this.config?.virtualServers.map((v) => v.delayLoopMs) ?? [];
    let dests = 0;
    for (const e of this.known?.values() ?? []) dests += e.destinations.length;
    const floorMs = (1000 * dests) / REREAD_DESTINATIONS_PER_S;
    const roundMs = Math.max(loops.length > 0 ? Math.min(...loops) : DEFAULT_DELAY_LOOP_MS, floorMs);
    this.patrol = (this.parts.desired?.table.services ?? []).map((s) => serviceKey(s.service.id));
    this.patrolStepMs = roundMs / Math.max(1, this.patrol.length);
    this.armStep();
  }

  private armStep(): void {
    this.timer = this.o.clock.at(this.o.clock.nowMs() + this.patrolStepMs, () => {
      const key = this.patrol.shift();
      if (key === undefined) {
        this.arm();
        return;
      }
      this.chain = this.chain
        .then(() => this.patrolOne(key))
        .catch((e: Error) => {
          this.stale = true;
          this.o.log.error(`IPVS: re-read of ${key} failed: ${e.message}`);
        });
      if (this.patrol.length > 0) this.armStep();
      else this.arm();
    });
  }

  /**
   * patrolOne reads one service again and puts back what changed behind keepvip's back (ipvsadm
   * by hand): a deleted service or destination, an edited weight or scheduler. After a failure
   * (stale) the next convergence reads the whole table instead.
   */
  private async patrolOne(key: string): Promise<void> {
    if (this.state !== 'programmed' || this.known === undefined) return;
    if (this.stale) {
      await this.converge(true, 'delay_loop');
      return;
    }
    const want = this.parts.desired?.table.services.find((s) => serviceKey(s.service.id) === key);
    if (want === undefined) return; // no longer desired: the reload's convergence deletes it
    const id = want.service.id;
    let got: TableEntry | undefined;
    try {
      const service = await this.o.port.getService(id);
      got = { service, destinations: await this.o.port.getDestinations(id) };
    } catch (e) {
      if (!(e instanceof SystemCallError && (e.errno === 'ESRCH' || e.errno === 'ENOENT'))) throw e;
    }
    const plan = diffTables({ services: [want] }, { services: got ? [got] : [] });
    let result: ApplyResult = { operations: 0, failures: [] };
    if (plan.length > 0) {
      result = await applyPlan(this.o.port, plan);
      this.o.log.info(
        `IPVS: ${key} differed from the configuration; ${planSize(plan)} operation(s) put it back`,
      );
      for (const op of plan.flat()) this.o.log.debug(`IPVS: ${describeOp(op)}`);
    }
    for (const f of result.failures) this.o.log.error(`IPVS: ${describeOp(f.op)}: ${f.error}`);
    const before = this.known.get(key);
    if (plan.length > 0 || before === undefined) this.known.set(key, withCounters(want, got));
    else this.known.set(key, refreshCounters(before, got!));
    if (plan.length > 0) this.record('delay_loop', true, plan, result);
  }

  /** record counts a convergence that planned `plan` and keeps it as the last one (status); a failure makes the table stale. */
  private record(reason: string, read: boolean, plan: IpvsPlan, result: ApplyResult): void {
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
          const st = [...(this.parts.desired?.servers.values() ?? [])].find((s) => s.server === rs);
          if (st?.alive)
            this.emit({ type: 'rs', vs, rs, vsKey: st.vsKey, rsKey: st.key, alive: false, stopping: true });
        }
        const vsKey = [...(this.parts.desired?.servers.values() ?? [])].find((s) =>
          vs.realServers.includes(s.server),
        )?.vsKey;
        if (vsKey && this.parts.quorumUp(vsKey))
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
      this.saveOwnership(true);
    } else this.saveOwnership();
    if (this.savedTimeouts) await this.o.port.setTimeouts(this.savedTimeouts).catch(() => {});
    this.state = 'stopped';
  }

  /** status is the `lvs` section of `keepvip status`. */
  status(): LvsStatus {
    return buildLvsStatus({
      state: this.state,
      reason: this.reason,
      desired: this.parts.desired,
      known: this.known === undefined ? undefined : { services: [...this.known.values()] },
      last: this.last,
      reconciles: this.reconciles,
      operations: this.operations,
      ...(this.config ? { virtualServers: this.config.virtualServers } : {}),
    });
  }
}

type TableEntry = IpvsTable['services'][number];

/**
 * refreshCounters is the entry already known with the counters of the same service as read
 * (which equals it otherwise): the known entry itself when no counter moved, else a copy in which
 * only the destinations whose counters moved are new. Replacing all 1,000 destinations of a step
 * promoted them to V8's old generation, whose collections then held the VRRP thread
 * (bench/checkers.ts, 1-CPU guest). Known entries may share objects with the desired table, so
 * nothing is changed in place.
 */
function refreshCounters(known: TableEntry, read: TableEntry): TableEntry {
  // Never read since it was written (the desired entry itself): the read one replaces it whole.
  if (known.service.stats === undefined) return read;
  const byDest = new Map(read.destinations.map((d) => [destinationKey(d), d]));
  let destinations: TableEntry['destinations'] | undefined;
  known.destinations.forEach((d, i) => {
    const g = byDest.get(destinationKey(d));
    if (g === undefined) return;
    const stats = sameStats(d.stats, g.stats) ? d.stats : g.stats;
    if (
      stats === d.stats &&
      (g.activeConns ?? d.activeConns) === d.activeConns &&
      (g.inactConns ?? d.inactConns) === d.inactConns &&
      (g.persistConns ?? d.persistConns) === d.persistConns
    )
      return;
    destinations ??= [...known.destinations];
    const out = { ...d };
    if (stats !== undefined) out.stats = stats;
    if (g.activeConns !== undefined) out.activeConns = g.activeConns;
    if (g.inactConns !== undefined) out.inactConns = g.inactConns;
    if (g.persistConns !== undefined) out.persistConns = g.persistConns;
    destinations[i] = out;
  });
  const serviceStats = sameStats(known.service.stats, read.service.stats)
    ? known.service.stats
    : read.service.stats;
  if (destinations === undefined && serviceStats === known.service.stats) return known;
  return {
    service: serviceStats === known.service.stats ? known.service : { ...known.service, stats: serviceStats },
    destinations: destinations ?? known.destinations,
  };
}

/** sameStats tells whether two statistics hold the same counters. */
function sameStats(a: IpvsStats | undefined, b: IpvsStats | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return (
    a.conns === b.conns &&
    a.inPkts === b.inPkts &&
    a.outPkts === b.outPkts &&
    a.inBytes === b.inBytes &&
    a.outBytes === b.outBytes &&
    a.cps === b.cps &&
    a.inPps === b.inPps &&
    a.outPps === b.outPps &&
    a.inBps === b.inBps &&
    a.outBps === b.outBps
  );
}

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
