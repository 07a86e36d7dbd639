/**
 * `keepvip generate --pair INVENTORY --out DIR`: writes DIR/<node>/keepalived.conf for both
 * nodes, DIR/notify.sh and DIR/nginx/<upstream>.conf from one inventory (src/nginx/inventory.ts).
 * Nothing is written unless the pair passes `--config-test --peer`. Exit codes: 0 written,
 * 1 cannot write, 4 inventory or generated pair has errors.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatDiagnostic } from '../config/diagnostics.js';
import { GenerateError, generatePair } from '../nginx/generate.js';
import { loadInventory } from '../nginx/inventory.js';

/** GenerateCliOptions are the parsed options of `keepvip generate`. */
export interface GenerateCliOptions {
  pair: string;
  out: string;
  err?: (line: string) => void;
}

/** runGenerate generates and writes the pair; returns the exit code. */
export function runGenerate(o: GenerateCliOptions): number {
  const err = o.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const inv = loadInventory(o.pair);
  for (const d of inv.diagnostics) err(formatDiagnostic(d));
  if (!inv.inventory) return 4;
  let files: ReturnType<typeof generatePair>;
  try {
    files = generatePair(inv.inventory);
  } catch (e) {
    err(`${o.pair}: ${(e as Error).message}`);
    if (e instanceof GenerateError) for (const f of e.findings) err(f);
    return 4;
  }
  try {
    for (const f of files) {
      const path = join(o.out, f.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.content, { mode: f.mode });
      err(`wrote ${path}`);
    }
  } catch (e) {
    err(`cannot write to ${o.out}: ${(e as Error).message}`);
    return 1;
  }
  return 0;
}
