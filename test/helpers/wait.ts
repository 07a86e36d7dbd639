import { KeepvipError } from '../../src/util/errors.js';

/** HarnessTimeoutError is thrown when a harness wait gives up; `what` names the awaited condition. */
export class HarnessTimeoutError extends KeepvipError {
  readonly what: string;
  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number, detail?: string) {
    super(
      'E_HARNESS_TIMEOUT',
      `timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail}` : ''}`,
    );
    this.what = what;
    this.timeoutMs = timeoutMs;
  }
}

/** sleep resolves after `ms` milliseconds; only for polling real daemons, never for protocol timers. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** WaitOptions bounds a poll: give up after `timeoutMs`, check every `intervalMs`. */
export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** what names the condition in the timeout error. */
  what: string;
}

/**
 * waitUntil polls `check` until it returns a value other than undefined/false/null and
 * returns that value; a check that throws counts as "not yet" (daemons are still starting).
 */
export async function waitUntil<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const intervalMs = options.intervalMs ?? 50;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? `last error: ${lastError.message}` : undefined;
      throw new HarnessTimeoutError(options.what, options.timeoutMs, detail);
    }
    await sleep(intervalMs);
  }
}
