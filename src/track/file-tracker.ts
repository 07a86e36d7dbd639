/**
 * FileTracker follows one track_file: the number written in a file (keepalived.conf(5) "Track
 * files"). keepalived reads the file whenever inotify says it was modified; so does keepvip, with
 * a watch on the file's directory (which also sees the file being created or removed). A missing
 * or unreadable file reads as 0, as keepalived's strtol of nothing does. `init_file VALUE
 * [overwrite]` writes VALUE at start if the file is absent (or always, with overwrite).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { TrackFileDef } from '../config/model.js';
import type { Logger } from '../util/logger.js';
import { type FileWatch, watchPaths } from './down-file.js';

/** parseTrackFileValue reads the leading integer of a file's text as keepalived's strtol does (0 when none). */
export function parseTrackFileValue(text: string): number {
  const m = /^\s*([-+]?\d+)/.exec(text);
  if (!m) return 0;
  const n = Number.parseInt(m[1]!, 10);
  // keepalived keeps the value in an int.
  return Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, n));
}

/** FileTracker follows one track_file. */
export class FileTracker {
  value = 0;
  private watch?: FileWatch;
  private readonly listeners: ((value: number) => void)[] = [];

  constructor(
    readonly def: TrackFileDef,
    private readonly log: Logger,
  ) {}

  /** onChange subscribes to value changes. */
  onChange(fn: (value: number) => void): void {
    this.listeners.push(fn);
  }

  /** start applies init_file, reads the value and watches the file. */
  start(): void {
    const init = this.def.initFile;
    if (init && (init.overwrite || !existsSync(this.def.file))) {
      try {
        writeFileSync(this.def.file, `${init.value}\n`);
      } catch (err) {
        this.log.warn(
          `track_file ${this.def.name}: cannot initialise ${this.def.file}: ${(err as Error).message}`,
        );
      }
    }
    const before = this.value;
    this.value = this.read();
    if (this.value !== before) for (const fn of this.listeners) fn(this.value);
    this.watch = watchPaths(
      [this.def.file],
      () => this.reread(),
      (dir, err) => this.log.warn(`track_file ${this.def.name}: cannot watch ${dir}: ${err.message}`),
    );
  }

  /** stop ends the watch. */
  stop(): void {
    this.watch?.close();
  }

  /** reread reads the file again and reports a changed value. */
  reread(): void {
    const value = this.read();
    if (value === this.value) return;
    this.log.info(
      `track_file ${this.def.name} (${this.def.file}) value changed from ${this.value} to ${value}`,
    );
    this.value = value;
    for (const fn of this.listeners) fn(value);
  }

  private read(): number {
    try {
      return parseTrackFileValue(readFileSync(this.def.file, 'utf8'));
    } catch {
      return 0;
    }
  }
}
