/**
 * The `global_defs` block of the configuration model (see ../model.ts for the conventions).
 */
import type { SourcePos } from '../ast.js';
import type { ScriptUser } from './common.js';
import type { LvsGlobals } from './lvs.js';
import type { GarpSettings } from './vrrp.js';

/** GlobalDefs is the `global_defs` block with defaults applied. */
export interface GlobalDefs {
  /** routerId defaults to the host name. */
  routerId: string;
  notificationEmail: string[];
  /** notificationEmailFrom defaults to `keepalived@<hostname>`. */
  notificationEmailFrom: string;
  smtpServer?: { host: string; port: number };
  /** smtpHeloName defaults to the host name. */
  smtpHeloName: string;
  /** smtpConnectTimeoutMs defaults to 30 s. */
  smtpConnectTimeoutMs: number;
  /** smtpAlert: the global `smtp_alert` (undefined when not written). */
  smtpAlert?: boolean;
  /** vrrpMcastGroup4 defaults to 224.0.0.18; vrrpMcastGroup6 to ff02::12. */
  vrrpMcastGroup4: string;
  vrrpMcastGroup6: string;
  /** vrrpVersion defaults to 2. */
  vrrpVersion: 2 | 3;
  /** garp holds the vrrp_garp_* globals that instances inherit (intervalMs is vrrp_garp_interval). */
  garp: GarpSettings;
  /** gnaIntervalMs is vrrp_gna_interval: the gap between unsolicited NAs, inherited by IPv6 instances (default 0). */
  gnaIntervalMs: number;
  vrrpStrict: boolean;
  scriptUser?: ScriptUser;
  enableScriptSecurity: boolean;
  defaultInterface?: string;
  /** notifyFifo / vrrpNotifyFifo: FIFO path and optional script that reads it. */
  notifyFifo?: { path: string; script?: string };
  vrrpNotifyFifo?: { path: string; script?: string };
  /** notifyScriptTimeoutMs: how long a notify script may run before it is killed (keepvip; default 15 s). */
  notifyScriptTimeoutMs: number;
  /**
   * vrrpHandoff (keepvip, `vrrp_handoff fast|rfc`): `fast` (default) lets a backup take over from
   * a master advertising a lower priority after Skew_Time and makes a stopping master keep its
   * VIPs until the new master is heard; `rfc` keeps RFC 5798's timers (see ARCHITECTURE.md).
   */
  vrrpHandoff: 'fast' | 'rfc';
  /**
   * vrrpPriority / checkerPriority are vrrp_priority / checker_priority: the nice value (-20..19)
   * of the VRRP (main) thread and of the checker thread, keepalived's VRRP and checker processes;
   * undefined: not written (keepalived leaves its processes at 0; see kernel/sched.ts).
   */
  vrrpPriority?: number;
  checkerPriority?: number;
  /** vrrpRtPriority / checkerRtPriority are vrrp_rt_priority / checker_rt_priority: SCHED_RR at 1..99, which wins over the nice value. */
  vrrpRtPriority?: number;
  checkerRtPriority?: number;
  /** lvs holds the lvs_* globals (lvs_sync_daemon, lvs_timeouts, lvs_flush...); undefined = defaults. */
  lvs?: LvsGlobals;
  pos?: SourcePos;
}
