import { ensureDistSync } from '../../helpers/dist.js';

/**
 * keepalived.conf for the tracking tests and bench/tracking.ts: an nginx pair in the seed 001
 * style (chk_down on /etc/keepalived/down, chk_nginx `killall -0 nginx` interval 1 fall 2,
 * shell syntax as the seed writes it), priorities 100 / 90 and weights -20 so either check
 * moves the VIP. `trackProcess` adds keepvip's instant process watch (vrrp_track_process).
 */

/** PairConfigOptions choose the node's side and the VRRP version. */
export interface PairConfigOptions {
  routerId: string;
  priority: number;
  vip: string;
  vrid: number;
  version: 2 | 3;
  /** advertIntSec: 1 for v2, 0.1 for v3 in the issue's measurements. */
  advertIntSec: number;
  trackProcess: boolean;
  /** extraScripts adds more vrrp_script blocks and their track_script names. */
  extraScripts?: { block: string; name: string }[];
  /** globalExtra is inserted into global_defs (e.g. `vrrp_handoff rfc`). */
  globalExtra?: string;
  /**
   * plainScripts writes the checks without shell syntax (`/usr/bin/killall -0 nginx`), as
   * keepalived 2.x needs them: it executes a script string directly, so the seed's
   * `killall -0 nginx && exit 0 || exit 1` would pass `&&` to killall and always fail there.
   */
  plainScripts?: boolean;
}

/** pairConfig renders one node's configuration. */
export function pairConfig(o: PairConfigOptions): string {
  const auth = o.version === 2 ? '  authentication {\n    auth_type PASS\n    auth_pass kvtrack\n  }\n' : '';
  const extra = o.extraScripts ?? [];
  return `global_defs {
  router_id ${o.routerId}
  vrrp_version ${o.version}
${o.globalExtra ?? ''}
}
vrrp_script chk_down {
  script "${o.plainScripts ? '/usr/bin/test ! -e /etc/keepalived/down' : '[[ -f /etc/keepalived/down ]] && exit 1 || exit 0'}"
  interval 1
  weight -20
}
vrrp_script chk_nginx {
  script "${o.plainScripts ? '/usr/bin/killall -0 nginx' : 'killall -0 nginx && exit 0 || exit 1'}"
  interval 1
  weight -20
  fall 2
  rise 1
}
${extra.map((e) => e.block).join('\n')}
${o.trackProcess ? 'vrrp_track_process nginx_running {\n  process nginx\n  weight -20\n}\n' : ''}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id ${o.vrid}
  priority ${o.priority}
  advert_int ${o.advertIntSec}
${auth}  virtual_ipaddress {
    ${o.vip}/24 dev eth0
  }
  track_script {
    chk_down
    chk_nginx
${extra.map((e) => `    ${e.name}`).join('\n')}
  }
${o.trackProcess ? '  track_process {\n    nginx_running\n  }\n' : ''}}
`;
}

/**
 * buildDist compiles src/ to dist/ for bin/keepvip. Other work may leave a type error
 * elsewhere in the tree; tsc still writes dist/ then (no noEmitOnError), so say so and go on.
 */
export function buildDist(): void {
  ensureDistSync();
}
