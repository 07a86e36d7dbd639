import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** SEED_CONFIGS is ../shared/seed-configs beside the repository (where CI and the sessions keep it). */
export const SEED_CONFIGS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/seed-configs');

/** seedConfigsPresent tells whether the seed configurations are there; tests that need them fail loudly without. */
export function seedConfigsPresent(): boolean {
  return existsSync(SEED_CONFIGS);
}
