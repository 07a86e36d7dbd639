/**
 * Which IPVS services keepvip programmed, kept across restarts. The reconciler touches only the
 * services it owns; the configuration names most of them, but a service dropped from the
 * configuration while the daemon was down (restarted with -I / lvs_keep_on_stop, or after a
 * crash) is named by nothing but this record: without it the new process would adopt the
 * services it still wants and leave the dropped one in the kernel forever. The record is the
 * owned service keys, written (atomically) whenever the owned set changes, cleared at a stop
 * that removes the services.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** OwnershipStore keeps the owned service keys (desired.ts serviceKey) between runs. */
export interface OwnershipStore {
  load(): string[];
  save(keys: readonly string[]): void;
  clear(): void;
}

/** fileOwnership is an OwnershipStore in a JSON file (`{"services": [...]}`); an unreadable file is an empty record. */
export function fileOwnership(path: string): OwnershipStore {
  return {
    load() {
      try {
        const s = JSON.parse(readFileSync(path, 'utf8')) as { services?: unknown };
        return Array.isArray(s.services) ? s.services.filter((k): k is string => typeof k === 'string') : [];
      } catch {
        return [];
      }
    },
    save(keys) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(`${path}.tmp`, `${JSON.stringify({ services: [...keys].sort() }, null, 1)}\n`, {
        mode: 0o600,
      });
      renameSync(`${path}.tmp`, path);
    },
    clear() {
      rmSync(path, { force: true });
    },
  };
}
