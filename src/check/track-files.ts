/**
 * FILE_CHECK's side of the file system: reading a track_file's value (keepalived: an integer,
 * 0 when unreadable) and watching the directories of the files the checkers use, so a change
 * re-runs those checkers at once instead of a delay_loop later.
 */
import { readFileSync, type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { KeepvipConfig } from '../config/model.js';
import type { Logger } from '../util/logger.js';

/** readTrackFile returns a track_file's current value: undefined when not defined, 0 when unreadable. */
export function readTrackFile(config: Pick<KeepvipConfig, 'trackFiles'>, name: string): number | undefined {
  const def = config.trackFiles.find((d) => d.name === name);
  if (def === undefined) return undefined;
  try {
    const n = Number.parseInt(readFileSync(def.file, 'utf8').trim(), 10);
    return Number.isFinite(n) ? n : 0;
  } catch {
    return 0;
  }
}

/** watchTrackFiles calls onChange when one of the named track_files changes; the watchers are the caller's to close. */
export function watchTrackFiles(
  config: Pick<KeepvipConfig, 'trackFiles'>,
  names: Iterable<string>,
  onChange: () => void,
  log: Logger,
): FSWatcher[] {
  const byDir = new Map<string, Set<string>>();
  for (const name of names) {
    const def = config.trackFiles.find((d) => d.name === name);
    if (def === undefined) continue;
    const set = byDir.get(dirname(def.file)) ?? new Set<string>();
    set.add(basename(def.file));
    byDir.set(dirname(def.file), set);
  }
  const out: FSWatcher[] = [];
  for (const [dir, files] of byDir) {
    try {
      const w = watch(dir, (_ev, file) => {
        if (file !== null && !files.has(String(file))) return;
        onChange();
      });
      w.on('error', () => {});
      out.push(w);
    } catch (err) {
      log.warn(`FILE_CHECK: cannot watch ${dir}: ${(err as Error).message}; checked every delay_loop only`);
    }
  }
  return out;
}
