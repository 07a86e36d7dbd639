/**
 * keepalived-exporter compatibility: the names, labels and values of mehdy/keepalived-exporter
 * (internal/collector/collector.go) for the fixture's two instances.
 */
import { describe, expect, it } from 'vitest';
import { renderMetrics } from '../../../src/control/metrics.js';
import { snapshot } from './fixture.js';

const text = () => renderMetrics(snapshot());
const VI1 = 'iname="VI_1",intf="eth0",vrid="51"';

describe('keepalived-exporter families', () => {
  const cases: [string, string][] = [
    ['keepalived_up is 1 while keepvip answers', 'keepalived_up 1'],
    [
      'vrrp_state per VIP: /24 keeps its prefix, MASTER is 2',
      'keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="51",ip_address="10.0.0.100/24"} 2',
    ],
    [
      'vrrp_state per VIP: a /32 is written bare, intf is the VIP dev',
      'keepalived_vrrp_state{iname="VI_1",intf="eth1",vrid="51",ip_address="10.1.0.5"} 2',
    ],
    [
      'vrrp_state of an IPv6 BACKUP is 1',
      'keepalived_vrrp_state{iname="VI_2",intf="eth0",vrid="52",ip_address="fd00::5/64"} 1',
    ],
    [
      'excluded VIPs carry the instance state',
      'keepalived_vrrp_excluded_state{iname="VI_1",intf="eth0",vrid="51",ip_address="10.2.0.9"} 2',
    ],
    ['adverts sent', `keepalived_advertisements_sent_total{${VI1}} 42`],
    ['adverts received', `keepalived_advertisements_received_total{${VI1}} 3`],
    ['become master', `keepalived_become_master_total{${VI1}} 2`],
    ['release master', `keepalived_release_master_total{${VI1}} 1`],
    ['ttl drops are ip_ttl_err', `keepalived_ip_ttl_errors_total{${VI1}} 2`],
    ['auth drops are auth_failure', `keepalived_authentication_failure_total{${VI1}} 1`],
    ['address-count and addresses drops are addr_list_err', `keepalived_address_list_errors_total{${VI1}} 5`],
    ['priority zero sent', `keepalived_priority_zero_sent_total{${VI1}} 1`],
    [
      'garp delay is garp_master_delay in seconds (default 5)',
      `keepalived_gratuitous_arp_delay_total{${VI1}} 5`,
    ],
    ['a failing vrrp_script is BAD (0)', 'keepalived_script_status{name="chk_nginx"} 0'],
  ];
  for (const [name, line] of cases) {
    it(name, () => {
      expect(text().split('\n')).toContain(line);
    });
  }

  it('checksum drops are keepvip-only (keepalived has no counter for them)', () => {
    expect(text()).toContain('keepvip_adverts_dropped_total{instance="VI_1",reason="checksum"} 7');
    expect(text()).toContain(`keepalived_packet_length_errors_total{${VI1}} 0`);
  });

  it('the counters have keepalived-exporter TYPE lines', () => {
    expect(text()).toContain('# TYPE keepalived_advertisements_sent_total counter');
    expect(text()).toContain('# TYPE keepalived_vrrp_state gauge');
  });
});
