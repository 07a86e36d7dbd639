/**
 * Effective priority from tracked objects, as keepalived computes it: each tracked object with a
 * weight adds it while good (weight > 0) or while failing (weight < 0); `reverse` inverts the
 * object's verdict; a weight-0 object that fails puts the instance in FAULT. The result is clamped to
 * 1..254, and a priority-255 address owner is never changed.
 */

/** TrackedState is one tracked object's current verdict with the weight that applies to it. */
export interface TrackedState {
  name: string;
  good: boolean;
  weight: number;
  reverse: boolean;
}

/** PriorityVerdict is the effective priority and whether tracking demands FAULT. */
export interface PriorityVerdict {
  priority: number;
  fault: boolean;
  faultBy: string[];
}

/** effectivePriority folds tracked objects into the base priority. */
export function effectivePriority(base: number, tracked: readonly TrackedState[]): PriorityVerdict {
  let delta = 0;
  const faultBy: string[] = [];
  for (const t of tracked) {
    // `reverse` inverts the object's verdict: "weight 0 reverse" faults while the script succeeds.
    const good = t.reverse ? !t.good : t.good;
    if (t.weight === 0) {
      if (!good) faultBy.push(t.name);
    } else if (t.weight > 0 ? good : !good) {
      // keepalived: weight > 0 adds while OK, weight < 0 adds (subtracts) while KO.
      delta += t.weight;
    }
  }
  if (base === 255) return { priority: 255, fault: faultBy.length > 0, faultBy };
  const priority = Math.min(254, Math.max(1, base + delta));
  return { priority, fault: faultBy.length > 0, faultBy };
}
