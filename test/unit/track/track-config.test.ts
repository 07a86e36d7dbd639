import { describe, expect, it } from 'vitest';
import { BASE_INSTANCE, codes, load } from '../config/build-helper.js';

describe('vrrp_track_process and track_process (keepalived.conf(5) "VRRP track processes")', () => {
  it('reads every keyword with keepalived defaults', () => {
    const r = load(`
vrrp_track_process nginx_up {
    process nginx
    quorum 2
    quorum_max 9
    delay 0.25
    fork_delay 0.5
    weight -30 reverse
}
vrrp_track_process by_pid {
    pid_file /run/nginx.pid
}
vrrp_track_process args {
    process /usr/sbin/nginx -g "daemon off;"
    param_match partial
    full_command
}
${BASE_INSTANCE.replace('}\n', '}\n    track_process {\n        nginx_up\n        by_pid weight -7\n    }\n')}
`);
    expect(codes(r)).toEqual([]);
    const [a, b, c] = r.config!.trackProcesses;
    expect(a).toMatchObject({
      name: 'nginx_up',
      process: 'nginx',
      quorum: 2,
      quorumMax: 9,
      terminateDelayMs: 250,
      forkDelayMs: 500,
      weight: -30,
      weightReverse: true,
    });
    expect(b).toMatchObject({ name: 'by_pid', process: '', pidFile: '/run/nginx.pid', quorum: 1, weight: 1 });
    expect(c).toMatchObject({
      process: '/usr/sbin/nginx',
      params: ['-g', 'daemon off;'],
      paramMatch: 'partial',
      fullCommand: true,
    });
    expect(r.config!.vrrpInstances[0]!.trackProcesses.map((t) => [t.name, t.weight])).toEqual([
      ['nginx_up', undefined],
      ['by_pid', -7],
    ]);
  });

  it('drops a block with neither process nor pid_file, and an undefined reference', () => {
    const r = load(`
vrrp_track_process empty {
    quorum 1
}
${BASE_INSTANCE.replace('}\n', '}\n    track_process {\n        empty\n    }\n')}
`);
    expect(codes(r)).toEqual(['warning:track-process-missing', 'warning:undefined-reference']);
    expect(r.config!.vrrpInstances[0]!.trackProcesses).toEqual([]);
  });

  it('reads track_process on a sync group', () => {
    const r = load(`
vrrp_track_process p {
    process nginx
}
${BASE_INSTANCE}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    virtual_ipaddress {
        192.0.2.11/24
    }
}
vrrp_sync_group G {
    group {
        VI_1
        VI_2
    }
    track_process {
        p weight 0
    }
}
`);
    expect(codes(r)).toEqual([]);
    expect(r.config!.vrrpSyncGroups[0]!.trackProcesses).toMatchObject([{ name: 'p', weight: 0 }]);
  });
});

describe('vrrp_handoff (keepvip)', () => {
  it('defaults to fast; global rfc and a per-instance override are read', () => {
    expect(load(BASE_INSTANCE).config!.globalDefs.vrrpHandoff).toBe('fast');
    const r = load(`
global_defs {
    vrrp_handoff rfc
}
${BASE_INSTANCE.replace('interface eth0', 'interface eth0\n    handoff fast')}
`);
    expect(codes(r)).toEqual([]);
    expect(r.config!.globalDefs.vrrpHandoff).toBe('rfc');
    expect(r.config!.vrrpInstances[0]!.handoff).toBe('fast');
  });

  it('warns about a bad mode', () => {
    const r = load(`
global_defs {
    vrrp_handoff quick
}
${BASE_INSTANCE}
`);
    expect(codes(r)).toEqual(['warning:invalid-value']);
    expect(r.config!.globalDefs.vrrpHandoff).toBe('fast');
  });
});
