/**
 * Watches for the files a vrrp_script tests, so a maintenance switch like the seed configs'
 * `[[ -f /etc/keepalived/down ]] && exit 1 || exit 0` acts the moment `touch` or `rm` runs
 * instead of at the script's next interval. No peer does this; the interval run stays as the
 * safety net (a watch can miss events, e.g. when the directory itself is replaced).
 *
 * The watch is on the file's directory (fs.watch, inotify), filtered by the file's name, because
 * a watch on the file itself cannot see it being created.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, isAbsolute } from 'node:path';

/** FILE_TEST matches a shell file test on an absolute path: `[[ -f P ]]`, `[ -e P ]`, `test -s P`... */
const FILE_TEST = /(?:\[\[|\[|\btest)\s+(?:!\s+)?-[efsdrwxL]\s+("[^"]+"|'[^']+'|[^\s;&|)\]]+)/g;

/** testedPaths lists the absolute paths a script string tests with -f/-e/-s/-d/-r/-w/-x/-L. */
export function testedPaths(script: string): string[] {
  const out = new Set<string>();
  for (const m of script.matchAll(FILE_TEST)) {
    let p = m[1]!;
    if ((p.startsWith('"') && p.endsWith('"')) || (p.startsWith("'") && p.endsWith("'"))) p = p.slice(1, -1);
    // A path with an expansion ($HOME, globs) is not a fixed file we can watch.
    if (isAbsolute(p) && !/[$`*?]/.test(p)) out.add(p);
  }
  return [...out];
}

/** FileWatch is a set of directory watches; close stops them all. */
export interface FileWatch {
  close(): void;
}

/**
 * watchPaths calls onChange(path) whenever a file of that name is created, changed or removed.
 * A directory that does not exist (yet) is not watched; onError hears why (the poll still runs).
 */
export function watchPaths(
  paths: readonly string[],
  onChange: (path: string) => void,
  onError: (path: string, error: Error) => void,
): FileWatch {
  const byDir = new Map<string, Map<string, string>>();
  for (const p of paths) {
    const names = byDir.get(dirname(p)) ?? new Map<string, string>();
    names.set(basename(p), p);
    byDir.set(dirname(p), names);
  }
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of byDir) {
    try {
      const w = watch(dir, { persistent: false }, (_event, name) => {
        // Some platforms omit the name; then any change in the directory may be ours.
        if (name === null) for (const p of names.values()) onChange(p);
        else {
          const p = names.get(name.toString());
          if (p !== undefined) onChange(p);
        }
      });
      w.on('error', (err) => onError(dir, err));
      watchers.push(w);
    } catch (err) {
      onError(dir, err as Error);
    }
  }
  return {
    close() {
      for (const w of watchers.splice(0)) w.close();
    },
  };
}
