/**
 * The `lvs` section of `keepvip status` / `--json`: the IPVS table as programmed (with the
 * kernel's counters as last read), each real server's verdict and weight, each virtual server's
 * quorum. Plain JSON (counters as numbers), so control/ and the metrics renderer read it as is.
 */
import type { VirtualServer } from '../config/model.js';
import type { IpvsStats, IpvsTable } from '../kernel/ipvs/types.js';
import { type DesiredTable, lvsRealServerKey, lvsVirtualServerKey, serviceKey } from './desired.js';

/** LvsState is where the reconciler stands. */
export type LvsState = 'not-configured' | 'not-programmed' | 'programmed' | 'stopped';

/** LastReconcile describes the last convergence. */
export interface LastReconcile {
  atMs: number;
  reason: string;
  /** read: the kernel table was read (dump) rather than taken as last known. */
  read: boolean;
  planned: number;
  operations: number;
  failures: string[];
}

/** LvsCounters are the per-service / per-destination counters for Prometheus (IPVS_STATS_ATTR_*). */
export interface LvsCounters {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

/** LvsDestinationStatus is one destination of a service. */
export interface LvsDestinationStatus {
  address: string;
  port: number;
  forward: string;
  weight: number;
  activeConns?: number;
  inactConns?: number;
  counters?: LvsCounters;
}

/** LvsServiceStatus is one kernel service. */
export interface LvsServiceStatus {
  key: string;
  scheduler: string;
  flags: number;
  persistenceTimeoutS: number;
  destinations: LvsDestinationStatus[];
  counters?: LvsCounters;
}

/** LvsRealServerStatus is one real server: its verdict and its weight in the table. */
export interface LvsRealServerStatus {
  key: string;
  address: string;
  port: number;
  alive: boolean;
  weight: number;
  /** tableWeight is undefined when the server is not in the table. */
  tableWeight?: number;
  reason: string;
  /** name is the real server's snmp_name, when configured. */
  name?: string;
}

/** LvsVirtualServerStatus is one virtual_server block. */
export interface LvsVirtualServerStatus {
  key: string;
  /** name is the virtual server's snmp_name, when configured. */
  name?: string;
  quorum: { up: boolean; liveWeight: number; quorum: number; hysteresis: number; sorryInUse: boolean };
  realServers: LvsRealServerStatus[];
  services: LvsServiceStatus[];
}

/** LvsStatus is the whole `lvs` section. */
export interface LvsStatus {
  /** state: `programmed`, `not-programmed` (no IPVS in the kernel: reason says why), `not-configured`, `stopped`. */
  state: LvsState;
  reason?: string;
  reconciles: number;
  operations: number;
  last?: LastReconcile;
  virtualServers: LvsVirtualServerStatus[];
  /** haSuspended are the keys of the ha_suspend virtual servers whose checkers pause now (VIP not here; the daemon adds it). */
  haSuspended?: string[];
  /**
   * names maps virtual server keys (`[10.0.0.1]:tcp:80`) and real server keys (`... -> [10.0.1.1]:tcp:80`)
   * to their snmp_name; from the configuration, so it is there even when no table is computed (no IPVS).
   */
  names?: Record<string, string>;
  /** syncDaemon is lvs_sync_daemon's role now and the instance it follows (the daemon adds it). */
  syncDaemon?: { role?: string; instance?: string };
}

/** serverNames maps the keys of the virtual and real servers that have an snmp_name to it. */
export function serverNames(virtualServers: readonly VirtualServer[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const vs of virtualServers) {
    if (vs.snmpName !== undefined) out[lvsVirtualServerKey(vs)] = vs.snmpName;
    for (const rs of vs.realServers)
      if (rs.snmpName !== undefined) out[lvsRealServerKey(vs, rs)] = rs.snmpName;
  }
  return out;
}

/** countersOf converts the kernel's 64-bit counters to numbers. */
export function countersOf(s: IpvsStats | undefined): LvsCounters | undefined {
  if (!s) return undefined;
  return {
    conns: Number(s.conns),
    inPkts: Number(s.inPkts),
    outPkts: Number(s.outPkts),
    inBytes: Number(s.inBytes),
    outBytes: Number(s.outBytes),
  };
}

/** buildLvsStatus assembles the snapshot from the reconciler's state. */
export function buildLvsStatus(s: {
  state: LvsState;
  reason: string;
  desired: DesiredTable | undefined;
  known: IpvsTable | undefined;
  last: LastReconcile | undefined;
  reconciles: number;
  operations: number;
  /** virtualServers are the configuration's blocks, for their snmp_name. */
  virtualServers?: readonly VirtualServer[];
}): LvsStatus {
  const out: LvsStatus = {
    state: s.state,
    reconciles: s.reconciles,
    operations: s.operations,
    virtualServers: [],
  };
  if (s.reason) out.reason = s.reason;
  if (s.last) out.last = s.last;
  if (!s.desired) return out;
  const programmed = s.state === 'programmed';
  const known = new Map((s.known?.services ?? []).map((e) => [serviceKey(e.service.id), e]));
  const names = new Map<string, string>();
  for (const vs of s.virtualServers ?? [])
    if (vs.snmpName !== undefined) names.set(lvsVirtualServerKey(vs), vs.snmpName);
  const byVs = new Map<string, LvsVirtualServerStatus>();
  for (const [vsKey, q] of s.desired.quorum) {
    const name = names.get(vsKey);
    byVs.set(vsKey, {
      key: vsKey,
      ...(name !== undefined ? { name } : {}),
      quorum: { ...q },
      realServers: [],
      services: [],
    });
  }
  for (const st of s.desired.servers.values()) {
    const rs: LvsRealServerStatus = {
      key: st.key,
      address: st.server.address,
      port: st.server.port,
      alive: st.alive,
      weight: st.weight,
      reason: st.reason,
    };
    if (st.tableWeight !== undefined) rs.tableWeight = st.tableWeight;
    if (st.server.snmpName !== undefined) rs.name = st.server.snmpName;
    byVs.get(st.vsKey)?.realServers.push(rs);
  }
  for (const want of s.desired.table.services) {
    const key = serviceKey(want.service.id);
    const got = programmed ? known.get(key) : undefined;
    const src = got ?? want;
    const svc: LvsServiceStatus = {
      key,
      scheduler: src.service.schedName,
      flags: src.service.flags,
      persistenceTimeoutS: src.service.timeout,
      destinations: src.destinations.map((d) => {
        const ds: LvsDestinationStatus = {
          address: d.address,
          port: d.port,
          forward: d.forward,
          weight: d.weight,
        };
        if (d.activeConns !== undefined) ds.activeConns = d.activeConns;
        if (d.inactConns !== undefined) ds.inactConns = d.inactConns;
        const c = countersOf(d.stats);
        if (c) ds.counters = c;
        return ds;
      }),
    };
    const c = countersOf(src.service.stats);
    if (c) svc.counters = c;
    byVs.get(s.desired.owner.get(key) ?? '')?.services.push(svc);
  }
  out.virtualServers = [...byVs.values()];
  return out;
}
