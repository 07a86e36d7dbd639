/**
 * keepalivedCmdStr writes a script the way keepalived's cmd_str (lib/notify.c) does in its dumps:
 * each word of the command as it is executed, single-quoted, the program as the absolute path
 * keepalived resolved at load time (`'/usr/bin/true' 'master'` for `/bin/true master`). keepvip
 * runs a string with shell syntax through /bin/bash -c (util/command.ts), so that is what it shows.
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { resolveInvocation } from '../util/command.js';

/** resolveExecutable finds a program as keepalived does: a path as given, a bare name on $PATH; then its realpath. */
export function resolveExecutable(
  file: string,
  path = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
): string {
  const candidates = file.includes('/') ? [file] : path.split(':').map((dir) => join(dir, file));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return realpathSync(c);
    } catch {
      // next candidate
    }
  }
  return file;
}

/** keepalivedCmdStr renders a script string as keepalived's dumps show it. */
export function keepalivedCmdStr(
  script: string,
  resolve: (file: string) => string = resolveExecutable,
): string {
  const inv = resolveInvocation(script);
  return [resolve(inv.file), ...inv.args].map((w) => `'${w}'`).join(' ');
}
