/**
 * Golden-file comparison: the text must match test/fixtures/nginx/golden/<name> byte for byte.
 * A missing golden file is a failure, not a new baseline (a helper that wrote it would pass
 * anything); `UPDATE_GOLDEN=1` writes the files, to be reviewed in the diff and committed.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** FIXTURES is test/fixtures/nginx. */
export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/nginx');

/** expectGolden compares `text` with test/fixtures/nginx/golden/<name>; UPDATE_GOLDEN=1 rewrites it first. */
export function expectGolden(name: string, text: string): void {
  const path = join(FIXTURES, 'golden', name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, text);
  if (!existsSync(path)) {
    throw new Error(
      `golden file ${path} is missing: run with UPDATE_GOLDEN=1 to write it, then review and commit it`,
    );
  }
  expect(text).toBe(readFileSync(path, 'utf8'));
}
