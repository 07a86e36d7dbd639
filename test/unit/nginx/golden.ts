/** Golden-file comparison: UPDATE_GOLDEN=1 rewrites the files, otherwise the text must match byte for byte. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** FIXTURES is test/fixtures/nginx. */
export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/nginx');

/** expectGolden compares `text` with test/fixtures/nginx/golden/<name>. */
export function expectGolden(name: string, text: string): void {
  const path = join(FIXTURES, 'golden', name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) writeFileSync(path, text);
  expect(text).toBe(readFileSync(path, 'utf8'));
}
