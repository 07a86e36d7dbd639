/**
 * Effective priority from tracked objects, as keepalived computes it: each tracked object with a
 * weight adds it while good (weight > 0) or while failing (weight < 0); `reverse` flips the sign
 * of that adjustment; a weight-0 object that fails (or, reversed, succeeds) puts the instance in
 * FAULT; a track_file adds its value x weight. The result is clamped to
 * 1..254, and a priority-255 address owner is never changed.
 */

/** TrackedState is one tracked object's current verdict with the weight that applies to it. */
export interface TrackedState {
  name: string;
  good: boolean;
  weight: number;
  reverse: boolean;
  /**
   * value is set for a track_file: the number read from the file. keepalived.conf(5) "Track
   * files": with weight 0 a non-zero value is a failure (FAULT); otherwise value x weight (negated
   * by `reverse`) is added to the priority, and a result below -253 means FAULT.
   */
  value?: number;
}

/** TRACK_FILE_FAULT_BELOW: a track_file contribution below this puts the instance in FAULT. */
export const TRACK_FILE_FAULT_BELOW = -253;

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
    if (t.value !== undefined) {
      if (t.weight === 0) {
        if (t.value !== 0) faultBy.push(t.name);
        continue;
      }
      const contribution = t.value * t.weight * (t.reverse ? -1 : 1);
      if (contribution < TRACK_FILE_FAULT_BELOW) faultBy.push(t.name);
      else delta += contribution;
      continue;
    }
    if (t.weight === 0) {
      // "'weight 0 reverse' will cause the vrrp instance to be down when the [object] is up".
      if (t.reverse ? t.good : !t.good) faultBy.push(t.name);
    } else if (t.weight > 0 ? t.good : !t.good) {
      // keepalived.conf(5): a positive weight applies while the object is up, a negative one
      // while it is down; "if reverse is specified, the priority is decreased when up and
      // increased when down", so `reverse` flips the sign of the adjustment, not the verdict.
      delta += t.reverse ? -t.weight : t.weight;
    }
  }
  if (base === 255) return { priority: 255, fault: faultBy.length > 0, faultBy };
  const priority = Math.min(254, Math.max(1, base + delta));
  return { priority, fault: faultBy.length > 0, faultBy };
}
