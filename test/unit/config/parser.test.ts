import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Statement } from '../../../src/config/ast.js';
import { formatDiagnostic } from '../../../src/config/diagnostics.js';
import { defaultConfigId, parseConfigFile, parseConfigText } from '../../../src/config/parser.js';
import { SEED_CONFIGS } from '../../helpers/seeds.js';

/** show renders statements compactly: `kw arg { child; child }` joined by `; `. */
function show(statements: Statement[]): string {
  return statements
    .map((s) => {
      const words = [s.keyword, ...s.args].map((w) => (w.quoted ? `"${w.text}"` : w.text)).join(' ');
      return s.block === undefined ? words : `${words} { ${show(s.block)} }`.replace('{  }', '{}');
    })
    .join('; ');
}

/** findings renders diagnostics as `line:col severity code`. */
function findings(text: string): string[] {
  return parseConfigText(text, '/nonexistent-kvparse/keepalived.conf', { configId: 'node1' }).diagnostics.map(
    (d) => `${d.line}:${d.col} ${d.severity} ${d.code}`,
  );
}

function tree(text: string): string {
  return show(
    parseConfigText(text, '/nonexistent-kvparse/keepalived.conf', { configId: 'node1' }).statements,
  );
}

describe('statements and blocks', () => {
  const cases: { name: string; text: string; tree: string }[] = [
    { name: 'empty file', text: '', tree: '' },
    { name: 'only comments and blanks', text: '! c\n\n   \n# d\n', tree: '' },
    { name: 'a statement per line', text: 'a 1\nb 2 3\n', tree: 'a 1; b 2 3' },
    {
      name: 'block on the keyword line',
      text: 'global_defs {\n  router_id X\n}\n',
      tree: 'global_defs { router_id X }',
    },
    {
      name: 'brace on the next line (keepalived accepts it)',
      text: 'vrrp_instance VI_1\n{\n  state MASTER\n}\n',
      tree: 'vrrp_instance VI_1 { state MASTER }',
    },
    {
      name: 'brace after a comment and a blank line',
      text: 'vrrp_instance VI_1 ! c\n\n# x\n{\n  state MASTER\n}\n',
      tree: 'vrrp_instance VI_1 { state MASTER }',
    },
    {
      name: 'brace glued to the name',
      text: 'vrrp_instance VI_1{\n state BACKUP\n}',
      tree: 'vrrp_instance VI_1 { state BACKUP }',
    },
    {
      name: 'one-line list block',
      text: 'virtual_ipaddress { 10.0.0.1 10.0.0.2 }',
      tree: 'virtual_ipaddress { 10.0.0.1 10.0.0.2 }',
    },
    { name: 'empty block', text: 'track_script {\n}', tree: 'track_script {}' },
    {
      name: 'nested blocks closed by }}',
      text: 'a {\n b {\n  c\n }}\nd',
      tree: 'a { b { c } }; d',
    },
    {
      name: 'statement after a closing brace on the same line',
      text: 'a { x } b 1\nc',
      tree: 'a { x }; b 1; c',
    },
    { name: 'closing brace after words', text: 'a {\n x 1 }\n', tree: 'a { x 1 }' },
    {
      name: 'quoted words keep spaces and braces',
      text: 'vrrp_script chk {\n script "killall -0 nginx && exit 0 || exit 1"\n}',
      tree: 'vrrp_script chk { script "killall -0 nginx && exit 0 || exit 1" }',
    },
    { name: 'quoted keyword', text: '"a b" c', tree: '"a b" c' },
    { name: 'CRLF line ends', text: 'a {\r\n b\r\n}\r\n', tree: 'a { b }' },
    { name: 'byte order mark', text: '\uFEFFglobal_defs {\n}', tree: 'global_defs {}' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = parseConfigText(c.text, '/nonexistent-kvparse/k.conf', { configId: 'node1' });
      expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
      expect(show(r.statements)).toBe(c.tree);
    });
  }

  it('records word and block positions (1-based, columns in characters)', () => {
    const r = parseConfigText('# 中文注释\nvrrp_instance 实例 {\n\tstate MASTER\n}\n', 'k.conf', {
      configId: 'x',
    });
    const s = r.statements[0]!;
    expect(s.keyword.pos).toEqual({ file: 'k.conf', line: 2, col: 1 });
    expect(s.args[0]!.pos).toEqual({ file: 'k.conf', line: 2, col: 15 });
    expect(s.blockPos).toEqual({ file: 'k.conf', line: 2, col: 18 });
    expect(s.block![0]!.args[0]!.pos).toEqual({ file: 'k.conf', line: 3, col: 8 });
  });
});

describe('brace errors', () => {
  const cases: { name: string; text: string; findings: string[]; tree?: string }[] = [
    {
      name: 'stray } at top level',
      text: 'a 1\n  }\nb 2',
      findings: ['2:3 error unexpected-close-brace'],
      tree: 'a 1; b 2',
    },
    {
      name: 'unclosed block reported at its {',
      text: 'global_defs {\n  router_id X\n',
      findings: ['1:13 error unclosed-block'],
      tree: 'global_defs { router_id X }',
    },
    {
      name: 'two unclosed blocks, innermost first',
      text: 'a {\n  b {\n    c',
      findings: ['2:5 error unclosed-block', '1:3 error unclosed-block'],
    },
    {
      name: '{ with no keyword before it',
      text: '{\n  x 1\n}\ny',
      findings: ['1:1 error unexpected-open-brace'],
      tree: 'x 1; y',
    },
    {
      name: 'second { after a block',
      text: 'a {\n}\n{ b }\n',
      findings: ['3:1 error unexpected-open-brace'],
      tree: 'a {}; b',
    },
    {
      name: 'several findings in one file',
      text: '}\nvrrp_instance V {\n  state MASTER\n}\n}\nglobal_defs {\n',
      findings: [
        '1:1 error unexpected-close-brace',
        '5:1 error unexpected-close-brace',
        '6:13 error unclosed-block',
      ],
    },
    {
      name: 'unterminated quote',
      text: 'vrrp_script chk {\n  script "killall -0 nginx\n}\n',
      findings: ['2:10 error unterminated-quote'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(findings(c.text)).toEqual(c.findings);
      if (c.tree !== undefined) expect(tree(c.text)).toBe(c.tree);
    });
  }
});

describe('files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvparse-parser-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parseConfigFile reports an unreadable main file at 1:1 and does not throw', () => {
    const r = parseConfigFile(join(dir, 'missing.conf'));
    expect(r.statements).toEqual([]);
    expect(r.diagnostics.map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual(['1:1 file-unreadable']);
    expect(parseConfigFile(dir).diagnostics[0]!.code).toBe('file-unreadable');
  });

  it('parseConfigFile lists the main file first', () => {
    writeFileSync(join(dir, 'main.conf'), 'include part.conf\nb\n');
    writeFileSync(join(dir, 'part.conf'), 'a\n');
    const r = parseConfigFile(join(dir, 'main.conf'));
    expect(r.files).toEqual([join(dir, 'main.conf'), join(dir, 'part.conf')]);
    expect(show(r.statements)).toBe('a; b');
  });

  it('defaults the config id to the host name up to its first dot', () => {
    const id = defaultConfigId();
    expect(id).not.toContain('.');
    const r = parseConfigText(`@${id} a\n@^${id} b`, 'k.conf');
    expect(show(r.statements)).toBe('a');
  });
});

describe('feature fixture (accepted by keepalived 2.2.7: keepalived -t -i lb01 -f ...)', () => {
  const file = join(import.meta.dirname, '../../fixtures/parser/features/keepalived.conf');

  for (const [id, priority] of [
    ['lb01', '150'],
    ['lb02', '100'],
  ] as const) {
    it(`reads every feature for config id ${id}`, () => {
      const r = parseConfigFile(file, { configId: id });
      expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
      expect(r.files).toEqual([
        file,
        join(import.meta.dirname, '../../fixtures/parser/features/conf.d/10-script.conf'),
      ]);
      expect(show(r.statements)).toBe(
        [
          `global_defs { router_id ${id}; enable_script_security; script_user root; notification_email { ops@example.com } }`,
          'vrrp_script chk_nginx { script "/usr/bin/killall -0 nginx"; interval 2; weight -20 }',
          'vrrp_instance VI_1 { state BACKUP; interface eth0; virtual_router_id 51; ' +
            `priority ${priority}; advert_int 1; authentication { auth_type PASS; auth_pass hell>com }; ` +
            'virtual_ipaddress { 10.0.0.1/24 dev eth0; 10.0.0.2/24 dev eth0 }; track_script { chk_nginx } }',
        ].join('; '),
      );
      // Both address lines come from `$ADDRS` and carry its position (line 30, column 9), as keepalived reports them.
      const vips = r.statements[2]!.block!.find((s) => s.keyword.text === 'virtual_ipaddress')!.block!;
      expect(vips.map((s) => `${s.keyword.pos.line}:${s.keyword.pos.col}`)).toEqual(['30:9', '30:9']);
    });
  }
});

describe('seed configurations', () => {
  const seedDir = SEED_CONFIGS;
  // 001-nginx-upstream.conf and 003-nginx.conf are nginx configurations, not keepalived ones.
  const seeds = readdirSync(seedDir).filter(
    (f) => f.endsWith('.conf') && !/nginx(-upstream)?\.conf$/.test(f),
  );

  it('finds the keepalived seed files', () => {
    expect(seeds.length).toBeGreaterThanOrEqual(10);
  });

  for (const f of seeds) {
    it(`${f} parses without findings`, () => {
      const r = parseConfigFile(join(seedDir, f), { configId: 'seed' });
      expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
      expect(r.statements.length).toBeGreaterThan(0);
      expect(r.statements.every((s) => s.block !== undefined)).toBe(true);
    });
  }

  it('keeps auth_pass hell>com whole', () => {
    const r = parseConfigFile(join(seedDir, '002-dir1-dr-wlc.conf'), { configId: 'seed' });
    expect(show(r.statements)).toContain('auth_pass hell>com');
  });
});
