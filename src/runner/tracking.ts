/**
 * Which tracked objects bear on an instance, with the weight that applies: a track_script entry's
 * own `weight` overrides the vrrp_script's; track_interface entries default to weight 0 (FAULT
 * while down). The instance's own interface is handled by the runner's carrier watch.
 */
import type { VrrpInstance, VrrpScript } from '../config/model.js';
import type { TrackedState } from '../track/priority.js';

/** TrackingView answers the current verdict of each tracked object. */
export interface TrackingView {
  scriptGood(name: string): boolean;
  interfaceUp(name: string): boolean;
}

/** trackedStates lists an instance's tracked objects and their current verdicts. */
export function trackedStates(
  inst: VrrpInstance,
  scripts: ReadonlyMap<string, VrrpScript>,
  view: TrackingView,
): TrackedState[] {
  const out: TrackedState[] = [];
  for (const ref of inst.trackScripts) {
    const def = scripts.get(ref.name);
    if (!def) continue;
    out.push({
      name: `script ${ref.name}`,
      good: view.scriptGood(ref.name),
      weight: ref.weight ?? def.weight,
      reverse: ref.weightReverse ?? def.weightReverse,
    });
  }
  for (const ref of inst.trackInterfaces) {
    out.push({
      name: `interface ${ref.name}`,
      good: view.interfaceUp(ref.name),
      weight: ref.weight ?? 0,
      reverse: ref.weightReverse ?? false,
    });
  }
  return out;
}
