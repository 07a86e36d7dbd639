import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { SourcePos, Statement } from '../../../src/config/ast.js';
import { parseConfigText } from '../../../src/config/parser.js';
import { SEED_CONFIGS } from '../../helpers/seeds.js';

const seedDir = SEED_CONFIGS;
// 001-nginx-upstream.conf and 003-nginx.conf are nginx configurations, not keepalived ones.
const seeds = readdirSync(seedDir)
  .filter((f) => f.endsWith('.conf') && !/nginx(-upstream)?\.conf$/.test(f))
  .map((f) => readFileSync(join(seedDir, f), 'utf8'));

/** Mutation is one edit of a seed configuration split into tokens (words, blanks, braces). */
type Mutation =
  | { op: 'delete' | 'duplicate'; at: number }
  | { op: 'garble'; at: number; text: string }
  | { op: 'insert'; at: number; text: string }
  | { op: 'brace'; at: number; brace: '{' | '}' };

// Characters that mean something to the preprocessor or lexer, to garble with.
const special = fc.constantFrom(
  '{',
  '}',
  '"',
  '#',
  '!',
  '\\',
  '$',
  '@',
  '^',
  '~',
  '=',
  ' ',
  '\t',
  '\n',
  '\r',
  '\0',
  'include ',
  '$A=',
  '${',
  '~SEQ(',
  '中',
  '😀',
);
const garbage = fc
  .array(fc.oneof(special, fc.string({ maxLength: 4 })), { maxLength: 6 })
  .map((a) => a.join(''));
// Arbitrary text, including invalid UTF-16 and control characters ("random bytes").
const bytes = fc.string({ unit: 'binary', maxLength: 8 });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constantFrom('delete' as const, 'duplicate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('garble' as const), at: fc.nat(), text: garbage }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(bytes, garbage) }),
  fc.record({
    op: fc.constant('brace' as const),
    at: fc.nat(),
    brace: fc.constantFrom('{' as const, '}' as const),
  }),
);

function mutate(seed: string, mutations: Mutation[]): string {
  const tokens = seed.split(/(\s+|[{}])/).filter((t) => t !== '');
  for (const m of mutations) {
    const at = m.at % (tokens.length + 1);
    if (m.op === 'delete') tokens.splice(at, 1);
    else if (m.op === 'duplicate' && at < tokens.length) tokens.splice(at, 0, tokens[at]!);
    else if (m.op === 'garble') tokens.splice(at, 1, m.text);
    else if (m.op === 'insert') tokens.splice(at, 0, m.text);
    else if (m.op === 'brace') tokens.splice(at, 0, m.brace);
  }
  return tokens.join('');
}

/** inBounds checks that a position names a real character (or the end) of the text. */
function inBounds(pos: SourcePos, lines: string[]): boolean {
  if (!Number.isInteger(pos.line) || !Number.isInteger(pos.col) || pos.line < 1 || pos.col < 1) return false;
  const line = lines[pos.line - 1];
  return line !== undefined && pos.col <= [...line].length + 1;
}

function* words(statements: Statement[]): Generator<SourcePos> {
  for (const s of statements) {
    yield s.keyword.pos;
    for (const a of s.args) yield a.pos;
    if (s.blockPos) yield s.blockPos;
    if (s.block) yield* words(s.block);
  }
}

describe('parser properties', () => {
  // An empty directory, so that mutated `include` lines find nothing to read.
  const dir = mkdtempSync(join(tmpdir(), 'kvparse-prop-'));
  const file = join(dir, 'fuzz.conf');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('never throws on mutated seed configurations, and every position lies within the text', () => {
    expect(seeds.length).toBeGreaterThan(0);
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 12 }),
        (i, ms) => {
          const text = mutate(seeds[i]!, ms);
          const lines = text.split('\n');
          const r = parseConfigText(text, file, { configId: 'fuzz' });
          // Plain checks rather than expect() in this loop: 10,000 runs must stay fast.
          for (const d of r.diagnostics) {
            if (d.file !== file || !inBounds(d, lines))
              throw new Error(`bad diagnostic ${JSON.stringify(d)}`);
          }
          for (const pos of words(r.statements)) {
            if (pos.file !== file || !inBounds(pos, lines))
              throw new Error(`bad word position ${JSON.stringify(pos)}`);
          }
        },
      ),
      { numRuns: 10_000 },
    );
    // 10,000 parses take a few seconds; allow for two busy CI cores.
  }, 180_000);

  it('parses every seed unchanged without findings (the property starts from valid input)', () => {
    for (const seed of seeds)
      expect(parseConfigText(seed, file, { configId: 'fuzz' }).diagnostics).toEqual([]);
  });
});
