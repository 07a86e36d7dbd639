/**
 * The real ApplyPorts: node:fs and commands run the way keepalived.conf scripts run
 * (src/track/command.ts: a plain command directly, shell syntax through bash), with a timeout.
 */
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { resolveInvocation } from '../util/command.js';
import type { ApplyPorts, CommandResult } from './apply.js';

/** COMMAND_TIMEOUT_MS bounds `nginx -t` and the reload command (a large config takes seconds to test). */
export const COMMAND_TIMEOUT_MS = 60_000;

/** runCommand runs a configured command string; ok is exit code 0 within the timeout. */
export async function runCommand(command: string, extraArgs: string[] = []): Promise<CommandResult> {
  const inv = resolveInvocation(command);
  const [file, args] = inv.viaShell
    ? ['/bin/bash', ['-c', `${command} "$@"`, 'keepvip', ...extraArgs]]
    : [inv.file, [...inv.args, ...extraArgs]];
  const r = await execa(file, args, {
    reject: false,
    all: true,
    timeout: COMMAND_TIMEOUT_MS,
    forceKillAfterDelay: 1000,
    stdin: 'ignore',
  });
  const why = r.timedOut
    ? `timed out after ${COMMAND_TIMEOUT_MS} ms`
    : r.failed && r.exitCode === undefined
      ? r.message
      : '';
  return { ok: r.exitCode === 0 && !r.timedOut, output: [r.all ?? '', why].filter(Boolean).join('\n') };
}

/** fsPorts are the ApplyPorts on the real filesystem. */
export const fsPorts: ApplyPorts = {
  async readFile(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  },
  writeFile: (path, data) => writeFile(path, data),
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  run: (command) => runCommand(command),
};
