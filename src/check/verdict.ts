/**
 * The health verdict of a real server: the one fact the checkers publish and every consumer
 * reads (the IPVS reconciler in lvs/, the nginx_upstream pools in nginx/, notify scripts,
 * FIFO lines, mail and metrics through the runner). A real server is alive only when all of
 * its checkers say so (keepalived: `rs->alive` needs every checker up).
 */
import type { VirtualServer, RealServer } from '../config/model.js';

/** VirtualServerKey names a virtual server as keepalived's logs do: `[IP]:tcp:PORT`, `FWM N`, or a group name. */
export type VirtualServerKey = string;

/** RealServerKey names one real server of one virtual server: `${VirtualServerKey} -> [IP]:tcp:PORT`. */
export type RealServerKey = string;

/** RealServerVerdict is the combined result of a real server's checkers. */
export interface RealServerVerdict {
  /** alive: every checker of the server is up (a server without checkers is always alive). */
  alive: boolean;
  /** weight is the weight the server should have now (misc_dynamic may change it); undefined = configured weight. */
  weight?: number;
  /** reason says why the last change happened, in keepalived's words where it has some. */
  reason: string;
  /** changedAtMs is the monotonic time of the last change of `alive` or `weight`. */
  changedAtMs: number;
}

/** VerdictSource is what consumers of health verdicts depend on. */
export interface VerdictSource {
  /** get returns the verdict of a real server, or undefined before its first verdict (alpha off: treat as alive). */
  get(key: RealServerKey): RealServerVerdict | undefined;
  /** subscribe calls back on every change; returns the unsubscribe function. */
  subscribe(onChange: (key: RealServerKey, verdict: RealServerVerdict) => void): () => void;
}

function bracket(address: string): string {
  return `[${address}]`;
}

/** virtualServerKey formats a virtual server as keepalived's log lines do (`[10.0.0.1]:tcp:80`, `FWM 7`, `[GROUP]:0`). */
export function virtualServerKey(
  vs: Pick<VirtualServer, 'address' | 'port' | 'fwmark' | 'protocol'> & { group?: string },
): VirtualServerKey {
  if (vs.group !== undefined) return `${bracket(vs.group)}:0`; // keepalived format_vs for a virtual_server_group
  if (vs.fwmark !== undefined) return `FWM ${vs.fwmark}`;
  return `${bracket(vs.address ?? '')}:${vs.protocol.toLowerCase()}:${vs.port ?? 0}`;
}

/** realServerKey names a real server within its virtual server. */
export function realServerKey(
  vs: Pick<VirtualServer, 'address' | 'port' | 'fwmark' | 'protocol'> & { group?: string },
  rs: Pick<RealServer, 'address' | 'port'>,
): RealServerKey {
  return `${virtualServerKey(vs)} -> ${bracket(rs.address)}:${vs.protocol.toLowerCase()}:${rs.port}`;
}
