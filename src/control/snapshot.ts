/**
 * The daemon as control/ sees it: one plain snapshot built from the runner's status, the running
 * configuration and (when present) the IPVS table and real-server verdicts. Every renderer
 * (status text, Prometheus, keepalived's dumps) reads this and nothing else, so they are pure
 * functions tested on text.
 */
import type { CheckSnapshot } from '../check/snapshot.js';
import type { KeepvipConfig, VirtualIpAddress, VrrpInstance } from '../config/model.js';
import type { LvsStatus } from '../lvs/status.js';
import type { InstanceCounters } from '../util/counters.js';
import { newInstanceCounters } from '../util/counters.js';
import type { LatenessStats } from '../util/timer-heap.js';
import { lvsViewOf } from './lvs-adapter.js';
import { NO_IPVS, type LvsView } from './lvs-view.js';

/** TrackView is one tracked object of an instance (`script chk`, `interface eth0`, `file f`, `process p`). */
export interface TrackView {
  name: string;
  good: boolean;
  weight: number;
  value?: number;
  lastRun?: { at: string; exitCode?: number; timedOut: boolean };
}

/** TransitionView is one state change (wall time, states, why). */
export interface TransitionView {
  wallTime: string;
  from: string;
  to: string;
  reason: string;
}

/** InstanceView is one vrrp_instance: live state plus the configuration renderers need. */
export interface InstanceView {
  name: string;
  state: string;
  basePriority: number;
  effectivePriority: number;
  masterAddress?: string;
  /** masterPriority / masterAdvertIntervalMs describe the master last heard, when the runner reports them. */
  masterPriority?: number;
  masterAdvertIntervalMs?: number;
  interface: string;
  vrid: number;
  version: number;
  vips: string[];
  faults: string[];
  tracks: TrackView[];
  counters: InstanceCounters;
  transitions: TransitionView[];
}

/** RunnerStatusLike is the part of VrrpRunner.status() the snapshot reads (fields may be missing before start). */
export interface RunnerStatusLike {
  instances: Partial<InstanceView>[];
  drops: Record<string, number>;
}

/** DaemonSnapshot is everything the renderers read. */
export interface DaemonSnapshot {
  config: KeepvipConfig;
  instances: InstanceView[];
  /** drops counts packets no instance claimed (unknown VRID...) by reason. */
  drops: Record<string, number>;
  lvs: LvsView;
  /** checks is the real-server checkers' snapshot (src/check/snapshot.ts), when they run. */
  checks?: CheckSnapshot;
  /** timers is how late the daemon's timers fired (util/timer-heap.ts), when known. */
  timers?: LatenessStats;
}

/** instanceViews aligns the runner's status with the configuration (same order) and fills defaults. */
export function instanceViews(status: RunnerStatusLike, config: KeepvipConfig): InstanceView[] {
  return config.vrrpInstances.map((inst, i) => {
    const s = status.instances.find((x) => x.name === inst.name) ?? status.instances[i] ?? {};
    return {
      name: inst.name,
      state: s.state ?? 'INIT',
      basePriority: s.basePriority ?? inst.priority,
      effectivePriority: s.effectivePriority ?? inst.priority,
      masterAddress: s.masterAddress,
      ...(s.masterPriority !== undefined ? { masterPriority: s.masterPriority } : {}),
      ...(s.masterAdvertIntervalMs !== undefined ? { masterAdvertIntervalMs: s.masterAdvertIntervalMs } : {}),
      interface: s.interface ?? inst.interface,
      vrid: s.vrid ?? inst.virtualRouterId,
      version: s.version ?? inst.version,
      vips: s.vips ?? inst.virtualIpAddresses.map((v) => `${v.address}/${v.prefixLength}`),
      faults: s.faults ?? [],
      tracks: s.tracks ?? [],
      counters: s.counters ?? newInstanceCounters(),
      transitions: s.transitions ?? [],
    };
  });
}

/** keepalivedAddress formats a VIP as keepalived's format_ipaddress does (`10.0.0.1/24 dev eth0 scope global`). */
export function keepalivedAddress(v: VirtualIpAddress, inst: Pick<VrrpInstance, 'interface'>): string {
  const full = v.family === 'inet6' ? 128 : 32;
  // keepalived's ipaddresstos: the prefix only when it is not a host prefix.
  let s = v.prefixLength === full ? v.address : `${v.address}/${v.prefixLength}`;
  if (v.brd) s += ` brd ${v.brd}`;
  s += ` dev ${v.dev ?? inst.interface} scope ${v.scope ?? 'global'}`;
  if (v.label) s += ` label ${v.label}`;
  return s;
}

/** daemonSnapshot builds the renderers' snapshot from the runner's status and the running configuration. */
export function daemonSnapshot(
  status: RunnerStatusLike,
  config: KeepvipConfig,
  lvs: LvsView = NO_IPVS,
  checks?: CheckSnapshot,
  timers?: LatenessStats,
): DaemonSnapshot {
  return {
    config,
    instances: instanceViews(status, config),
    drops: status.drops,
    lvs,
    ...(checks ? { checks } : {}),
    ...(timers ? { timers } : {}),
  };
}

/** StatusLike is the daemon's status document as far as the snapshot reads it (lvs and checkers when they run). */
export type StatusLike = RunnerStatusLike & {
  lvs?: LvsStatus;
  checkers?: CheckSnapshot;
  timers?: LatenessStats;
};

/** snapshotFromStatus builds the renderers' snapshot from the daemon's status document. */
export function snapshotFromStatus(doc: StatusLike, config: KeepvipConfig): DaemonSnapshot {
  return daemonSnapshot(doc, config, lvsViewOf(doc.lvs), doc.checkers, doc.timers);
}
