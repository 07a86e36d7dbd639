/**
 * MISC_CHECK (keepalived check_misc.c): misc_path runs (shell syntax through bash, a plain
 * command directly: the project's rule in util/command.ts) through the one spawn helper
 * (util/spawn.ts: own process group, SIGTERM at misc_timeout then SIGKILL), as `user` or the
 * global script_user; with enable_script_security a script root would run that others can
 * write is refused (util/script-security.ts), as keepalived's check_script_secure does.
 * Exit 0 is success; with misc_dynamic an exit of 2..255 is success too and sets the weight
 * to status - 2; anything else, a signal or the timeout, is a failure.
 */
import type { MiscCheck, ScriptUser } from '../../config/model.js';
import { resolveInvocation } from '../../util/command.js';
import { scriptPolicy } from '../../util/script-security.js';
import { runProcess } from '../../util/spawn.js';
import type { ProbeFactory, ProbeResult } from '../probe.js';

/** MISC_KILL_GRACE_MS is keepalived's 2 s between SIGTERM and SIGKILL of a timed-out check script. */
export const MISC_KILL_GRACE_MS = 2000;

/** miscResult interprets a script's end as keepalived does. */
export function miscResult(
  o: { exitCode: number | null; signal: string | null; timedOut: boolean; error?: string },
  dynamic: boolean,
): ProbeResult {
  if (o.error !== undefined) return { ok: false, reason: `could not run: ${o.error}` };
  if (o.timedOut) return { ok: false, reason: 'timed out' };
  if (o.exitCode === null) return { ok: false, reason: `due to signal ${o.signal}` };
  if (o.exitCode === 0) return { ok: true, reason: 'exited with status 0' };
  if (dynamic && o.exitCode >= 2 && o.exitCode <= 255)
    return { ok: true, reason: `exited with status ${o.exitCode}`, weight: o.exitCode - 2 };
  return { ok: false, reason: `exited with status ${o.exitCode}` };
}

/** miscProbeWith builds MISC_CHECK probes; `scriptUser` is the global script_user, used when the checker has no user. */
export function miscProbeWith(
  scriptUser: ScriptUser | undefined,
  enableScriptSecurity: boolean,
): ProbeFactory<MiscCheck> {
  return (checker, _target, env) => {
    const inv = resolveInvocation(checker.miscPath);
    const user = checker.user ?? scriptUser;
    return async () => {
      const policy = scriptPolicy(checker.miscPath, user, enableScriptSecurity);
      if (policy.refused !== undefined)
        return { ok: false, reason: `SECURITY VIOLATION - not run: ${policy.refused}` };
      const out = await runProcess(
        { file: inv.file, args: inv.args },
        {
          clock: env.clock,
          timeoutMs: checker.miscTimeoutMs,
          killGraceMs: MISC_KILL_GRACE_MS,
          output: 'none',
          ...(policy.identity === undefined ? {} : { identity: policy.identity }),
        },
      );
      return miscResult(out, checker.miscDynamic);
    };
  };
}
