/**
 * The desired IPVS table: pure function of the configuration, the checkers' verdicts and the
 * previous quorum states, following keepalived 2.2.7's ipwrapper.c. A real server is in the
 * table while alive (weight from its verdict or configuration); a dead one is removed, or kept
 * at weight 0 with inhibit_on_failure. Quorum is the sum of live weights, with hysteresis
 * (update_quorum_state): below it, a sorry server replaces the live servers (inhibited ones stay
 * at weight 0); without a sorry server nothing changes. A sorry_server_inhibit server waits at
 * weight 0. A server without a verdict is alive unless alpha (keepalived: alpha off => present
 * from the start); a server without checkers is always alive.
 */
import {
  type RealServerKey,
  type RealServerVerdict,
  realServerKey,
  virtualServerKey,
} from '../check/verdict.js';
import type {
  KeepvipConfig,
  LvsForward,
  LvsTunnel,
  RealServer,
  SorryServer,
  VirtualServer,
  VirtualServerGroup,
} from '../config/model.js';
import type {
  IpvsDestination,
  IpvsForward,
  IpvsService,
  IpvsServiceId,
  IpvsTable,
} from '../kernel/ipvs/types.js';

/** IP_VS_SVC_F_* flag bits of linux/ip_vs.h. */
export const IP_VS_SVC_F = {
  PERSISTENT: 0x1,
  HASHED: 0x2,
  ONEPACKET: 0x4,
  SCHED1: 0x8,
  SCHED2: 0x10,
  SCHED3: 0x20,
} as const;

/** IPVS_WEIGHT_LIMIT is keepalived's upper bound of a destination weight (INT32_MAX). */
const IPVS_WEIGHT_LIMIT = 2 ** 31 - 1;

const FLAG_BITS: Record<VirtualServer['schedFlags'][number], number> = {
  ops: IP_VS_SVC_F.ONEPACKET,
  'flag-1': IP_VS_SVC_F.SCHED1,
  'flag-2': IP_VS_SVC_F.SCHED2,
  'flag-3': IP_VS_SVC_F.SCHED3,
  // IP_VS_SVC_F_SCHED_SH_FALLBACK / _MH_FALLBACK = SCHED1, _SH_PORT / _MH_PORT = SCHED2
  'sh-fallback': IP_VS_SVC_F.SCHED1,
  'mh-fallback': IP_VS_SVC_F.SCHED1,
  'sh-port': IP_VS_SVC_F.SCHED2,
  'mh-port': IP_VS_SVC_F.SCHED2,
};

/** serviceKey is a stable string for a service id (family, protocol, address, port or fwmark). */
export function serviceKey(id: IpvsServiceId): string {
  return id.fwmark !== undefined
    ? `${id.family} fwmark ${id.fwmark}`
    : `${id.family} ${id.protocol} [${id.address}]:${id.port}`;
}

/** destinationKey is a stable string for a destination within its service. */
export function destinationKey(d: Pick<IpvsDestination, 'address' | 'port'>): string {
  return `[${d.address}]:${d.port}`;
}

/** QuorumState is one virtual server's quorum after a computation. */
export interface QuorumState {
  up: boolean;
  /** liveWeight is the sum of the weights of the live real servers. */
  liveWeight: number;
  quorum: number;
  hysteresis: number;
  /** sorryInUse: the sorry server serves instead of the real servers. */
  sorryInUse: boolean;
}

/** ServerState is one real server's verdict and its place in the table. */
export interface ServerState {
  key: RealServerKey;
  vsKey: string;
  alive: boolean;
  /** weight the server has while alive (verdict or configuration). */
  weight: number;
  /** tableWeight is its weight in the desired table; undefined when it is not in the table. */
  tableWeight?: number;
  reason: string;
  /** server is the configuration block. */
  server: RealServer;
}

/** DesiredTable is the computed table with the quorum and server states it came from. */
export interface DesiredTable {
  table: IpvsTable;
  /** quorum by virtual server key. */
  quorum: Map<string, QuorumState>;
  servers: Map<RealServerKey, ServerState>;
  /** owner maps a service key to the key of the virtual server it comes from. */
  owner: Map<string, string>;
}

/** VerdictLookup returns a real server's verdict, or undefined before its first one. */
export type VerdictLookup = (key: RealServerKey) => RealServerVerdict | undefined;

const FORWARD: Record<LvsForward, IpvsForward> = { NAT: 'nat', DR: 'dr', TUN: 'tun' };
const CSUM = { nocsum: 0, csum: 1, remcsum: 2 } as const; // IP_VS_TUNNEL_ENCAP_FLAG_*

/** lvsVirtualServerKey is virtualServerKey (`[GROUP]:0` for a virtual_server_group, as keepalived formats it). */
export function lvsVirtualServerKey(vs: VirtualServer): string {
  return virtualServerKey(vs);
}

/** lvsRealServerKey is realServerKey: the key the checkers publish verdicts under. */
export function lvsRealServerKey(vs: VirtualServer, rs: Pick<RealServer, 'address' | 'port'>): RealServerKey {
  return realServerKey(vs, rs);
}

/** serviceIdsOf lists the kernel services of a virtual server (one, or one per group entry address). */
export function serviceIdsOf(vs: VirtualServer, groups: readonly VirtualServerGroup[]): IpvsServiceId[] {
  const protocol = vs.protocol.toLowerCase() as 'tcp' | 'udp' | 'sctp';
  if (vs.fwmark !== undefined) return [{ family: vs.family, fwmark: vs.fwmark }];
  if (vs.group === undefined) return [{ family: vs.family, protocol, address: vs.address!, port: vs.port! }];
  const g = groups.find((x) => x.name === vs.group);
  const ids: IpvsServiceId[] = [];
  for (const e of g?.entries ?? []) {
    if (e.kind === 'fwmark') ids.push({ family: e.family ?? vs.family, fwmark: e.fwmark });
    else
      for (const address of expandRange(e.first, e.last, e.family))
        ids.push({ family: e.family, protocol, address, port: e.port });
  }
  return ids;
}

/** expandRange lists the addresses first..last where only the last byte (IPv4) or 16-bit group (IPv6) varies. */
export function expandRange(first: string, last: string, family: 'inet' | 'inet6'): string[] {
  if (first === last) return [first];
  const sep = family === 'inet' ? '.' : ':';
  const parts = first.split(sep);
  const from = family === 'inet' ? Number(parts.at(-1)) : Number.parseInt(parts.at(-1) || '0', 16);
  const lastParts = last.split(sep);
  const to = family === 'inet' ? Number(lastParts.at(-1)) : Number.parseInt(lastParts.at(-1) || '0', 16);
  const out: string[] = [];
  for (let n = from; n <= to; n++) {
    parts[parts.length - 1] = family === 'inet' ? String(n) : n.toString(16);
    out.push(parts.join(sep));
  }
  return out;
}

/** ipvsServiceOf is the kernel service for one id of a virtual server (keepalived ipvs_set_srule). */
export function ipvsServiceOf(vs: VirtualServer, id: IpvsServiceId): IpvsService {
  let flags = 0;
  for (const f of vs.schedFlags) flags |= FLAG_BITS[f];
  const persistent = vs.persistenceTimeoutS !== undefined;
  const full = id.family === 'inet6' ? 128 : 32;
  const service: IpvsService = {
    id,
    schedName: vs.lbAlgo,
    flags: persistent ? flags | IP_VS_SVC_F.PERSISTENT : flags,
    timeout: persistent ? vs.persistenceTimeoutS! : 0,
    netmask: persistent ? (vs.persistenceGranularity ?? full) : full,
  };
  if (persistent && vs.persistenceEngine !== undefined) service.peName = vs.persistenceEngine;
  return service;
}

/** destinationOf is the kernel destination of a real or sorry server in one service (keepalived ipvs_set_drule + ipvs_cmd ports). */
function destinationOf(
  server: {
    address: string;
    family: 'inet' | 'inet6';
    port: number;
    forward: LvsForward;
    tunnel?: LvsTunnel;
  },
  id: IpvsServiceId,
  weight: number,
  thresholds: { upper: number; lower: number },
): IpvsDestination {
  const forward = FORWARD[server.forward];
  // DR and TUN forward to the service's port (0 for fwmark); NAT keeps its own.
  const port = forward === 'nat' ? server.port : id.fwmark !== undefined ? 0 : id.port;
  const d: IpvsDestination = {
    address: server.address,
    family: server.family,
    port,
    forward,
    weight: Math.max(0, Math.min(IPVS_WEIGHT_LIMIT, weight)),
    upperThreshold: thresholds.upper,
    lowerThreshold: thresholds.lower,
  };
  if (forward === 'tun') {
    const t = server.tunnel ?? { type: 'ipip', csum: 'nocsum' };
    d.tunType = t.type;
    d.tunPort = t.port ?? 0;
    d.tunFlags = CSUM[t.csum];
  }
  return d;
}

/**
 * nextQuorum is keepalived's update_quorum_state: up again at quorum + hysteresis, down below
 * quorum - hysteresis (or with no live weight); the first state is `live >= quorum + hysteresis`.
 */
export function nextQuorum(
  prev: boolean | undefined,
  live: number,
  quorum: number,
  hysteresis: number,
): boolean {
  if (prev === undefined) return live >= quorum + hysteresis;
  if (!prev) return live >= quorum + hysteresis;
  return !(live === 0 || live < quorum - hysteresis);
}

/** VirtualServerPart is the share of the desired table that one virtual_server block computes. */
export interface VirtualServerPart {
  vsKey: string;
  quorum: QuorumState;
  servers: ServerState[];
  /** services are the block's kernel services it owns (a service claimed by an earlier block is not here). */
  services: IpvsTable['services'];
}

/**
 * computeVirtualServer is one block's part: its servers' states, its quorum and its services.
 * `claims` says whether a service key belongs to this block (the first block of a service
 * wins, as the kernel's EEXIST would). A verdict change recomputes only its block's part.
 */
export function computeVirtualServer(
  vs: VirtualServer,
  groups: readonly VirtualServerGroup[],
  verdicts: VerdictLookup,
  prevQuorum: boolean | undefined,
  claims: (serviceKey: string) => boolean,
): VirtualServerPart {
  const vsKey = lvsVirtualServerKey(vs);
  const states: ServerState[] = vs.realServers.map((rs) => serverState(vs, vsKey, rs, verdicts));
  const live = states.reduce((s, st) => s + (st.alive ? st.weight : 0), 0);
  const up = nextQuorum(prevQuorum, live, vs.quorum, vs.hysteresis);
  const sorryInUse = !up && vs.sorryServer !== undefined;
  const quorum = { up, liveWeight: live, quorum: vs.quorum, hysteresis: vs.hysteresis, sorryInUse };
  for (const st of states) {
    const w = tableWeight(st, sorryInUse);
    if (w !== undefined) st.tableWeight = w;
  }
  const services: IpvsTable['services'] = [];
  for (const id of serviceIdsOf(vs, groups)) {
    if (!claims(serviceKey(id))) continue;
    const dests = new Map<string, IpvsDestination>();
    for (const st of states) {
      if (st.tableWeight === undefined) continue;
      const rs = st.server;
      const d = destinationOf(rs, id, st.tableWeight, { upper: rs.uThreshold, lower: rs.lThreshold });
      dests.set(destinationKey(d), d);
    }
    if (vs.sorryServer) addSorry(dests, vs.sorryServer, id, sorryInUse);
    services.push({ service: ipvsServiceOf(vs, id), destinations: [...dests.values()] });
  }
  return { vsKey, quorum, servers: states, services };
}

/** serviceOwners maps every service key to the index of the first block that has it. */
export function serviceOwners(
  config: Pick<KeepvipConfig, 'virtualServers' | 'virtualServerGroups'>,
): Map<string, number> {
  const groups = config.virtualServerGroups ?? [];
  const owners = new Map<string, number>();
  config.virtualServers.forEach((vs, i) => {
    for (const id of serviceIdsOf(vs, groups)) {
      const key = serviceKey(id);
      if (!owners.has(key)) owners.set(key, i);
    }
  });
  return owners;
}

/** assembleDesired joins the blocks' parts into one desired table (configuration order). */
export function assembleDesired(parts: readonly VirtualServerPart[]): DesiredTable {
  const out: DesiredTable = {
    table: { services: [] },
    quorum: new Map(),
    servers: new Map(),
    owner: new Map(),
  };
  for (const p of parts) {
    out.quorum.set(p.vsKey, p.quorum);
    for (const st of p.servers) out.servers.set(st.key, st);
    for (const s of p.services) {
      out.owner.set(serviceKey(s.service.id), p.vsKey);
      out.table.services.push(s);
    }
  }
  return out;
}

/** computeDesired builds the desired table of every virtual server of the configuration. */
export function computeDesired(
  config: Pick<KeepvipConfig, 'virtualServers' | 'virtualServerGroups'>,
  verdicts: VerdictLookup,
  prevQuorum: ReadonlyMap<string, boolean>,
): DesiredTable {
  const groups = config.virtualServerGroups ?? [];
  const owners = serviceOwners(config);
  return assembleDesired(
    config.virtualServers.map((vs, i) =>
      computeVirtualServer(
        vs,
        groups,
        verdicts,
        prevQuorum.get(lvsVirtualServerKey(vs)),
        (k) => owners.get(k) === i,
      ),
    ),
  );
}

function serverState(vs: VirtualServer, vsKey: string, rs: RealServer, verdicts: VerdictLookup): ServerState {
  const key = lvsRealServerKey(vs, rs);
  const v = verdicts(key);
  const alive = v?.alive ?? (rs.checkers.length === 0 || !rs.alpha);
  const reason =
    v?.reason ??
    (rs.checkers.length === 0 ? 'no checker' : rs.alpha ? 'alpha: down until checked' : 'not checked yet');
  return { key, vsKey, alive, weight: v?.weight ?? rs.weight, reason, server: rs };
}

/** tableWeight: alive servers serve unless the sorry server does; inhibit_on_failure keeps the others at weight 0. */
function tableWeight(st: ServerState, sorryInUse: boolean): number | undefined {
  if (st.alive && !sorryInUse) return st.weight;
  return st.server.inhibitOnFailure ? 0 : undefined;
}

function addSorry(
  dests: Map<string, IpvsDestination>,
  s: SorryServer,
  id: IpvsServiceId,
  inUse: boolean,
): void {
  // keepalived gives the sorry server weight 1; an inhibited one waits at weight 0.
  const d = destinationOf(s, id, inUse ? 1 : 0, { upper: 0, lower: 0 });
  const key = destinationKey(d);
  if (inUse) dests.set(key, d);
  else if (s.inhibit && !dests.has(key)) dests.set(key, d);
}
