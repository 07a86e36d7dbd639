/**
 * planReload decides what a reload does to each vrrp_instance, from the configurations before
 * and after: an instance whose fingerprint (its settings, the vrrp_scripts it tracks, its sync
 * group and the multicast groups) did not change is kept as it runs (state, timers, VIPs); a
 * changed one restarts; a removed one is released; a new one starts. Source positions do not
 * count, so moving a block within or across files keeps it.
 */
import type { KeepvipConfig, VrrpInstance } from '../config/model.js';

/** ReloadPlan names the instances a reload keeps, restarts, adds and removes (in configuration order). */
export interface ReloadPlan {
  kept: string[];
  restarted: string[];
  added: string[];
  removed: string[];
}

/** stableJson serialises without source positions, so equal settings compare equal across files and lines. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (key, v) => (key === 'pos' ? undefined : v));
}

/** instanceFingerprint is what must be equal for an instance to keep running across a reload. */
export function instanceFingerprint(inst: VrrpInstance, config: KeepvipConfig): string {
  const scripts = inst.trackScripts.map((r) => config.vrrpScripts.find((s) => s.name === r.name));
  const group = config.vrrpSyncGroups.find((g) => g.members.includes(inst.name));
  const g = config.globalDefs;
  return stableJson({ inst, scripts, group, mcast: [g.vrrpMcastGroup4, g.vrrpMcastGroup6] });
}

/** planReload compares two configurations instance by instance. */
export function planReload(current: KeepvipConfig, next: KeepvipConfig): ReloadPlan {
  const before = new Map(current.vrrpInstances.map((i) => [i.name, instanceFingerprint(i, current)]));
  const after = new Map(next.vrrpInstances.map((i) => [i.name, instanceFingerprint(i, next)]));
  const plan: ReloadPlan = { kept: [], restarted: [], added: [], removed: [] };
  for (const [name, fp] of before) {
    const nfp = after.get(name);
    if (nfp === undefined) plan.removed.push(name);
    else if (nfp === fp) plan.kept.push(name);
    else plan.restarted.push(name);
  }
  for (const name of after.keys()) if (!before.has(name)) plan.added.push(name);
  return plan;
}
