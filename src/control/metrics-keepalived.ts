/**
 * The metric names of mehdy/keepalived-exporter (internal/collector/collector.go), with its
 * labels and meanings, so the alerts and Grafana dashboards operators run against keepalived
 * work unchanged against keepvip. Per instance the labels are `iname`, `intf` (the instance's
 * interface), `vrid`; keepalived_vrrp_state has one sample per VIP with `intf` the VIP's device
 * and `ip_address` as keepalived's dump writes it (prefix only when not /32 or /128).
 */
import type { Exposition, Sample } from './exposition.js';
import { KEEPALIVED_STATE, keepalivedStats, type KeepalivedStatsField } from './keepalived-names.js';
import { keepalivedAddress, type DaemonSnapshot, type InstanceView } from './snapshot.js';

const COUNTERS: [
  name: string,
  help: string,
  value: (i: InstanceView, s: Record<KeepalivedStatsField, number>) => number,
][] = [
  ['keepalived_advertisements_received_total', 'Advertisements received', (i) => i.counters.advertsReceived],
  ['keepalived_advertisements_sent_total', 'Advertisements sent', (i) => i.counters.advertsSent],
  ['keepalived_become_master_total', 'Became master', (i) => i.counters.becameMaster],
  ['keepalived_release_master_total', 'Released master', (i) => i.counters.releasedMaster],
  ['keepalived_packet_length_errors_total', 'Packet length errors', (_, s) => s.packet_len_err],
  [
    'keepalived_advertisements_interval_errors_total',
    'Advertisement interval errors',
    (_, s) => s.advert_interval_err,
  ],
  ['keepalived_ip_ttl_errors_total', 'TTL errors', (_, s) => s.ip_ttl_err],
  ['keepalived_invalid_type_received_total', 'Invalid type errors', (_, s) => s.invalid_type_rcvd],
  ['keepalived_address_list_errors_total', 'Address list errors', (_, s) => s.addr_list_err],
  ['keepalived_authentication_invalid_total', 'Authentication invalid', (_, s) => s.invalid_authtype],
  ['keepalived_authentication_mismatch_total', 'Authentication mismatch', (_, s) => s.authtype_mismatch],
  ['keepalived_authentication_failure_total', 'Authentication failure', (_, s) => s.auth_failure],
  [
    'keepalived_priority_zero_received_total',
    'Priority zero received',
    (i) => i.counters.priorityZeroReceived,
  ],
  ['keepalived_priority_zero_sent_total', 'Priority zero sent', (i) => i.counters.priorityZeroSent],
];

/** keepalivedFamilies writes keepalived-exporter's families for every instance. */
export function keepalivedFamilies(out: Exposition, snap: DaemonSnapshot): void {
  out.family('keepalived_up', 'gauge', 'Status', [[{}, 1]]);
  const rows = snap.instances.map((view) => ({
    view,
    inst: snap.config.vrrpInstances.find((c) => c.name === view.name),
    stats: keepalivedStats(view.counters.drops),
    labels: { iname: view.name, intf: view.interface, vrid: String(view.vrid) },
  }));
  const state = (v: InstanceView) => KEEPALIVED_STATE[v.state] ?? 0;
  const perVip = (excluded: boolean): Sample[] =>
    rows.flatMap(({ view, inst }) => {
      const vips = (excluded ? inst?.virtualIpAddressesExcluded : inst?.virtualIpAddresses) ?? [];
      // The exporter records vrrp_state even for an instance without VIPs (ip_address "").
      if (vips.length === 0 && !excluded)
        return [
          [{ iname: view.name, intf: view.interface, vrid: String(view.vrid), ip_address: '' }, state(view)],
        ];
      return vips.map((v): Sample => {
        const [ip = '', , dev = view.interface] = keepalivedAddress(v, view).split(' ');
        return [{ iname: view.name, intf: dev, vrid: String(view.vrid), ip_address: ip }, state(view)];
      });
    });
  out.family('keepalived_vrrp_state', 'gauge', 'State of vrrp', perVip(false));
  out.family('keepalived_vrrp_excluded_state', 'gauge', 'State of vrrp with excluded VIP', perVip(true));
  out.family(
    'keepalived_gratuitous_arp_delay_total',
    'counter',
    'Gratuitous ARP delay',
    rows.map(({ labels, inst }) => [labels, (inst?.garp.masterDelayMs ?? 0) / 1000]),
  );
  for (const [name, help, value] of COUNTERS)
    out.family(
      name,
      'counter',
      help,
      rows.map(({ labels, view, stats }) => [labels, value(view, stats)]),
    );
  // keepalived_script_status: one sample per vrrp_script an instance tracks (BAD 0, GOOD 1).
  const scripts = new Map<string, boolean>();
  for (const v of snap.instances)
    for (const t of v.tracks) if (t.name.startsWith('script ')) scripts.set(t.name.slice(7), t.good);
  out.family(
    'keepalived_script_status',
    'gauge',
    'Tracker Script Status',
    [...scripts].map(([name, good]) => [{ name }, good ? 1 : 0]),
  );
}
