import { describe, expect, it } from 'vitest';
import { colAt, lineText, scanLine, tokenizeLine } from '../../../src/config/lexer.js';

/** words renders tokens as `text@col`, quoted words in quotes, braces as themselves. */
function words(line: string): string[] {
  const scanned = scanLine(lineText(line));
  return tokenizeLine(scanned.text).tokens.map((t) =>
    t.kind === 'word' ? `${t.quoted ? `"${t.text}"` : t.text}@${t.col}` : `${t.text}@${t.col}`,
  );
}

describe('scanLine comments (keepalived decomment)', () => {
  const cases: { name: string; line: string; text: string }[] = [
    { name: 'whole-line !', line: '! Configuration File for keepalived', text: '' },
    { name: 'whole-line #', line: '# comment', text: '' },
    { name: 'indented comment', line: '    # 注释', text: '' },
    { name: 'after words with blank', line: 'router_id LVS_01   #这个id是唯一的', text: 'router_id LVS_01' },
    { name: 'after { ', line: 'global_defs {  # comment', text: 'global_defs {' },
    { name: 'right after {', line: 'global_defs {# comment', text: 'global_defs {' },
    { name: 'glued to a word: # needs no blank', line: 'priority 100#x', text: 'priority 100' },
    { name: 'glued ! ', line: 'auth_pass ab!cd', text: 'auth_pass ab' },
    { name: '> is not a comment', line: 'auth_pass hell>com', text: 'auth_pass hell>com' },
    { name: '# inside quotes is text', line: 'script "a # b" # c', text: 'script "a # b"' },
    { name: '! inside quotes is text', line: 'script "x ! y"', text: 'script "x ! y"' },
    { name: '\\# outside quotes is a literal #', line: 'word a\\#b c', text: 'word a#b c' },
    { name: '\\! outside quotes is a literal !', line: 'word a\\!b', text: 'word a!b' },
    { name: 'other backslash pairs stay', line: 'word a\\xb', text: 'word a\\xb' },
    { name: 'trailing blanks and tab', line: '  state MASTER \t ', text: 'state MASTER' },
    { name: 'comment after closing brace', line: '}   ! end', text: '}' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(scanLine(lineText(c.line)).text.text).toBe(c.text);
    });
  }

  it('keeps the columns of the remaining text', () => {
    const s = scanLine(lineText('   state MASTER # x'));
    expect(s.text.text).toBe('state MASTER');
    expect(colAt(s.text, 0)).toBe(4);
    expect(colAt(s.text, 6)).toBe(10);
  });

  it('keeps columns after a removed escape backslash', () => {
    const s = scanLine(lineText('w a\\#b c'));
    expect(s.text.text).toBe('w a#b c');
    expect(colAt(s.text, 3)).toBe(5); // the '#'
    expect(colAt(s.text, 6)).toBe(8); // 'c'
  });

  it('reports a final backslash as a continuation, even after a comment', () => {
    expect(scanLine(lineText('$X=a b \\')).continuationCol).toBe(8);
    const s = scanLine(lineText('$X=a # note \\'));
    expect(s.text.text).toBe('$X=a');
    expect(s.continuationCol).toBe(13);
    expect(scanLine(lineText('a \\ b')).continuationCol).toBe(0);
  });

  it('reports an unterminated quote at the quote, and no comment after it', () => {
    const s = scanLine(lineText('script "abc # def'));
    expect(s.text.text).toBe('script "abc # def');
    expect(s.unterminatedQuoteCol).toBe(8);
  });
});

describe('tokenizeLine', () => {
  const cases: { name: string; line: string; tokens: string[] }[] = [
    { name: 'keyword and args', line: '    virtual_router_id 51', tokens: ['virtual_router_id@5', '51@23'] },
    { name: 'tabs separate words', line: 'state\tMASTER', tokens: ['state@1', 'MASTER@7'] },
    { name: 'block opener', line: 'vrrp_instance VI_1 {', tokens: ['vrrp_instance@1', 'VI_1@15', '{@20'] },
    {
      name: 'brace glued to a word',
      line: 'vrrp_instance VI_1{',
      tokens: ['vrrp_instance@1', 'VI_1@15', '{@19'],
    },
    { name: 'brace before a word', line: '{abc', tokens: ['{@1', 'abc@2'] },
    {
      name: 'one-line block',
      line: 'virtual_ipaddress { 10.0.0.1 }',
      tokens: ['virtual_ipaddress@1', '{@19', '10.0.0.1@21', '}@30'],
    },
    { name: 'two closing braces', line: '}}', tokens: ['}@1', '}@2'] },
    {
      name: 'quoted script',
      line: 'script "killall -0 nginx && exit 0 || exit 1"',
      tokens: ['script@1', '"killall -0 nginx && exit 0 || exit 1"@8'],
    },
    { name: 'braces inside quotes are text', line: 'x "{a}"', tokens: ['x@1', '"{a}"@3'] },
    { name: 'quote inside a word starts a new word', line: 'a"b c"d', tokens: ['a@1', '"b c"@2', 'd@7'] },
    { name: 'empty quotes', line: 'x ""', tokens: ['x@1', '""@3'] },
    { name: 'escaped quote inside quotes', line: 'x "a\\"b"', tokens: ['x@1', '"a"b"@3'] },
    { name: 'escaped backslash inside quotes', line: 'x "a\\\\b"', tokens: ['x@1', '"a\\b"@3'] },
    { name: 'other escapes inside quotes stay', line: 'x "a\\nb"', tokens: ['x@1', '"a\\nb"@3'] },
    { name: 'backslashes outside quotes stay', line: 'x a\\\\b', tokens: ['x@1', 'a\\\\b@3'] },
    { name: 'single quotes are ordinary characters', line: "x 'a b'", tokens: ['x@1', "'a@3", "b'@6"] },
    { name: 'Chinese text counts one column per character', line: '名字 值', tokens: ['名字@1', '值@4'] },
    { name: 'astral characters count one column', line: '😀 x', tokens: ['😀@1', 'x@3'] },
    { name: 'CR and FF separate words', line: 'a\rb\fc', tokens: ['a@1', 'b@3', 'c@5'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(words(c.line)).toEqual(c.tokens);
    });
  }

  it('reports an unterminated quote at the quote and keeps the rest as the word', () => {
    const r = tokenizeLine(lineText('script "abc def'));
    expect(r.unterminatedQuoteCol).toBe(8);
    expect(r.tokens.map((t) => t.text)).toEqual(['script', 'abc def']);
  });
});
