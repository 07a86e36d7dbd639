/**
 * InstanceCounters are what `keepvip status` and the metrics endpoint report per instance, the
 * counters keepalived keeps in its stats dump (SIGUSR2) plus drops by reason.
 */
export interface InstanceCounters {
  advertsSent: number;
  advertsReceived: number;
  priorityZeroSent: number;
  priorityZeroReceived: number;
  becameMaster: number;
  releasedMaster: number;
  /** splitBrainEpisodes counts split-brain episodes detected while MASTER (keepvip's own, see notify/split-brain.ts). */
  splitBrainEpisodes: number;
  /** drops counts rejected advertisements by RejectReason. */
  drops: Record<string, number>;
}

/** newInstanceCounters returns zeroed counters. */
export function newInstanceCounters(): InstanceCounters {
  return {
    advertsSent: 0,
    advertsReceived: 0,
    priorityZeroSent: 0,
    priorityZeroReceived: 0,
    becameMaster: 0,
    releasedMaster: 0,
    splitBrainEpisodes: 0,
    drops: {},
  };
}

/** countDrop adds one drop for a reason. */
export function countDrop(drops: Record<string, number>, reason: string): void {
  drops[reason] = (drops[reason] ?? 0) + 1;
}
