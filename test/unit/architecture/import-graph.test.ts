/**
 * The layering rule of ARCHITECTURE.md, held by reading every import under src/:
 *
 *   util ← config ← vrrp ← kernel ← track, check ← notify, nginx, lvs ← runner ← control ← daemon ← cli
 *
 * A folder imports only from folders to its left (and from itself); the folders of one group
 * (track and check; notify, nginx and lvs) do not import each other. No cycle between files.
 * Type-only imports count: a type is a dependency on what the other file means.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');

/** LAYERS lists the groups from the bottom up; a folder may import from any earlier group. */
const LAYERS: readonly (readonly string[])[] = [
  ['util'],
  ['config'],
  ['vrrp'],
  ['kernel'],
  ['track', 'check'],
  ['notify', 'nginx', 'lvs'],
  ['runner'],
  ['control'],
  ['daemon'],
  ['cli'],
];

/** RULE is the one-line statement printed by the test (and written at the top of ARCHITECTURE.md). */
const RULE = LAYERS.map((g) => g.join(', ')).join(' ← ');

/**
 * KNOWN_VIOLATIONS are the upward imports still in the tree, each with the engineer whose part
 * fixes it. The list only shrinks: an entry that no longer occurs fails the test too, so it is
 * removed when the fix lands; a violation not listed here fails at once.
 */
const KNOWN_VIOLATIONS: Record<string, string> = {};

/** KNOWN_CYCLES are file cycles still in the tree (sorted members joined by ' ↔ '), with their owner. */
const KNOWN_CYCLES: Record<string, string> = {};

/** layerOf is the index of a folder's group in LAYERS. */
function layerOf(folder: string): number {
  const i = LAYERS.findIndex((g) => g.includes(folder));
  if (i < 0) throw new Error(`src/${folder}/ is in no layer: add it to LAYERS and ARCHITECTURE.md`);
  return i;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** IMPORT matches static imports and re-exports (`import … from '…'`, `export … from '…'`, `import '…'`) and import('…'). */
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** importsOf lists the src/ files one file imports (relative specifiers, .js mapped to .ts). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2]!;
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    out.push(target.endsWith('.ts') ? target : `${target}.ts`);
  }
  return out;
}

const rel = (p: string) => relative(SRC, p);
const folderOf = (p: string) => rel(p).split('/')[0]!;

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

/** violations lists every import against the rule as `from -> to`. */
function violations(): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    const a = folderOf(from);
    for (const to of targets) {
      const b = folderOf(to);
      if (a === b) continue;
      if (layerOf(b) >= layerOf(a)) out.push(`${rel(from)} -> ${rel(to)}`);
    }
  }
  return [...new Set(out)].sort();
}

/** cycles returns each strongly connected component of more than one file (Tarjan), members sorted. */
function cycles(): string[] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(rel(w));
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).includes(v);
      if (scc.length > 1 || selfLoop) out.push(scc.sort().join(' ↔ '));
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  return out.sort();
}

describe('import graph', () => {
  it(`follows the layering rule: ${RULE}`, () => {
    console.log(`[import-graph] rule: ${RULE} (a folder imports only from folders to its left)`);
    const found = violations();
    const unexpected = found.filter((v) => !(v in KNOWN_VIOLATIONS));
    const fixed = Object.keys(KNOWN_VIOLATIONS).filter((v) => !found.includes(v));
    for (const v of found.filter((x) => x in KNOWN_VIOLATIONS)) {
      console.log(`[import-graph] known violation, owner ${KNOWN_VIOLATIONS[v]}: ${v}`);
    }
    expect(unexpected, `imports against the rule ${RULE}`).toEqual([]);
    expect(fixed, 'fixed violations still in KNOWN_VIOLATIONS: remove them').toEqual([]);
  });

  it('ARCHITECTURE.md states the same rule', () => {
    expect(readFileSync(join(SRC, '../ARCHITECTURE.md'), 'utf8')).toContain(RULE);
  });

  it('has no cycle between files', () => {
    const found = cycles();
    const unexpected = found.filter((c) => !(c in KNOWN_CYCLES));
    const fixed = Object.keys(KNOWN_CYCLES).filter((c) => !found.includes(c));
    for (const c of found.filter((x) => x in KNOWN_CYCLES)) {
      console.log(`[import-graph] known cycle, owner ${KNOWN_CYCLES[c]}: ${c}`);
    }
    expect(unexpected, 'import cycles').toEqual([]);
    expect(fixed, 'fixed cycles still in KNOWN_CYCLES: remove them').toEqual([]);
  });

  it('sees every import (the parser is checked on a known file)', () => {
    // notify/notifier.ts imports its own folder, util/ and kernel/: a parser that missed them would pass anything.
    const targets = importsOf(join(SRC, 'notify/notifier.ts')).map(rel);
    expect(targets).toEqual(
      expect.arrayContaining(['util/clock.ts', 'kernel/arp-probe.ts', 'notify/fifo.ts']),
    );
    for (const [from, list] of graph) {
      for (const to of list)
        expect(graph.has(to), `${rel(from)} imports a missing file ${rel(to)}`).toBe(true);
    }
  });
});
