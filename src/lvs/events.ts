/**
 * What the LVS side tells the rest of the daemon: a real server went up or down, a virtual
 * server gained or lost its quorum. The daemon turns these into notify_up / notify_down /
 * quorum_up / quorum_down scripts and lvs_notify_fifo lines, in keepalived's format
 * (ipwrapper.c notify_fifo_rs / notify_fifo_vs).
 */
import type { RealServer, VirtualServer } from '../config/model.js';

/** LvsEvent is one transition the reconciler computed. */
export type LvsEvent =
  | {
      type: 'rs';
      vs: VirtualServer;
      rs: RealServer;
      /** vsKey / rsAddress are keepalived's FMT_VS / FMT_RS: `[IP]:tcp:PORT`, `FWM N`, `[GROUP]:0`. */
      vsKey: string;
      rsKey: string;
      alive: boolean;
      /** stopping: the event comes from a daemon stop (sent only with omega, as keepalived does). */
      stopping: boolean;
    }
  | { type: 'quorum'; vs: VirtualServer; vsKey: string; up: boolean; stopping: boolean };

/** rsTrio formats a real server as keepalived's FMT_RS: `[IP]:proto:PORT`. */
export function rsTrio(
  vs: Pick<VirtualServer, 'protocol'>,
  rs: Pick<RealServer, 'address' | 'port'>,
): string {
  return `[${rs.address}]:${vs.protocol.toLowerCase()}:${rs.port}`;
}

/** lvsFifoLine is the lvs_notify_fifo line of an event, newline included: `RS [IP]:tcp:80 [VIP]:tcp:80 UP`, `VS [VIP]:tcp:80 DOWN`. */
export function lvsFifoLine(e: LvsEvent): string {
  if (e.type === 'rs') return `RS ${rsTrio(e.vs, e.rs)} ${e.vsKey} ${e.alive ? 'UP' : 'DOWN'}\n`;
  return `VS ${e.vsKey} ${e.up ? 'UP' : 'DOWN'}\n`;
}

/** lvsEventScript is the configured script of an event (notify_up/down of the real server, quorum_up/down of the virtual server). */
export function lvsEventScript(e: LvsEvent): string | undefined {
  if (e.type === 'rs') return e.alive ? e.rs.notifyUp : e.rs.notifyDown;
  return e.up ? e.vs.quorumUp : e.vs.quorumDown;
}
