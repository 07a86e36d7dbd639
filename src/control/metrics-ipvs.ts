/**
 * IPVS figures under node_exporter's ipvs collector names (collector/ipvs_linux.go), so
 * dashboards built on node_exporter keep working on a keepvip director. node_exporter reads
 * /proc/net/ip_vs_stats (totals) and /proc/net/ip_vs (per backend, through prometheus/procfs);
 * keepvip reads the same kernel table over netlink: the totals are the sum over the services
 * it reads, backend labels are procfs's (`proto` TCP/UDP/SCTP or FWM; for FWM services
 * `local_mark` is the kernel's `%08X`, `local_address` "" and `local_port` 0).
 */
import type { Exposition, Sample } from './exposition.js';
import type { LvsServiceView, LvsView } from './lvs-view.js';

function serviceLabels(s: LvsServiceView) {
  if (s.fwmark !== undefined)
    return {
      local_address: '',
      local_port: '0',
      proto: 'FWM',
      local_mark: s.fwmark.toString(16).toUpperCase().padStart(8, '0'),
    };
  return {
    local_address: s.address ?? '',
    local_port: String(s.port ?? 0),
    proto: (s.protocol ?? 'tcp').toUpperCase(),
    local_mark: '',
  };
}

/** ipvsFamilies writes node_ipvs_* when a table is programmed (node_exporter writes nothing without IPVS). */
export function ipvsFamilies(out: Exposition, lvs: LvsView): void {
  if (!lvs.programmed) return;
  const total = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
  for (const s of lvs.services) {
    total.conns += s.stats?.conns ?? 0;
    total.inPkts += s.stats?.inPkts ?? 0;
    total.outPkts += s.stats?.outPkts ?? 0;
    total.inBytes += s.stats?.inBytes ?? 0;
    total.outBytes += s.stats?.outBytes ?? 0;
  }
  out.family('node_ipvs_connections_total', 'counter', 'The total number of connections made.', [
    [{}, total.conns],
  ]);
  out.family('node_ipvs_incoming_packets_total', 'counter', 'The total number of incoming packets.', [
    [{}, total.inPkts],
  ]);
  out.family('node_ipvs_outgoing_packets_total', 'counter', 'The total number of outgoing packets.', [
    [{}, total.outPkts],
  ]);
  out.family('node_ipvs_incoming_bytes_total', 'counter', 'The total amount of incoming data.', [
    [{}, total.inBytes],
  ]);
  out.family('node_ipvs_outgoing_bytes_total', 'counter', 'The total amount of outgoing data.', [
    [{}, total.outBytes],
  ]);
  const active: Sample[] = [];
  const inactive: Sample[] = [];
  const weight: Sample[] = [];
  for (const s of lvs.services) {
    const sl = serviceLabels(s);
    for (const d of s.destinations) {
      // node_exporter's label order: local_address, local_port, remote_address, remote_port, proto, local_mark.
      const labels = {
        local_address: sl.local_address,
        local_port: sl.local_port,
        remote_address: d.address,
        remote_port: String(d.port),
        proto: sl.proto,
        local_mark: sl.local_mark,
      };
      active.push([labels, d.activeConns]);
      inactive.push([labels, d.inactConns]);
      weight.push([labels, d.weight]);
    }
  }
  out.family(
    'node_ipvs_backend_connections_active',
    'gauge',
    'The current active connections by local and remote address.',
    active,
  );
  out.family(
    'node_ipvs_backend_connections_inactive',
    'gauge',
    'The current inactive connections by local and remote address.',
    inactive,
  );
  out.family(
    'node_ipvs_backend_weight',
    'gauge',
    'The current backend weight by local and remote address.',
    weight,
  );
}
