/**
 * The dump signals, as keepalived handles them: SIGUSR1 writes the data dump, SIGUSR2 the
 * statistics, SIGJSON (SIGRTMIN+2) keepalived's JSON state. A dump that cannot be written is
 * logged and the daemon carries on (keepvip used to die on a write error); an unsafe target
 * (symlink, file of another user, a directory others can write) is refused and logged.
 */
import { onRtSignal, SIGJSON_OFFSET } from '../kernel/rt-signal.js';
import type { Logger } from '../util/logger.js';
import { dirname } from 'node:path';
import { compatJsonPath, DUMP_DIR, dumpPath, type DumpKind, fallbackDumpPath } from './dumps.js';
import { checkPrivateDir, ensurePrivateDir, writeCompatFile, writePrivateFile } from './dump-files.js';

/** DumpSources render each dump's text when its signal arrives. */
export interface DumpSources {
  data: () => string;
  stats: () => string;
  json: () => string;
}

/** DumpWriterOptions say where the dumps go. */
export interface DumpWriterOptions {
  pidFile: string;
  isDefaultPidFile: boolean;
  log: Logger;
  sources: DumpSources;
  /** compatJson is keepalived's /tmp/keepalived.json path; `false` turns the copy off. */
  compatJson?: string | false;
  /** dumpDir replaces /run/keepvip (tests). */
  dumpDir?: string;
}

const LABEL: Record<DumpKind, string> = { data: 'Data dump', stats: 'Statistics', json: 'JSON state' };

/** DumpWriter writes the dumps; its methods never throw. */
export class DumpWriter {
  constructor(private readonly o: DumpWriterOptions) {}

  /** targetFor is the private path for a dump, falling back to /run/keepvip/ when the pid file's directory is unsafe. */
  targetFor(kind: DumpKind): string {
    const dir = this.o.dumpDir ?? DUMP_DIR;
    const path = dumpPath(this.o.pidFile, this.o.isDefaultPidFile, kind, dir);
    if (dirname(path) === dir) {
      ensurePrivateDir(dir);
      return path;
    }
    try {
      checkPrivateDir(dirname(path));
      return path;
    } catch (err) {
      const fallback = fallbackDumpPath(path, dir);
      this.o.log.warn(`${LABEL[kind]}: ${(err as Error).message}; writing ${fallback} instead`);
      ensurePrivateDir(dir);
      return fallback;
    }
  }

  /** write renders and writes one dump; returns the paths written. */
  write(kind: DumpKind): string[] {
    const written: string[] = [];
    let text: string;
    try {
      text = this.o.sources[kind]();
    } catch (err) {
      this.o.log.error(`${LABEL[kind]} not written: rendering failed: ${(err as Error).stack ?? err}`);
      return written;
    }
    try {
      const path = this.targetFor(kind);
      writePrivateFile(path, text);
      written.push(path);
      this.o.log.info(`${LABEL[kind]} written to ${path}`);
    } catch (err) {
      this.o.log.error(`${LABEL[kind]} not written: ${(err as Error).message}`);
    }
    const compat = this.o.compatJson === undefined ? compatJsonPath() : this.o.compatJson;
    if (kind === 'json' && compat) {
      try {
        writeCompatFile(compat, text);
        written.push(compat);
        this.o.log.info(`${LABEL[kind]} written to ${compat}`);
      } catch (err) {
        this.o.log.error(`${LABEL[kind]} not written to ${compat}: ${(err as Error).message}`);
      }
    }
    return written;
  }
}

/**
 * installDumpSignals handles SIGUSR1, SIGUSR2 and SIGJSON; returns the function that removes the
 * handlers. `refresh` (the checker thread's fresh snapshot) runs before each dump; it never fails one.
 */
export function installDumpSignals(
  writer: DumpWriter,
  log: Logger,
  refresh?: () => Promise<void>,
): () => void {
  const dump = (kind: DumpKind) => () => {
    if (refresh === undefined) writer.write(kind);
    else
      void refresh()
        .catch(() => {})
        .then(() => writer.write(kind));
  };
  const onUsr1 = dump('data');
  const onUsr2 = dump('stats');
  process.on('SIGUSR1', onUsr1);
  process.on('SIGUSR2', onUsr2);
  let offJson = () => {};
  try {
    offJson = onRtSignal(SIGJSON_OFFSET, dump('json'));
  } catch (err) {
    log.warn(`SIGJSON (SIGRTMIN+${SIGJSON_OFFSET}) not handled: ${(err as Error).message}`);
  }
  return () => {
    process.off('SIGUSR1', onUsr1);
    process.off('SIGUSR2', onUsr2);
    offJson();
  };
}
