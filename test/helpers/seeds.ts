import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * SEED_CONFIGS is test/fixtures/seed-configs: the configurations and scripts of the deployment
 * write-ups the project started from, copied byte for byte (comments and encoding as they are),
 * so a plain clone tests against them without anything beside the repository.
 */
export const SEED_CONFIGS = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/seed-configs');
