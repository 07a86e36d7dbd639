/** keepvip generate: what it writes passes --config-test --peer, and a broken inventory writes nothing. */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runGenerate } from '../../../src/cli/generate.js';
import { runConfigTest } from '../../../src/config/config-test.js';
import { loadInventoryText } from '../../../src/nginx/inventory.js';
import { FIXTURES } from './golden.js';

const dir = mkdtempSync(join(tmpdir(), 'kvng-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('keepvip generate', () => {
  for (const mode of ['single', 'dual']) {
    it(`writes a ${mode} pair that passes --config-test --peer with no finding`, () => {
      const out = join(dir, mode);
      const lines: string[] = [];
      expect(runGenerate({ pair: join(FIXTURES, `${mode}.inv`), out, err: (l) => lines.push(l) })).toBe(0);
      const report: string[] = [];
      const rc = runConfigTest({
        file: join(out, 'lb1/keepalived.conf'),
        peer: join(out, 'lb2/keepalived.conf'),
        out: (l) => report.push(l),
      });
      console.log(`[generate] ${mode}: ${lines.length} files; config test: ${report.join(' / ')}`);
      expect(rc).toBe(0);
      expect(report).toEqual([
        `${join(out, 'lb1/keepalived.conf')} + ${join(out, 'lb2/keepalived.conf')}: 0 error(s), 0 warning(s)`,
      ]);
      if (mode === 'single') {
        expect(statSync(join(out, 'notify.sh')).mode & 0o777).toBe(0o755);
        expect(readFileSync(join(out, 'nginx/websrvs.conf'), 'utf8')).toMatch(
          /server 10\.0\.1\.11:8080 weight=2;/,
        );
      }
    });
  }

  it.each([
    ['one node', 'pair p {\n vip 10.0.0.1/24\n node a {\n address 10.0.0.2\n }\n}', 'node-count'],
    ['two pairs', 'pair p {\n}\npair q {\n}', 'pair-count'],
    [
      'dual_master without a node vip',
      'pair p {\n mode dual_master\n node a {\n address 10.0.0.2\n vip 10.0.0.9/24\n }\n node b {\n address 10.0.0.3\n }\n}',
      'missing-argument',
    ],
    [
      'single_vip without vip',
      'pair p {\n node a {\n address 10.0.0.2\n }\n node b {\n address 10.0.0.3\n }\n}',
      'missing-argument',
    ],
    [
      'bad address',
      'pair p {\n vip 10.0.0.1/24\n node a {\n address 10.0.0.300\n }\n node b {\n address 10.0.0.3\n }\n}',
      'invalid-address',
    ],
    [
      'auth_pass too long',
      'pair p {\n auth_pass 123456789\n vip 10.0.0.1/24\n node a {\n address 10.0.0.2\n }\n node b {\n address 10.0.0.3\n }\n}',
      'auth-pass-too-long',
    ],
  ])('rejects an inventory with %s', (_name, text, code) => {
    const r = loadInventoryText(text, 'inv');
    expect(r.inventory).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toContain(code);
  });

  it('writes nothing when the generated pair would not pass the config test', () => {
    // A copied nginx_upstream with an unknown virtual server makes both configs fail.
    const out = join(dir, 'broken');
    const inv = join(dir, 'broken.inv');
    writeFileSync(
      inv,
      'pair p {\n vip 10.0.0.1/24\n node a {\n address 10.0.0.2\n }\n node b {\n address 10.0.0.3\n }\n}\nnginx_upstream w {\n output /tmp/w.conf\n from_virtual_server 10.9.9.9 80\n}\n',
    );
    const lines: string[] = [];
    expect(runGenerate({ pair: inv, out, err: (l) => lines.push(l) })).toBe(4);
    expect(lines.join('\n')).toMatch(/unknown-virtual-server|no virtual_server 10\.9\.9\.9 80/);
    expect(() => statSync(out)).toThrow();
  });
});
