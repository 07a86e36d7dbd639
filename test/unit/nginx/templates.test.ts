/** The templates against golden files: nginx upstream (mark, omit, IPv6, LVS pool), both pair modes, notify script. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { KeepvipConfig, NginxUpstream } from '../../../src/config/model.js';
import { upstreamContext } from '../../../src/nginx/context.js';
import { generatePair } from '../../../src/nginx/generate.js';
import { hostPort, indent, nginxDuration, quote, serverParams } from '../../../src/nginx/helpers.js';
import { loadInventory } from '../../../src/nginx/inventory.js';
import { resolvePool } from '../../../src/nginx/pool.js';
import { renderTemplateText, TemplateError } from '../../../src/nginx/render.js';
import { renderUpstream } from '../../../src/nginx/upstream.js';
import { expectGolden, FIXTURES } from './golden.js';

function pool(): { config: KeepvipConfig; up: NginxUpstream } {
  const r = loadConfig(join(FIXTURES, 'pool.conf'), { hostname: 'test' });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { config: r.config!, up: r.config!.nginxUpstreams[0]! };
}

/** Make the `source` line of a golden independent of where the checkout lives. */
const portable = (text: string) => text.replaceAll(FIXTURES, 'FIXTURES');

describe('nginx-upstream.hbs', () => {
  it('renders every member up: weights, max_fails, fail_timeout, backup, operator down, IPv6, real servers', () => {
    const { config, up } = pool();
    expectGolden('upstream-all-up.conf', portable(renderUpstream(up, config)));
  });

  it('marks a member found down with `down` and a comment (down_servers mark)', () => {
    const { config, up } = pool();
    const members = resolvePool(up, config);
    const health = new Map([[members[0]!.key, false]]);
    expectGolden('upstream-one-down-mark.conf', portable(renderUpstream(up, config, health)));
  });

  it('leaves a member found down out (down_servers omit)', () => {
    const { config, up } = pool();
    const members = resolvePool(up, config);
    const health = new Map([[members[4]!.key, false]]);
    expectGolden(
      'upstream-one-down-omit.conf',
      portable(renderUpstream({ ...up, downServers: 'omit' }, config, health)),
    );
  });

  it('keeps members marked down when omitting would leave nginx an empty upstream', () => {
    const { config, up } = pool();
    const only = { ...up, servers: [up.servers[0]!], fromVirtualServers: [], downServers: 'omit' as const };
    const members = resolvePool(only, config);
    const ctx = upstreamContext(only, members, new Map([[members[0]!.key, false]]));
    expect(ctx.servers.map((s) => [s.endpoint, s.down])).toEqual([['172.18.67.11:80', true]]);
    expect(ctx.omittedCount).toBe(0);
  });

  it('renders no server block without listen', () => {
    const { config, up } = pool();
    const text = renderUpstream({ ...up, listen: [] }, config);
    expect(text).not.toMatch(/^server \{/m);
    expect(text).toMatch(/^upstream websrvs \{/m);
  });
});

describe('pool from virtual_server', () => {
  it('takes real servers with their weight, TCP_CHECK as the check, weight 0 as down', () => {
    const { config, up } = pool();
    const members = resolvePool(up, config);
    const rs = members.filter((m) => m.source.startsWith('real_server'));
    expect(rs.map((m) => [m.address, m.port, m.weight, m.adminDown])).toEqual([
      ['172.18.67.21', 80, 3, false],
      ['172.18.67.22', 80, 1, true],
    ]);
    // delay_loop 5 → interval, connect_timeout 2 → timeout, retry 2 → fall.
    expect(rs[0]!.check).toEqual({ kind: 'tcp', intervalMs: 5000, timeoutMs: 2000, fall: 2, rise: 1 });
    expect(rs[1]!.check).toBeUndefined();
    // The operator's `down` server is never checked; the others get the block's health_check.
    expect(members.find((m) => m.address === '172.18.67.12')!.check).toBeUndefined();
    expect(members[0]!.check).toEqual({ kind: 'tcp', intervalMs: 2000, timeoutMs: 1000, fall: 2, rise: 1 });
  });
});

describe('keepalived-node.hbs and notify.sh.hbs (keepvip generate)', () => {
  for (const mode of ['single', 'dual'] as const) {
    it(`renders both nodes of a ${mode} pair`, () => {
      const inv = loadInventory(join(FIXTURES, `${mode}.inv`));
      expect(inv.diagnostics).toEqual([]);
      const files = generatePair(inv.inventory!);
      for (const f of files) expectGolden(`${mode}-${f.path.replaceAll('/', '-')}`, portable(f.content));
      expect(files.map((f) => f.path).sort()).toEqual(
        mode === 'single'
          ? ['lb1/keepalived.conf', 'lb2/keepalived.conf', 'nginx/websrvs.conf', 'notify.sh']
          : ['lb1/keepalived.conf', 'lb2/keepalived.conf'],
      );
    });
  }
});

describe('template helpers', () => {
  it.each([
    ['hostPort IPv4', hostPort('10.0.0.1', 80), '10.0.0.1:80'],
    ['hostPort IPv6', hostPort('2001:db8::1', 443), '[2001:db8::1]:443'],
    ['serverParams defaults', serverParams({ weight: 1, backup: false, down: false }), ''],
    [
      'serverParams all',
      serverParams({ weight: 5, maxFails: 0, failTimeoutS: 30, backup: true, down: true }),
      ' weight=5 max_fails=0 fail_timeout=30s backup down',
    ],
    ['duration s', nginxDuration(10_000), '10s'],
    ['duration m', nginxDuration(120_000), '2m'],
    ['duration ms', nginxDuration(1500), '1500ms'],
    ['quote', quote('say "hi" \\o/'), '"say \\"hi\\" \\\\o/"'],
    ['indent', indent('a\n\nb', 2), '  a\n\n  b'],
  ])('%s', (_name, got, want) => {
    expect(got).toBe(want);
  });

  it('are registered for templates, and a misspelt field is an error, not an empty string', () => {
    expect(
      renderTemplateText('{{join xs ", "}} {{#if (eq a 1)}}one{{/if}} {{duration 3000}}', {
        xs: [1, 2],
        a: 1,
      }),
    ).toBe('1, 2 one 3s');
    expect(() => renderTemplateText('{{nmae}}', { name: 'x' })).toThrow(TemplateError);
  });
});
