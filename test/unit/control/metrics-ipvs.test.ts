/** node_exporter ipvs collector compatibility: names and labels of collector/ipvs_linux.go. */
import { describe, expect, it } from 'vitest';
import { renderMetrics } from '../../../src/control/metrics.js';
import { lvsViewOf } from '../../../src/control/lvs-adapter.js';
import { CHECKS, LVS, LVS_STATUS, snapshot } from './fixture.js';

describe('node_exporter ipvs families', () => {
  const text = () => renderMetrics(snapshot(LVS)).split('\n');
  const BACKEND =
    'local_address="10.0.0.100",local_port="80",remote_address="10.0.1.1",remote_port="80",proto="TCP",local_mark=""';

  it('per-backend gauges carry node_exporter labels in its order', () => {
    expect(text()).toContain(`node_ipvs_backend_connections_active{${BACKEND}} 3`);
    expect(text()).toContain(`node_ipvs_backend_connections_inactive{${BACKEND}} 7`);
    expect(text()).toContain(`node_ipvs_backend_weight{${BACKEND}} 5`);
  });

  it("an fwmark service is proto FWM with the kernel's %08X mark and no address", () => {
    expect(text()).toContain(
      'node_ipvs_backend_weight{local_address="",local_port="0",remote_address="10.0.1.3",remote_port="443",proto="FWM",local_mark="00000007"} 1',
    );
  });

  it('totals sum the services', () => {
    expect(text()).toContain('node_ipvs_connections_total 105');
    expect(text()).toContain('node_ipvs_incoming_packets_total 1050');
    expect(text()).toContain('node_ipvs_incoming_bytes_total 67000');
  });

  it('without a checker snapshot, keepvip_real_server_alive comes from the LVS verdicts', () => {
    expect(text()).toContain(
      'keepvip_real_server_alive{virtual_server="[10.0.0.100]:tcp:80",real_server="[10.0.1.2]:tcp:80"} 0',
    );
    expect(text()).toContain(
      'keepvip_real_server_alive{virtual_server="[10.0.0.100]:tcp:80",real_server="[10.0.1.1]:tcp:80"} 1',
    );
  });

  it('with the checker snapshot: verdicts and per-checker figures', () => {
    const t = renderMetrics(snapshot(LVS, CHECKS)).split('\n');
    const L =
      'virtual_server="[10.0.0.100]:tcp:80",real_server="[10.0.1.2]:tcp:80",checker="HTTP_GET",target="10.0.1.2:80"';
    expect(t).toContain(
      'keepvip_real_server_alive{virtual_server="[10.0.0.100]:tcp:80",real_server="[10.0.1.2]:tcp:80"} 0',
    );
    expect(t).toContain(`keepvip_checker_up{${L}} 0`);
    expect(t).toContain(`keepvip_checker_runs_total{${L}} 4`);
    expect(t).toContain(`keepvip_checker_failures_total{${L}} 2`);
    expect(t).toContain(`keepvip_checker_duration_seconds_total{${L}} 0.01`);
    expect(t).toContain('keepvip_checkers_in_flight 0');
  });

  it('a table the kernel does not have (not programmed) writes no node_ipvs_* family', () => {
    const view = lvsViewOf({ ...LVS_STATUS, state: 'not-programmed', reason: 'no IPVS in this kernel' });
    expect(view.services.length).toBe(2);
    expect(renderMetrics(snapshot(view))).not.toContain('node_ipvs_');
  });

  it('without IPVS no node_ipvs_* family is written (as node_exporter on a kernel without it)', () => {
    expect(renderMetrics(snapshot())).not.toContain('node_ipvs_');
  });
});
