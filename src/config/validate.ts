/**
 * Cross-object checks on a built configuration, mirroring what keepalived 2.2.7 does after
 * reading the file (vrrp_complete_init / vrrp_complete_instance): unresolved track_script,
 * track_file (also a FILE_CHECK's) and sync-group names are reported and dropped ("not found,
 * ignoring..."), and two instances with the same VRID and family on one interface stop
 * keepalived from starting.
 */
import type { DiagnosticSink } from './diagnostics.js';
import type { KeepvipConfig, TrackRef, VrrpInstance } from './model.js';

/** validateConfig checks references and conflicts, removing what keepalived would ignore. */
export function validateConfig(config: KeepvipConfig, sink: DiagnosticSink): void {
  const scripts = new Set(config.vrrpScripts.map((s) => s.name));
  const files = new Set(config.trackFiles.map((t) => t.name));
  const processes = new Set(config.trackProcesses.map((t) => t.name));
  reportDuplicateNames(config, sink);
  const resolve = (refs: TrackRef[], known: Set<string>, what: string, owner: string): TrackRef[] =>
    refs.filter((r) => {
      if (known.has(r.name)) return true;
      // keepalived: "(VI_1) track script chk_missing not found, ignoring..."
      sink.warning(
        r.pos,
        'undefined-reference',
        `${owner}: ${what} '${r.name}' is not defined; ignored (as keepalived does)`,
      );
      return false;
    });
  for (const vi of config.vrrpInstances) {
    const owner = `vrrp_instance ${vi.name}`;
    vi.trackScripts = resolve(vi.trackScripts, scripts, 'track_script', owner);
    vi.trackFiles = resolve(vi.trackFiles, files, 'track_file', owner);
    vi.trackProcesses = resolve(vi.trackProcesses, processes, 'track_process', owner);
  }
  // keepalived (check_file.c): "track_file F not found", then "FILE_CHECK has no track_file
  // specified - ignoring": the checker is dropped and the real server keeps its other checkers.
  for (const vs of config.virtualServers)
    for (const rs of vs.realServers)
      rs.checkers = rs.checkers.filter((c) => {
        if (c.kind !== 'FILE_CHECK' || files.has(c.trackFile)) return true;
        sink.warning(
          c.pos,
          'undefined-reference',
          `real_server ${rs.address}: track_file '${c.trackFile}' is not defined; FILE_CHECK ignored (as keepalived does)`,
        );
        return false;
      });
  const instances = new Map(config.vrrpInstances.map((i) => [i.name, i]));
  const inGroup = new Map<string, string>();
  for (const g of config.vrrpSyncGroups) {
    const owner = `vrrp_sync_group ${g.name}`;
    g.trackScripts = resolve(g.trackScripts, scripts, 'track_script', owner);
    g.trackFiles = resolve(g.trackFiles, files, 'track_file', owner);
    g.trackProcesses = resolve(g.trackProcesses, processes, 'track_process', owner);
    g.members = g.members.filter((m) => {
      if (!instances.has(m)) {
        sink.warning(g.pos, 'undefined-reference', `${owner}: vrrp_instance '${m}' does not exist; ignored`);
        return false;
      }
      const other = inGroup.get(m);
      if (other !== undefined) {
        sink.warning(
          g.pos,
          'sync-group-member',
          `${owner}: vrrp_instance '${m}' is already in vrrp_sync_group ${other}; ignored`,
        );
        return false;
      }
      inGroup.set(m, g.name);
      return true;
    });
    if (g.members.length === 1) {
      // keepalived: "Sync group G1 has only 1 virtual router(s) - this probably isn't what you want"
      sink.warning(
        g.pos,
        'sync-group-size',
        `${owner} has only one vrrp_instance; a sync group needs two to be useful`,
      );
    }
  }
  const weightOf = new Map(config.vrrpScripts.map((s) => [s.name, s.weight]));
  for (const vi of config.vrrpInstances) {
    if (!inGroup.has(vi.name)) continue;
    for (const ref of vi.trackScripts) {
      if ((ref.weight ?? weightOf.get(ref.name) ?? 0) === 0) continue;
      // keepalived: "(VI_1) ignoring tracked script chk with weights due to SYNC group": members
      // of a sync group must move together, so a failing script puts the instance in FAULT.
      sink.warning(
        ref.pos,
        'sync-group-weight',
        `vrrp_instance ${vi.name} is in a sync group: the weight of track_script '${ref.name}' is ignored (failure means FAULT)`,
      );
      ref.weight = 0;
    }
  }
  reportDuplicateVrids(config.vrrpInstances, sink);
  reportScriptSecurity(config, sink);
}

/** reportDuplicateNames flags two objects of one kind with the same name; the later one shadows nothing. */
function reportDuplicateNames(config: KeepvipConfig, sink: DiagnosticSink): void {
  const kinds: [string, { name: string; pos: TrackRef['pos'] }[]][] = [
    ['vrrp_instance', config.vrrpInstances],
    ['vrrp_script', config.vrrpScripts],
    ['track_file', config.trackFiles],
    ['vrrp_track_process', config.trackProcesses],
    ['vrrp_sync_group', config.vrrpSyncGroups],
  ];
  for (const [kind, items] of kinds) {
    const seen = new Map<string, TrackRef['pos']>();
    for (const item of items) {
      const first = seen.get(item.name);
      if (first)
        sink.error(
          item.pos,
          'duplicate-name',
          `${kind} ${item.name} is already defined at ${first.file}:${first.line}`,
        );
      else seen.set(item.name, item.pos);
    }
  }
}

/** reportDuplicateVrids: RFC 5798 section 5.2.3 — a VRID identifies one virtual router per LAN. */
export function reportDuplicateVrids(instances: readonly VrrpInstance[], sink: DiagnosticSink): void {
  const seen = new Map<string, VrrpInstance>();
  for (const vi of instances) {
    const key = `${vi.interface}/${vi.family}/${vi.virtualRouterId}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, vi);
      continue;
    }
    // keepalived.conf(5): with unicast, VRIDs may repeat if the peer sets do not overlap.
    const disjointUnicast =
      first.unicastPeers.length > 0 &&
      vi.unicastPeers.length > 0 &&
      !first.unicastPeers.some((p) => vi.unicastPeers.includes(p));
    if (disjointUnicast) continue;
    // keepalived: "VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0" and exits (CONFIG).
    sink.error(
      vi.pos,
      'duplicate-vrid',
      `vrrp_instance ${vi.name} uses virtual_router_id ${vi.virtualRouterId} with ${vi.family === 'inet' ? 'IPv4' : 'IPv6'} on ${vi.interface}, like vrrp_instance ${first.name} (${first.pos.file}:${first.pos.line})`,
    );
  }
}

/** reportScriptSecurity mirrors keepalived's "SECURITY VIOLATION - scripts are being executed but script_security not enabled". */
function reportScriptSecurity(config: KeepvipConfig, sink: DiagnosticSink): void {
  if (config.globalDefs.enableScriptSecurity) return;
  const first =
    config.vrrpScripts[0]?.pos ??
    config.vrrpInstances.find((i) => Object.keys(i.notify).length > 0)?.pos ??
    config.vrrpSyncGroups.find((g) => Object.keys(g.notify).length > 0)?.pos;
  if (first === undefined) return;
  sink.warning(
    first,
    'script-security',
    'scripts will run as root without enable_script_security in global_defs (keepalived reports this as a SECURITY VIOLATION)',
  );
}
