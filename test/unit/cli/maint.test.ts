import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isDownFile } from '../../../src/cli/maint.js';

describe('isDownFile: which tested files are maintenance switches', () => {
  const cases: [string, string, string, boolean][] = [
    ['seed form', '[[ -f /etc/keepalived/down ]] && exit 1 || exit 0', '/etc/keepalived/down', true],
    ['name says maint', 'test -e /var/run/maint.flag', '/var/run/maint.flag', true],
    ['presence fails the check', '[ -f /srv/lb/off ] && exit 2', '/srv/lb/off', true],
    ['a pid file means health', '[[ -f /run/nginx.pid ]] && exit 0 || exit 1', '/run/nginx.pid', false],
  ];
  for (const [name, script, path, expected] of cases) {
    it(name, () => expect(isDownFile(script, path)).toBe(expected));
  }
});

describe('keepvip maint on|off', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvmaint-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const down = join(dir, 'down');
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(
    conf,
    `vrrp_script chk_down {
    script "[[ -f ${down} ]] && exit 1 || exit 0"
    interval 1
    weight -5
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        10.0.0.100/24
    }
    track_script {
        chk_down
    }
}
`,
  );
  // The CLI runs from the TypeScript sources through tsx, never from a dist/ that may be stale.
  const root = join(__dirname, '../../..');
  const cli = (args: string[]) =>
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(join(root, 'src/cli/main.ts'))}); await m.main(['node', 'keepvip', ...process.argv.slice(1)]);`,
        '--',
        ...args,
      ],
      { encoding: 'utf8', cwd: root },
    );

  it('on creates the down file the configuration tracks and says which', () => {
    const out = cli(['maint', 'on', 'VI_1', '-f', conf]);
    expect(out).toContain(`maintenance on: created ${down} (vrrp_script chk_down, tracked by VI_1)`);
    expect(existsSync(down)).toBe(true);
  });
  it('off removes it', () => {
    const out = cli(['maint', 'off', '-f', conf]);
    expect(out).toContain(`maintenance off: removed ${down}`);
    expect(existsSync(down)).toBe(false);
  });
});
