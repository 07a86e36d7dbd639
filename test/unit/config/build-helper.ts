/**
 * A tiny keepalived.conf reader for builder unit tests, so they do not depend on the real
 * parser: words, "quoted strings", `{ }` blocks, `!`/`#` comments. No includes or parameters.
 */
import type { SourcePos, Statement, Word } from '../../../src/config/ast.js';
import { buildFromStatements, type LoadResult } from '../../../src/config/load.js';

/** statementsOf turns configuration text into statements. */
export function statementsOf(text: string, file = 'test.conf'): Statement[] {
  const tokens: Word[] = [];
  text.split('\n').forEach((line, i) => {
    const re = /"([^"]*)"|([{}])|([^\s{}"!#]+)|([!#].*)/g;
    for (let m = re.exec(line); m; m = re.exec(line)) {
      if (m[4] !== undefined) break;
      const pos: SourcePos = { file, line: i + 1, col: m.index + 1 };
      tokens.push({ text: m[1] ?? m[2] ?? m[3] ?? '', pos, quoted: m[1] !== undefined });
    }
    tokens.push({ text: '\n', pos: { file, line: i + 1, col: line.length + 1 }, quoted: false });
  });
  let at = 0;
  const block = (): Statement[] => {
    const out: Statement[] = [];
    while (at < tokens.length) {
      const t = tokens[at]!;
      if (t.text === '\n') {
        at++;
        continue;
      }
      if (t.text === '}' && !t.quoted) {
        at++;
        return out;
      }
      const st: Statement = { keyword: t, args: [] };
      at++;
      while (at < tokens.length && tokens[at]!.text !== '\n') {
        const w = tokens[at]!;
        if (w.text === '{' && !w.quoted) {
          at++;
          st.blockPos = w.pos;
          st.block = block();
          break;
        }
        if (w.text === '}' && !w.quoted) break;
        st.args.push(w);
        at++;
      }
      out.push(st);
    }
    return out;
  };
  return block();
}

/** load builds and validates configuration text with the test reader. */
export function load(text: string, file = 'test.conf'): LoadResult {
  return buildFromStatements(statementsOf(text, file), [file], { hostname: 'testhost' });
}

/** codes lists the diagnostic codes of a result, `severity:code`. */
export function codes(r: LoadResult): string[] {
  return r.diagnostics.map((d) => `${d.severity}:${d.code}`);
}

/** BASE is a minimal valid instance used by most cases. */
export const BASE_INSTANCE = `
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        192.0.2.10/24
    }
}
`;
