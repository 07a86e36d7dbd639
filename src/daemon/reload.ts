/**
 * What each part of the daemon runs of one configuration (keepalived's -P / -C sides), and the
 * order a SIGHUP hands a checked configuration to the parts. The order matters for ha_suspend:
 * the checkers must know which virtual servers of the new configuration are suspended before
 * they build its checkers, or a virtual server newly given ha_suspend (or added with it while
 * its VIP is elsewhere) arms a first check on a director that does not hold its VIP.
 */
import type { KeepvipConfig } from '../config/model.js';
import { withUpstreamHealth } from '../nginx/health.js';

/** DaemonSide is keepalived's -P (VRRP only), -C (checkers only) or both. */
export type DaemonSide = 'vrrp' | 'check' | 'both';

/** vrrpSide is the part of the configuration the VRRP runner runs (none under -C). */
export function vrrpSide(config: KeepvipConfig, side: DaemonSide): KeepvipConfig {
  return side === 'check' ? { ...config, vrrpInstances: [], vrrpSyncGroups: [] } : config;
}

/** lvsSide is the part the LVS side runs: no virtual servers under -P (keepalived's checker process programs IPVS). */
export function lvsSide(config: KeepvipConfig, side: DaemonSide): KeepvipConfig {
  return side === 'vrrp' ? { ...config, virtualServers: [] } : config;
}

/** checkersSide is what the real-server checkers run: the virtual servers and the upstreams' health_check members (none under -P). */
export function checkersSide(config: KeepvipConfig, side: DaemonSide): KeepvipConfig {
  return side === 'vrrp' ? { ...config, virtualServers: [], nginxUpstreams: [] } : withUpstreamHealth(config);
}

/** checkSide is the part the checkers side runs: nginx rendering and health checks (none under -P). */
export function checkSide(config: KeepvipConfig, side: DaemonSide): KeepvipConfig {
  return side === 'vrrp' ? { ...config, nginxUpstreams: [] } : config;
}

/** ReloadTargets are the parts a SIGHUP reconfigures (the daemon's, or fakes in tests). */
export interface ReloadTargets {
  runner: { reload(config: KeepvipConfig): Promise<unknown> };
  checks: { reload(config: KeepvipConfig): void };
  checkAlerts: { reconfigure(config: KeepvipConfig): void };
  nginx: { rerender(config: KeepvipConfig): Promise<void> };
  lvs: {
    /** haSuspendFor hands the checkers the ha_suspend set of the new configuration (DaemonLvs). */
    haSuspendFor(config: KeepvipConfig): Promise<void>;
    reload(config: KeepvipConfig): Promise<void>;
  };
}

/**
 * applyReload hands a checked configuration to every part: VRRP first (its VIPs decide
 * ha_suspend), then the ha_suspend set of the new configuration to the checkers, then the
 * checkers' new configuration (unchanged checkers keep their state and timers), the checker
 * alerts, nginx and IPVS. The suspend message and the reload reach the checker thread in that
 * order (one message port), so a suspended virtual server's new checkers are never armed.
 */
export async function applyReload(t: ReloadTargets, config: KeepvipConfig, side: DaemonSide): Promise<void> {
  await t.runner.reload(vrrpSide(config, side));
  const lvs = lvsSide(config, side);
  await t.lvs.haSuspendFor(lvs);
  t.checks.reload(checkersSide(config, side));
  t.checkAlerts.reconfigure(config);
  await t.nginx.rerender(checkSide(config, side));
  await t.lvs.reload(lvs);
}
