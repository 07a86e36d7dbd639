/**
 * The desired IPVS table kept by virtual_server block, so that a verdict change recomputes its
 * block alone (desired.ts computeVirtualServer) instead of the whole table: with 500 virtual
 * servers of 20 real servers, one weight change costs 20 verdict look-ups, not 10,000. Also the
 * real servers' and quorums' previous states, from which the up/down and quorum events come
 * (keepalived logs "Adding/Removing service", "Gained/Lost quorum").
 */
import type { KeepvipConfig, VirtualServer } from '../config/model.js';
import type { IpvsTable } from '../kernel/ipvs/types.js';
import type { Logger } from '../util/logger.js';
import {
  assembleDesired,
  computeVirtualServer,
  type DesiredTable,
  lvsRealServerKey,
  lvsVirtualServerKey,
  serviceOwners,
  type VerdictLookup,
  type VirtualServerPart,
} from './desired.js';
import type { LvsEvent } from './events.js';

type Config = Pick<KeepvipConfig, 'virtualServers' | 'virtualServerGroups'>;

/** DesiredParts is the desired table by block, with the dirty blocks to recompute. */
export class DesiredParts {
  /** parts are by virtual_server block (configuration order); desired joins them. */
  private parts: VirtualServerPart[] | undefined;
  private desiredCache: DesiredTable | undefined;
  /** owners maps a service key to its block's index; byServer a real server key to its blocks. */
  private owners = new Map<string, number>();
  private byServer = new Map<string, number[]>();
  /** dirty are the blocks whose verdicts changed since the last computation ('all': every one). */
  private dirty: Set<number> | 'all' = 'all';
  private readonly quorum = new Map<string, boolean>();
  private readonly alive = new Map<string, boolean>();

  constructor(
    private readonly emit: (e: LvsEvent) => void,
    private readonly log: Logger,
  ) {}

  /** markAll makes the next computation recompute every block (start, reload, new verdict source). */
  markAll(): void {
    this.dirty = 'all';
  }

  /** markVerdict marks the blocks of a real server whose verdict changed (an unknown one: every block). */
  markVerdict(key: string): void {
    if (this.dirty === 'all') return;
    const blocks = this.byServer.get(key);
    if (blocks === undefined) this.dirty = 'all';
    else for (const i of blocks) this.dirty.add(i);
  }

  /** quorumUp is a virtual server's quorum state as last computed. */
  quorumUp(vsKey: string): boolean | undefined {
    return this.quorum.get(vsKey);
  }

  /** servicesOf lists the desired services of these blocks. */
  servicesOf(blocks: Iterable<number>): IpvsTable['services'] {
    return [...blocks].flatMap((i) => this.parts?.[i]?.services ?? []);
  }

  /** desired is the whole desired table (joined from the parts when asked: status, stop). */
  get desired(): DesiredTable | undefined {
    if (this.parts === undefined) return undefined;
    this.desiredCache ??= assembleDesired(this.parts);
    return this.desiredCache;
  }

  /**
   * compute recomputes the dirty blocks (all of them after a start, reload or unknown server)
   * and returns the indices it recomputed, or 'all'. Up/down and quorum events leave from here.
   */
  compute(config: Config, lookup: VerdictLookup, stopping = false): Set<number> | 'all' {
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
  private noteEvents(vs: VirtualServer, part: VirtualServerPart, stopping: boolean): void {
    for (const st of part.servers) {
      const before = this.alive.get(st.key);
      this.alive.set(st.key, st.alive);
      if (before !== undefined && before !== st.alive) {
        this.log.info(`${st.alive ? 'Adding' : 'Removing'} service ${st.key} (${st.reason})`);
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
      this.log.info(
        `${q.up ? 'Gained' : 'Lost'} quorum ${q.quorum}${q.up ? '+' : '-'}${q.hysteresis} (live weight ${q.liveWeight}) for VS ${part.vsKey}`,
      );
      this.emit({ type: 'quorum', vs, vsKey: part.vsKey, up: q.up, stopping });
    }
  }
}
