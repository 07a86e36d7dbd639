/**
 * The status document `keepvip status` prints, rendered for people: instances with their VIPs,
 * priority and what moved it, tracks, counters, recent transitions, nginx upstreams and the IPVS
 * table with each real server's verdict. Pure: the same text for the same document, so
 * `status --watch` redraws only when something changed.
 */
import type { CheckSnapshot } from '../check/snapshot.js';
import type { LvsStatus } from '../lvs/status.js';
import { lvsViewOf } from './lvs-adapter.js';
import type { LvsView } from './lvs-view.js';
import type { InstanceView, TrackView } from './snapshot.js';

/** StatusTrack is a tracked object in the status document (TrackView plus the runner's extras). */
export type StatusTrack = TrackView & { reverse?: boolean };

/** StatusDocument is what the daemon's `status` control request returns (the parts printed here). */
export interface StatusDocument {
  pid: number;
  version: string;
  instances: (Omit<InstanceView, 'tracks'> & { tracks: StatusTrack[] })[];
  drops: Record<string, number>;
  nginxUpstreams?: { name: string; output: string; members: { server: string; up: boolean }[] }[];
  /** lvs is the LVS part's section (src/lvs/status.ts). */
  lvs?: LvsStatus;
  /** checkers is the real-server checkers' snapshot (src/check/snapshot.ts). */
  checkers?: CheckSnapshot;
}

/** trackContribution is what one tracked object adds to the priority now (keepalived's rule, track/priority.ts). */
export function trackContribution(t: StatusTrack): number {
  if (t.value !== undefined) return t.weight === 0 ? 0 : t.value * t.weight * (t.reverse ? -1 : 1);
  if (t.weight === 0) return 0;
  if (t.weight > 0 ? t.good : !t.good) return t.reverse ? -t.weight : t.weight;
  return 0;
}

/** priorityMoves names what moved an instance's priority away from its base (`+10 script chk_ok`). */
export function priorityMoves(i: StatusDocument['instances'][number]): string[] {
  const moves: string[] = [];
  for (const t of i.tracks) {
    const c = trackContribution(t);
    if (c !== 0) moves.push(`${c > 0 ? '+' : ''}${c} ${t.name}`);
  }
  return moves;
}

/** named appends a configured snmp_name in parentheses (`[10.0.0.1]:80 (web)`). */
const named = (id: string, name: string | undefined): string => (name === undefined ? id : `${id} (${name})`);

function lvsLines(lvs: LvsView): string[] {
  if (!lvs.programmed && lvs.services.length === 0)
    return lvs.reason === 'no IPVS' ? [] : [`IPVS: not programmed (${lvs.reason ?? 'none'})`];
  const lines = [
    lvs.programmed ? 'IPVS:' : `IPVS (not programmed: ${lvs.reason ?? 'none'}; the table it would program):`,
  ];
  for (const s of lvs.services) {
    const id =
      s.fwmark !== undefined ? `FWM ${s.fwmark}` : `${s.protocol?.toUpperCase()} [${s.address}]:${s.port}`;
    const quorum = s.quorumUp === false ? '  QUORUM LOST' : '';
    const suspended = s.haSuspended ? '  HA-SUSPENDED (checkers paused: VIP not here)' : '';
    lines.push(`  ${named(id, s.name)} ${s.schedName}${quorum}${suspended}`);
    for (const d of s.destinations) {
      const verdict =
        d.alive === undefined ? 'no verdict' : d.alive ? 'alive' : `DOWN${d.reason ? ` (${d.reason})` : ''}`;
      lines.push(
        `    -> ${named(`[${d.address}]:${d.port}`, d.name)} ${d.forward} weight ${d.weight} active ${d.activeConns} inactive ${d.inactConns}  ${verdict}`,
      );
    }
  }
  return lines;
}

/** haSuspendLine names the virtual servers whose checkers ha_suspend pauses (JSON: lvs.haSuspended). */
function haSuspendLine(lvs: LvsStatus | undefined): string[] {
  const keys = lvs?.haSuspended ?? [];
  if (keys.length === 0) return [];
  const list = keys.map((k) => named(k, lvs?.names?.[k])).join(', ');
  return [`ha_suspend: checkers paused for ${list} (VIP not on this director)`];
}

function checkerLines(checks: CheckSnapshot, lvs: LvsStatus | undefined): string[] {
  if (checks.realServers.length === 0) return [];
  // The checkers' snapshot carries keys only; the snmp_names come with the LVS part's status.
  const names = lvs?.names ?? {};
  const suspended = new Set(lvs?.haSuspended ?? []);
  const lines = ['Real servers:'];
  for (const r of checks.realServers) {
    const held = r.heldDown ? ', held down (flapping)' : '';
    const paused = suspended.has(r.virtualServer) ? ', checkers paused (ha_suspend)' : '';
    lines.push(
      `  ${named(r.realServer, names[r.key])} of ${named(r.virtualServer, names[r.virtualServer])}: ${r.alive ? 'alive' : 'DOWN'} weight ${r.weight}${held}${paused}${r.reason ? ` (${r.reason})` : ''}`,
    );
    for (const c of r.checkers) {
      const last = c.last
        ? `${c.last.ok ? 'ok' : 'failed'} ${c.last.latencyMs.toFixed(1)} ms${c.last.reason ? ` (${c.last.reason})` : ''}`
        : 'not run yet';
      lines.push(
        `    ${c.kind} ${c.target}: ${c.up ? 'up' : 'down'}, last ${last}${c.retrying ? `, retry ${c.retrying}` : ''}`,
      );
    }
  }
  return lines;
}

/** statusLvsLines renders the IPVS part of a status document. */
export function statusLvsLines(doc: Pick<StatusDocument, 'lvs'>): string[] {
  return lvsLines(lvsViewOf(doc.lvs));
}

/** formatStatus renders the status document for people. */
export function formatStatus(doc: StatusDocument): string {
  const lines = [`keepvip ${doc.version} (pid ${doc.pid})`];
  for (const i of doc.instances) {
    const moves = priorityMoves(i);
    const why = moves.length ? ` moved by ${moves.join(', ')}` : '';
    lines.push(
      `${i.name}: ${i.state}  vrid ${i.vrid} v${i.version} on ${i.interface}  priority ${i.effectivePriority} (base ${i.basePriority})${why}  master ${i.masterAddress ?? '-'}`,
    );
    lines.push(`  VIPs: ${i.vips.join(' ') || '-'}`);
    if (i.faults.length) lines.push(`  faults: ${i.faults.join(', ')}`);
    for (const t of i.tracks) {
      const last = t.lastRun
        ? ` (last run ${t.lastRun.at}, ${t.lastRun.timedOut ? 'timed out' : `exit ${t.lastRun.exitCode}`})`
        : '';
      lines.push(`  track ${t.name}: ${t.good ? 'OK' : 'FAILED'} weight ${t.weight}${last}`);
    }
    const drops = Object.entries(i.counters.drops).map(([k, v]) => `${k}=${v}`);
    lines.push(
      `  adverts sent ${i.counters.advertsSent} received ${i.counters.advertsReceived}; drops: ${drops.join(' ') || 'none'}`,
    );
    if (i.counters.splitBrainEpisodes) lines.push(`  split-brain episodes: ${i.counters.splitBrainEpisodes}`);
    for (const t of i.transitions.slice(-5)) lines.push(`  ${t.wallTime} ${t.from} -> ${t.to} (${t.reason})`);
  }
  for (const u of doc.nginxUpstreams ?? []) {
    const members = u.members.map((m) => `${m.server}${m.up ? '' : ' (down)'}`).join(', ');
    lines.push(`nginx_upstream ${u.name} -> ${u.output}: ${members || 'no servers'}`);
  }
  lines.push(...statusLvsLines(doc));
  lines.push(...haSuspendLine(doc.lvs));
  if (doc.checkers) lines.push(...checkerLines(doc.checkers, doc.lvs));
  const other = Object.entries(doc.drops).map(([k, v]) => `${k}=${v}`);
  if (other.length) lines.push(`unattributed drops: ${other.join(' ')}`);
  return lines.join('\n');
}
