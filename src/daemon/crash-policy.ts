/**
 * The daemon's policy for errors nobody caught (issue 11, "never abort"). An HA daemon must not
 * vanish with its VIPs configured and its peer still seeing it as master:
 *  - an unhandled promise rejection is a bug, logged with its stack; the synchronous state it
 *    left is intact (a rejected promise unwinds nothing), so the daemon carries on;
 *  - an uncaught exception unwound some callback half way: the state is no longer trustworthy.
 *    The daemon logs the bug, stops the VRRP side as at SIGTERM (priority 0, so the backup takes
 *    over after Skew_Time, and every VIP removed), bounded by EMERGENCY_STOP_MS, and exits with
 *    EX_SOFTWARE (70) so systemd (Restart=on-failure) starts a clean one.
 * Native callbacks (the addon's sockets) report a throwing listener as an uncaught exception
 * (napi_fatal_exception), so they fall under the same rule instead of std::terminate.
 */
import type { Logger } from '../util/logger.js';

/** EX_SOFTWARE is sysexits.h's "internal software error", the exit code after an uncaught exception. */
export const EX_SOFTWARE = 70;

/** EMERGENCY_STOP_MS bounds the graceful stop after an uncaught exception. */
export const EMERGENCY_STOP_MS = 3000;

/** CrashPolicyOptions wire the policy to the daemon. */
export interface CrashPolicyOptions {
  log: Logger;
  /** emergencyStop sends priority 0 and removes the VIPs (VrrpRunner.stop). */
  emergencyStop: () => Promise<void>;
  /** exit ends the process (process.exit; injectable for tests). */
  exit?: (code: number) => void;
}

/** describe renders an error with its stack for the log. */
function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
}

/** installCrashPolicy installs the handlers; the returned function removes them. */
export function installCrashPolicy(o: CrashPolicyOptions): () => void {
  const exit = o.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onRejection = (reason: unknown) => {
    o.log.error(`BUG: unhandled promise rejection (continuing): ${describe(reason)}`);
  };
  const onException = (error: unknown) => {
    o.log.error(`BUG: uncaught exception, state no longer trustworthy: ${describe(error)}`);
    if (stopping) return;
    stopping = true;
    o.log.error('stopping: priority 0 sent, VIPs removed, exit for a clean restart');
    let bound: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      bound = setTimeout(resolve, EMERGENCY_STOP_MS);
    });
    void Promise.race([
      o.emergencyStop().catch((e: unknown) => o.log.error(`emergency stop: ${describe(e)}`)),
      timeout,
    ]).finally(() => {
      clearTimeout(bound);
      exit(EX_SOFTWARE);
    });
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
