/**
 * The real ApplyPorts: node:fs and commands run the way keepalived.conf scripts run
 * (src/util/command.ts: a plain command directly, shell syntax through bash), through the one
 * spawn helper (util/spawn.ts) with a timeout.
 */
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { type Clock, systemClock } from '../util/clock.js';
import { resolveInvocation } from '../util/command.js';
import { runProcess } from '../util/spawn.js';
import type { ApplyPorts, CommandResult } from './apply.js';

/** COMMAND_TIMEOUT_MS bounds `nginx -t` and the reload command (a large config takes seconds to test). */
export const COMMAND_TIMEOUT_MS = 60_000;

/** runCommand runs a configured command string; ok is exit code 0 within the timeout. */
export async function runCommand(
  command: string,
  extraArgs: string[] = [],
  clock: Clock = systemClock,
): Promise<CommandResult> {
  const inv = resolveInvocation(command);
  const call = inv.viaShell
    ? { file: '/bin/bash', args: ['-c', `${command} "$@"`, 'keepvip', ...extraArgs] }
    : { file: inv.file, args: [...inv.args, ...extraArgs] };
  const r = await runProcess(call, { clock, timeoutMs: COMMAND_TIMEOUT_MS, maxOutputBytes: 16 * 1024 });
  const why = r.timedOut
    ? `timed out after ${COMMAND_TIMEOUT_MS} ms`
    : (r.error ?? (r.exitCode === null ? `killed by ${r.signal}` : ''));
  return {
    ok: r.exitCode === 0 && !r.timedOut,
    output: [r.output.trimEnd(), why].filter(Boolean).join('\n'),
  };
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
