/**
 * LvsView is the IPVS table as control/ renders it (status, Prometheus under node_exporter's
 * ipvs names): what is programmed, each destination's counters and its real-server verdict.
 * lvs-adapter.ts fills it from the LVS part's status (src/lvs/status.ts); without virtual
 * servers it is NO_IPVS. Counters are plain numbers (JSON-safe; exact up to 2^53).
 */
import type { IpvsForward, IpvsProtocol } from '../kernel/ipvs/types.js';

/** LvsCounters are IPVS_STATS_ATTR_CONNS / INPKTS / OUTPKTS / INBYTES / OUTBYTES. */
export interface LvsCounters {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

/** LvsDestinationView is one real server as programmed, with its checkers' verdict. */
export interface LvsDestinationView {
  address: string;
  port: number;
  family: 'inet' | 'inet6';
  forward: IpvsForward;
  weight: number;
  activeConns: number;
  inactConns: number;
  stats?: LvsCounters;
  /** alive is the real server's verdict (src/check/verdict.ts); undefined: no verdict yet. */
  alive?: boolean;
  /** reason says why the verdict last changed. */
  reason?: string;
  /** name is the real server's snmp_name, when configured. */
  name?: string;
}

/** LvsServiceView is one virtual service: address+protocol+port, or a firewall mark. */
export interface LvsServiceView {
  family: 'inet' | 'inet6';
  protocol?: IpvsProtocol;
  address?: string;
  port?: number;
  fwmark?: number;
  schedName: string;
  stats?: LvsCounters;
  /** quorumUp is false while the service lost quorum (sorry server in use); undefined: no quorum rule. */
  quorumUp?: boolean;
  /** virtualServer is the key of the virtual_server block it comes from (`[10.0.0.1]:tcp:80`, `FWM 7`, `[GROUP]:0`). */
  virtualServer?: string;
  /** name is that virtual server's snmp_name, when configured. */
  name?: string;
  /** haSuspended: ha_suspend pauses that virtual server's checkers (its VIP is not on this director). */
  haSuspended?: boolean;
  destinations: LvsDestinationView[];
}

/** LvsView is the whole table, or why there is none. */
export interface LvsView {
  /** programmed is false when the kernel has no IPVS or keepvip manages no virtual_server. */
  programmed: boolean;
  /** reason says why nothing is programmed (e.g. "no IPVS in this kernel"). */
  reason?: string;
  services: LvsServiceView[];
}

/** NO_IPVS is the view while no LVS part reports a table. */
export const NO_IPVS: LvsView = { programmed: false, reason: 'no IPVS', services: [] };
