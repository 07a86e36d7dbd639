import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './netns.js';
import { REPO_ROOT } from './uml.js';

const STAMP = join(REPO_ROOT, 'dist/.stamp');

function newestUnder(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestUnder(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** distIsFresh says whether dist/ was built after every change under src/ (scripts/setup.sh's dist/.stamp rule). */
export function distIsFresh(): boolean {
  return existsSync(STAMP) && newestUnder(join(REPO_ROOT, 'src')) < statSync(STAMP).mtimeMs;
}

/**
 * ensureDist builds dist/ (`tsc -p tsconfig.json`, what bin/keepvip runs) unless it is fresh,
 * and stamps it with the time the build started, so an edit made during the build still counts
 * as newer. After `npm test`'s setup it costs nothing and writes nothing, so a lane that starts
 * keepvip from dist/ never reads a file another lane's tsc is rewriting. tsc still emits when
 * other work left a type error in the tree; that is reported, not fatal (no stamp then).
 */
export async function ensureDist(): Promise<void> {
  if (distIsFresh()) return;
  const started = new Date();
  const r = await run('npx', ['tsc', '-p', join(REPO_ROOT, 'tsconfig.json')], { timeoutMs: 300_000 });
  stamp(r.exitCode, `${r.stdout}${r.stderr}`, started);
}

/** ensureDistSync is ensureDist for callers that cannot await (a synchronous beforeAll helper). */
export function ensureDistSync(): void {
  if (distIsFresh()) return;
  const started = new Date();
  const r = spawnSync('npx', ['tsc', '-p', join(REPO_ROOT, 'tsconfig.json')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  stamp(r.status ?? -1, `${r.stdout}${r.stderr}`, started);
}

function stamp(exitCode: number, output: string, started: Date): void {
  if (exitCode !== 0) {
    console.warn(`[ensureDist] tsc exited ${exitCode}; using the emitted dist/:\n${output.slice(0, 2000)}`);
    return;
  }
  if (!existsSync(STAMP)) writeFileSync(STAMP, '');
  utimesSync(STAMP, started, started);
}
