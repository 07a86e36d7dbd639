/**
 * planReload (runner/reload.ts): what makes an instance keep running, restart, go or start
 * across a reload. The runner's own reload test (vrrp-runner.test.ts) checks the drivers.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/config/load.js';
import type { KeepvipConfig } from '../../../src/config/model.js';
import { planReload } from '../../../src/runner/reload.js';

const SCRIPT = `vrrp_script chk {
  script "/bin/true"
  interval SECONDS
}
`;

function instance(name: string, vrid: number, extra = ''): string {
  return `vrrp_instance ${name} {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${vrid}\n  priority 100\n  advert_int 1\n  virtual_ipaddress {\n    10.0.0.${vrid}/32\n  }\n${extra}}\n`;
}

function config(parts: string[], globals = ''): KeepvipConfig {
  const text = [`global_defs {\n  router_id t\n${globals}}\n`, ...parts].join('');
  const loaded = loadConfigText(text, 'test.conf');
  if (!loaded.config) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded.config;
}

describe('planReload', () => {
  it('keeps an instance moved to another line (source positions do not count)', () => {
    const before = config([instance('A', 1), instance('B', 2)]);
    const after = config([`\n\n`, instance('B', 2), instance('A', 1)]);
    expect(planReload(before, after)).toEqual({ kept: ['A', 'B'], restarted: [], added: [], removed: [] });
  });

  it('restarts an instance whose settings changed, removes a gone one, adds a new one', () => {
    const before = config([instance('A', 1), instance('B', 2), instance('C', 3)]);
    const after = config([instance('A', 1), instance('B', 2, '  nopreempt\n'), instance('D', 4)]);
    expect(planReload(before, after)).toEqual({
      kept: ['A'],
      restarted: ['B'],
      added: ['D'],
      removed: ['C'],
    });
  });

  it('restarts an instance whose tracked vrrp_script changed, keeps one that does not track it', () => {
    const track = '  track_script {\n    chk\n  }\n';
    const before = config([SCRIPT.replace('SECONDS', '2'), instance('A', 1, track), instance('B', 2)]);
    const after = config([SCRIPT.replace('SECONDS', '3'), instance('A', 1, track), instance('B', 2)]);
    expect(planReload(before, after)).toMatchObject({ kept: ['B'], restarted: ['A'] });
  });

  it('restarts the members of a changed vrrp_sync_group', () => {
    const group = (members: string) => `vrrp_sync_group G {\n  group {\n${members}  }\n}\n`;
    const before = config([group('    A\n'), instance('A', 1), instance('B', 2)]);
    const after = config([group('    A\n    B\n'), instance('A', 1), instance('B', 2)]);
    expect(planReload(before, after)).toMatchObject({ kept: [], restarted: ['A', 'B'] });
  });

  it('restarts every instance when vrrp_mcast_group4 changes (their socket must join the new group)', () => {
    const before = config([instance('A', 1), instance('B', 2)]);
    const after = config([instance('A', 1), instance('B', 2)], '  vrrp_mcast_group4 224.0.0.50\n');
    expect(planReload(before, after)).toMatchObject({ kept: [], restarted: ['A', 'B'] });
  });
});
