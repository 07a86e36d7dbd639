// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${NAME}` is keepalived parameter syntax, not a template.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Statement } from '../../../src/config/ast.js';
import { expandBraces, componentMatcher } from '../../../src/config/include.js';
import { type ParseResult, parseConfigFile, parseConfigText } from '../../../src/config/parser.js';

/** show renders statements compactly: `kw arg { child; child }` joined by `; `. */
function show(statements: Statement[]): string {
  return statements
    .map((s) => {
      const words = [s.keyword, ...s.args].map((w) => (w.quoted ? `"${w.text}"` : w.text)).join(' ');
      return s.block === undefined ? words : `${words} { ${show(s.block)} }`;
    })
    .join('; ');
}

function parse(text: string, configId = 'node1'): ParseResult {
  return parseConfigText(text, '/nonexistent-kvparse/keepalived.conf', { configId });
}

/** codes renders diagnostics as `line:col code`. */
function codes(r: ParseResult): string[] {
  return r.diagnostics.map((d) => `${d.line}:${d.col} ${d.code}`);
}

describe('parameters', () => {
  const cases: { name: string; text: string; tree: string; findings?: string[] }[] = [
    { name: '$NAME', text: '$IF=eth0\ninterface $IF', tree: 'interface eth0' },
    { name: '${NAME} glued to text', text: '$N=10\nvirtual_router_id ${N}1', tree: 'virtual_router_id 101' },
    { name: 'value with several words', text: '$V=10.0.0.1 dev eth0\nx $V', tree: 'x 10.0.0.1 dev eth0' },
    { name: 'comment stripped from the value', text: '$A=1 # one\nx $A', tree: 'x 1' },
    { name: 'blanks after = skipped', text: '$A=   1\nx $A', tree: 'x 1' },
    { name: 'empty value', text: '$E=\nx $E y', tree: 'x y' },
    { name: '$NAME before , and )', text: '$A=1\nx $A,$A)$A', tree: 'x 1,1)1' },
    { name: 'redefinition applies to later lines', text: '$A=1\nx $A\n$A=2\ny $A', tree: 'x 1; y 2' },
    { name: 'value referring to another parameter', text: '$A=1\n$B=$A,$A\nx ${B}', tree: 'x 1,1' },
    {
      // replace_param() rescans the inserted `$A$A`: the first `$A` is followed by `$`, so it is
      // skipped; the second expands, leaving `$A1`, which names no parameter.
      name: 'keepalived quirk: $A$A in a value',
      text: '$A=1\n$B=$A$A\nx ${B}',
      tree: 'x $A1',
      findings: ['3:3 undefined-parameter'],
    },
    {
      name: 'value holding a whole block',
      text: '$VIPS=virtual_ipaddress { 10.0.0.1 }\nvrrp_instance V {\n $VIPS\n}',
      tree: 'vrrp_instance V { virtual_ipaddress { 10.0.0.1 } }',
    },
    {
      name: 'multi-line definition',
      text: '$BLK=state MASTER \\\n  priority 100 \\\n  advert_int 1\nvrrp_instance V {\n $BLK\n}',
      tree: 'vrrp_instance V { state MASTER; priority 100; advert_int 1 }',
    },
    {
      name: 'multi-line definition starting on the next line',
      text: '$BLK=\\\nstate MASTER\nv {\n $BLK\n}',
      tree: 'v { state MASTER }',
    },
    {
      name: 'multi-line definition ended by a blank line',
      text: '$BLK=a \\\nb \\\n\nc\nx {\n$BLK\n}',
      tree: 'c; x { a; b }',
    },
    {
      name: 'multi-line parameter after text on the line',
      text: '$M=1 \\\nsecond 2\nfirst $M',
      tree: 'first 1; second 2',
    },
    {
      name: 'standard parameter _INSTANCE is the config id',
      text: 'router_id $_INSTANCE',
      tree: 'router_id node1',
    },
    { name: '${_RANDOM min max}', text: 'x ${_RANDOM 7 7}', tree: 'x 7' },
    { name: '$_PWD is the directory of the file', text: 'x $_PWD', tree: 'x /nonexistent-kvparse' },
    {
      name: 'undefined parameter is left as written, with a warning',
      text: 'x $NOPE y',
      tree: 'x $NOPE y',
      findings: ['1:3 undefined-parameter'],
    },
    {
      name: '$NAME followed by other text is not expanded (keepalived), with a hint',
      text: '$A=1\nx $A.b "$A"',
      tree: 'x $A.b "$A"',
      findings: ['2:3 parameter-not-expanded', '2:9 parameter-not-expanded'],
    },
    {
      name: 'multi-line parameter in mid-line is not expanded',
      text: '$M=1 \\\n2\nx $M y',
      tree: 'x $M y',
      findings: ['3:3 multiline-parameter-position'],
    },
    {
      name: 'blank before = is not a definition',
      text: '$B = 1',
      tree: '$B = 1',
      findings: ['1:1 definition-syntax', '1:1 undefined-parameter'],
    },
    {
      name: 'a parameter referring to itself is an error, not a hang',
      text: '$A=$A\nx $A',
      tree: 'x $A',
      findings: ['2:3 parameter-recursion'],
    },
    {
      name: 'shell $( ) and bare $ are left alone',
      text: 'script "kill -0 $(cat p)" $',
      tree: 'script "kill -0 $(cat p)" $',
    },
    {
      name: 'trailing backslash outside a definition',
      text: 'a b \\',
      tree: 'a b\\',
      findings: ['1:5 trailing-backslash'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = parse(c.text);
      expect(codes(r)).toEqual(c.findings ?? []);
      expect(show(r.statements)).toBe(c.tree);
    });
  }

  it('gives expanded words the position of the reference', () => {
    const r = parse('$VIP=10.0.0.1 dev eth0\nvirtual_ipaddress {\n    $VIP\n}');
    const entry = r.statements[0]!.block![0]!;
    expect(entry.keyword.pos).toEqual({ file: '/nonexistent-kvparse/keepalived.conf', line: 3, col: 5 });
    expect(entry.args.map((w) => w.pos.col)).toEqual([5, 5]);
  });

  it('gives lines of a multi-line parameter the line of the reference', () => {
    const r = parse('$M=a \\\nb\n\n  x $M');
    expect(r.statements.map((s) => `${s.keyword.text}@${s.keyword.pos.line}:${s.keyword.pos.col}`)).toEqual([
      'x@4:3',
      'b@4:5',
    ]);
  });

  it('keeps the column of text after an expansion', () => {
    const r = parse('$A=a-long-value\nx $A y');
    expect(r.statements[0]!.args.map((w) => `${w.text}@${w.pos.col}`)).toEqual(['a-long-value@3', 'y@6']);
  });
});

describe('conditional lines', () => {
  const cases: { name: string; text: string; id: string; tree: string }[] = [
    { name: '@ID matching', text: '@node1 priority 150', id: 'node1', tree: 'priority 150' },
    { name: '@ID not matching', text: '@node2 priority 150', id: 'node1', tree: '' },
    { name: '@^ID matching is dropped', text: '@^node1 priority 100', id: 'node1', tree: '' },
    { name: '@^ID not matching is kept', text: '@^node2 priority 100', id: 'node1', tree: 'priority 100' },
    {
      name: 'indented, tab after the id',
      text: '   @node1\tstate MASTER',
      id: 'node1',
      tree: 'state MASTER',
    },
    { name: '@ID alone is dropped', text: '@node1\nx', id: 'node1', tree: 'x' },
    {
      name: 'per-node priorities in one file',
      text: 'vrrp_instance V {\n@lb01 priority 150\n@lb02 priority 100\n}',
      id: 'lb02',
      tree: 'vrrp_instance V { priority 100 }',
    },
    {
      name: 'conditional definition',
      text: '@node1 $P=150\n@^node1 $P=100\npriority $P',
      id: 'node1',
      tree: 'priority 150',
    },
    {
      name: 'conditional from a parameter',
      text: '$C=@node1 x\n$C\n$D=@node9 y\n$D',
      id: 'node1',
      tree: 'x',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = parse(c.text, c.id);
      expect(codes(r)).toEqual([]);
      expect(show(r.statements)).toBe(c.tree);
    });
  }
});

describe('~SEQ lines', () => {
  const cases: { name: string; text: string; tree: string; findings?: string[] }[] = [
    { name: 'end only', text: '~SEQ(i, 3) x_$i', tree: 'x_1; x_2; x_3' },
    { name: 'start and end', text: '~SEQ(i, 5, 3) x $i', tree: 'x 5; x 4; x 3' },
    { name: 'start, step, end', text: '~SEQ(i, 0, 5, 10) x $i', tree: 'x 0; x 5; x 10' },
    { name: 'hexadecimal', text: '~SEQx(i, 9, 11) x $i', tree: 'x 9; x a; x b' },
    { name: 'numbers from parameters', text: '$N=2\n~SEQ(i, 1, $N) x $i', tree: 'x 1; x 2' },
    { name: 'invalid', text: '~SEQ(i, 1, -1, 5) x', tree: '', findings: ['1:1 seq-syntax'] },
    { name: 'too long', text: '~SEQ(i, 1, 100000000) x', tree: '', findings: ['1:1 seq-too-long'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = parse(c.text);
      expect(codes(r)).toEqual(c.findings ?? []);
      expect(show(r.statements)).toBe(c.tree);
    });
  }
});

describe('include', () => {
  const root = mkdtempSync(join(tmpdir(), 'kvparse-include-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;

  /** tree writes files (path -> text) under a fresh directory and returns that directory. */
  function files(spec: Record<string, string>): string {
    const dir = join(root, `t${++n}`);
    for (const [path, text] of Object.entries(spec)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }

  it('splices a file in place, relative to the including file', () => {
    const dir = files({ 'main.conf': 'a\ninclude conf.d/x.conf\nc\n', 'conf.d/x.conf': 'b\n' });
    const r = parseConfigFile(join(dir, 'main.conf'));
    expect(codes(r)).toEqual([]);
    expect(show(r.statements)).toBe('a; b; c');
    expect(r.files).toEqual([join(dir, 'main.conf'), join(dir, 'conf.d/x.conf')]);
  });

  it('expands *, ? and [...] in sorted order, skipping dot files', () => {
    const dir = files({
      'main.conf': 'include d/*.conf\ninclude d/?.cfg\ninclude d/[ab].x\n',
      'd/b.conf': 'b\n',
      'd/a.conf': 'a\n',
      'd/.hidden.conf': 'hidden\n',
      'd/1.cfg': 'one\n',
      'd/12.cfg': 'twelve\n',
      'd/a.x': 'ax\n',
      'd/c.x': 'cx\n',
    });
    const r = parseConfigFile(join(dir, 'main.conf'));
    expect(codes(r)).toEqual([]);
    expect(show(r.statements)).toBe('a; b; one; ax');
  });

  it('expands wildcards in directory components and {a,b} alternatives', () => {
    const dir = files({
      'main.conf': 'include */vrrp.conf\ninclude lvs/{y,x}.conf\n',
      'n1/vrrp.conf': 'n1\n',
      'n2/vrrp.conf': 'n2\n',
      'lvs/x.conf': 'x\n',
      'lvs/y.conf': 'y\n',
    });
    const r = parseConfigFile(join(dir, 'main.conf'));
    expect(codes(r)).toEqual([]);
    expect(show(r.statements)).toBe('n1; n2; y; x');
  });

  it('resolves nested includes relative to each file and names included files in positions', () => {
    const dir = files({
      'main.conf': 'include sub/one.conf\n',
      'sub/one.conf': '# one\ninclude ../two.conf\n',
      'two.conf': '\n  two }\n',
    });
    const r = parseConfigFile(join(dir, 'main.conf'));
    expect(show(r.statements)).toBe('two');
    expect(r.statements[0]!.keyword.pos).toEqual({
      file: join(dir, 'sub/../two.conf').replace('sub/../', ''),
      line: 2,
      col: 3,
    });
    expect(r.diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.code}`)).toEqual([
      `${join(dir, 'two.conf')}:2:7 unexpected-close-brace`,
    ]);
  });

  it('lets a block open in one file and close in another, as keepalived', () => {
    const dir = files({ 'main.conf': 'include open.inc\n  b\n}\n', 'open.inc': 'global_defs {\n  a\n' });
    const r = parseConfigFile(join(dir, 'main.conf'));
    expect(codes(r)).toEqual([]);
    expect(show(r.statements)).toBe('global_defs { a; b }');
  });

  it('includes from inside a block and after parameter expansion', () => {
    const dir = files({
      'main.conf': '$D=parts\nvrrp_instance V {\n  include ${D}/*.conf\n}\n',
      'parts/p.conf': 'state MASTER\n',
    });
    const r = parseConfigFile(join(dir, 'main.conf'));
    expect(codes(r)).toEqual([]);
    expect(show(r.statements)).toBe('vrrp_instance V { state MASTER }');
  });

  it('keeps parameters defined in an included file', () => {
    const dir = files({ 'main.conf': 'include defs.conf\ninterface $IF\n', 'defs.conf': '$IF=eth1\n' });
    expect(show(parseConfigFile(join(dir, 'main.conf')).statements)).toBe('interface eth1');
  });

  it('warns when a pattern matches nothing, at the pattern', () => {
    const dir = files({
      'main.conf': 'a\ninclude   nothing/*.conf\ninclude missing.conf\ninclude "q.conf"\nb\n',
    });
    const r = parseConfigFile(join(dir, 'main.conf'));
    expect(r.diagnostics.map((d) => `${d.line}:${d.col} ${d.severity} ${d.code}`)).toEqual([
      '2:11 warning include-no-match',
      '3:9 warning include-no-match',
      '4:9 warning include-no-match',
    ]);
    expect(r.diagnostics[2]!.message).toContain('quotes');
    expect(show(r.statements)).toBe('a; b');
  });

  it('reports an include loop naming the chain', () => {
    const dir = files({ 'a.conf': 'include b.conf\nx\n', 'b.conf': 'include a.conf\ny\n' });
    const r = parseConfigFile(join(dir, 'a.conf'));
    expect(codes(r)).toEqual(['1:9 include-loop']);
    expect(r.diagnostics[0]!.file).toBe(join(dir, 'b.conf'));
    expect(r.diagnostics[0]!.message).toBe(
      `include loop: ${join(dir, 'a.conf')} -> ${join(dir, 'b.conf')} -> ${join(dir, 'a.conf')}`,
    );
    expect(show(r.statements)).toBe('y; x');
  });

  it('reports a file including itself', () => {
    const dir = files({ 'self.conf': 'include self.conf\n' });
    expect(codes(parseConfigFile(join(dir, 'self.conf')))).toEqual(['1:9 include-loop']);
  });

  it('includes the same file twice when it is not a loop', () => {
    const dir = files({ 'main.conf': 'include c.conf\ninclude c.conf\n', 'c.conf': 'c\n' });
    const r = parseConfigFile(join(dir, 'main.conf'));
    expect(codes(r)).toEqual([]);
    expect(show(r.statements)).toBe('c; c');
    expect(r.files).toHaveLength(2);
  });

  it('reports an unreadable included file as an error and goes on', () => {
    const dir = files({ 'main.conf': 'a\ninclude loop.conf\nb\n' });
    // A symbolic link to itself cannot be opened (ELOOP), whatever the user's privileges.
    symlinkSync('loop.conf', join(dir, 'loop.conf'));
    const r = parseConfigFile(join(dir, 'main.conf'));
    expect(codes(r)).toEqual(['2:9 include-unreadable']);
    expect(r.diagnostics[0]!.severity).toBe('error');
    expect(r.diagnostics[0]!.message).toContain('ELOOP');
    expect(show(r.statements)).toBe('a; b');
  });

  it('skips directories and executable files with a warning, as keepalived', () => {
    const dir = files({ 'main.conf': 'include d\ninclude run.sh\n', 'd/x': '', 'run.sh': 'echo\n' });
    chmodSync(join(dir, 'run.sh'), 0o755);
    const r = parseConfigFile(join(dir, 'main.conf'));
    expect(codes(r)).toEqual(['1:9 include-skipped', '2:9 include-skipped']);
    expect(r.statements).toEqual([]);
  });

  it('rejects include without a pattern', () => {
    expect(codes(parse('include\n'))).toEqual(['1:1 include-syntax']);
  });
});

describe('include pattern helpers', () => {
  it('expandBraces', () => {
    expect(expandBraces('a{b,c}d')).toEqual(['abd', 'acd']);
    expect(expandBraces('{x,y{1,2}}')).toEqual(['x', 'y1', 'y2']);
    expect(expandBraces('a{b}c')).toEqual(['a{b}c']);
    expect(expandBraces('a{b,c')).toEqual(['a{b,c']);
  });

  it('componentMatcher', () => {
    const cases: [string, string, boolean][] = [
      ['*.conf', 'a.conf', true],
      ['*.conf', 'a.cfg', false],
      ['?.conf', 'ab.conf', false],
      ['[a-c]x', 'bx', true],
      ['[!a-c]x', 'bx', false],
      ['[]]', ']', true],
      ['a\\*', 'a*', true],
      ['a\\*', 'ab', false],
      ['(x)+', '(x)+', true],
      ['[', '[', true],
    ];
    for (const [glob, name, expected] of cases)
      expect(componentMatcher(glob).test(name), `${glob} ~ ${name}`).toBe(expected);
  });
});
