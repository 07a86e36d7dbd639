/**
 * MISC_CHECK (keepalived check_misc.c): misc_path runs (shell syntax through bash, a plain
 * command directly: the project's rule in util/command.ts), as `user` or the global
 * script_user, killed at misc_timeout (SIGTERM to its group, SIGKILL 2 s later). Exit 0 is
 * success; with misc_dynamic an exit of 2..255 is success too and sets the weight to
 * status - 2; anything else, a signal or the timeout, is a failure.
 */
import { readFileSync } from 'node:fs';
import type { MiscCheck, ScriptUser } from '../../config/model.js';
import { runCheckProcess } from '../../kernel/probe-process.js';
import { resolveInvocation } from '../../util/command.js';
import type { ProbeFactory, ProbeResult } from '../probe.js';

/** miscResult interprets a script's end as keepalived does. */
export function miscResult(
  o: { exitCode: number | null; signal: string | null; timedOut: boolean; error?: string },
  dynamic: boolean,
): ProbeResult {
  if (o.error !== undefined) return { ok: false, reason: `could not run: ${o.error}` };
  if (o.timedOut) return { ok: false, reason: 'timed out' };
  if (o.exitCode === null) return { ok: false, reason: `due to signal ${o.signal}` };
  if (o.exitCode === 0)
    return { ok: true, reason: 'exited with status 0', ...(dynamic ? { weight: undefined } : {}) };
  if (dynamic && o.exitCode >= 2 && o.exitCode <= 255)
    return { ok: true, reason: `exited with status ${o.exitCode}`, weight: o.exitCode - 2 };
  return { ok: false, reason: `exited with status ${o.exitCode}` };
}

/** lookupUser resolves `user [group]` through /etc/passwd and /etc/group; undefined when unknown. */
export function lookupUser(u: ScriptUser): { uid: number; gid: number } | undefined {
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  const row = passwd.map((l) => l.split(':')).find((f) => f[0] === u.user);
  if (row === undefined) return undefined;
  let gid = Number(row[3]);
  if (u.group !== undefined) {
    const g = readFileSync('/etc/group', 'utf8')
      .split('\n')
      .map((l) => l.split(':'))
      .find((f) => f[0] === u.group);
    if (g === undefined) return undefined;
    gid = Number(g[2]);
  }
  return { uid: Number(row[2]), gid };
}

/** miscProbe runs the script once. `scriptUser` is the global script_user, used when the checker has no user. */
export function miscProbeWith(scriptUser: ScriptUser | undefined): ProbeFactory<MiscCheck> {
  return (checker, _target, env) => {
    const inv = resolveInvocation(checker.miscPath);
    const user = checker.user ?? scriptUser;
    return async () => {
      const ids = user === undefined ? undefined : lookupUser(user);
      if (user !== undefined && ids === undefined)
        return {
          ok: false,
          reason: `could not run: unknown user ${user.user}${user.group ? `:${user.group}` : ''}`,
        };
      const out = await runCheckProcess(inv.file, inv.args, {
        timeoutMs: checker.miscTimeoutMs,
        clock: env.clock,
        ...(ids ?? {}),
      });
      return miscResult(out, checker.miscDynamic);
    };
  };
}
