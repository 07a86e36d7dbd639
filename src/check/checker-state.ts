/**
 * The pure counting of one checker, as keepalived 2.2.7 does it (check_tcp.c tcp_epilog,
 * check_http.c epilog, check_misc.c misc_check_child_thread, check_data.c after parsing):
 *
 * - A checker starts up (`is_up`), or down with `alpha`; `retry_it` starts at `retry`, so a
 *   failing first run takes it down at once ("For non alpha mode, one failure is enough
 *   initially").
 * - One success brings it up and resets the retry count.
 * - A failure while up is retried `retry` times, `delay_before_retry` apart; the next failure
 *   takes it down and the next run comes after `delay_loop`.
 * - TCP_CHECK (and the socket checkers that share its epilog) keep retrying while down; HTTP_GET
 *   and MISC_CHECK do not (their next run is `delay_loop` away).
 * - HTTP_GET/SSL_GET after a failure: the first success only clears the failed url and every url
 *   is checked again one delay_loop later; that second success brings it up (check_http.c
 *   epilog: "If the failed URL is now up, check all the URLs").
 * - fast_recovery (HTTP_GET/SSL_GET): while down without a known failure (alpha start, or the
 *   failed url just cleared), the next run is at once.
 * - keepvip's nginx_upstream `health_check ... rise N` (not a keepalived rule) needs N
 *   successes in a row to bring a down checker back; keepalived's checkers have rise 1.
 */

/** CheckerState is one checker's counters. */
export interface CheckerState {
  /** isUp is keepalived's checker->is_up. */
  isUp: boolean;
  /** hasRun is true once a result was counted. */
  hasRun: boolean;
  /** retryIt is keepalived's retry_it: failures retried so far. */
  retryIt: number;
  /** knownFailure: the last counted result was a failure (HTTP's failed_url). */
  knownFailure: boolean;
  /** riseIt counts successes in a row while down (only with rise > 1). */
  riseIt?: number;
}

/** CheckerTiming is what the counting needs from a checker's configuration. */
export interface CheckerTiming {
  retry: number;
  delayLoopMs: number;
  delayBeforeRetryMs: number;
  /** retryWhileDown: failures of a down checker are retried too (TCP_CHECK's epilog). */
  retryWhileDown: boolean;
  fastRecovery: boolean;
  /** confirmRecovery: after a failure, one success clears it and the next brings the checker up (HTTP_GET). */
  confirmRecovery?: boolean;
  /** rise is how many successes in a row bring a down checker up (default 1). */
  rise?: number;
}

/** CheckerTransition says that a result changed (or, on a first run, settled) the checker's state. */
export type CheckerTransition = 'up' | 'down' | undefined;

/** CheckerStep is the outcome of counting one result. */
export interface CheckerStep {
  state: CheckerState;
  /** transition is set when keepalived would call update_svr_checker_state (and log). */
  transition: CheckerTransition;
  /** retrying: the failure is being retried (keepalived logs nothing unless log_all_failures). */
  retrying: boolean;
  /** nextDelayMs is how long until the next run. */
  nextDelayMs: number;
}

/** initialCheckerState is a checker before its first run (alpha: it starts failed). */
export function initialCheckerState(timing: Pick<CheckerTiming, 'retry'>, alpha: boolean): CheckerState {
  return { isUp: !alpha, hasRun: false, retryIt: timing.retry, knownFailure: false };
}

/** countResult folds one probe result into a checker's state. */
export function countResult(s: CheckerState, ok: boolean, t: CheckerTiming): CheckerStep {
  if (ok && s.hasRun && !s.isUp && (t.rise ?? 1) > 1 && (s.riseIt ?? 0) + 1 < (t.rise ?? 1)) {
    return {
      state: { ...s, riseIt: (s.riseIt ?? 0) + 1, knownFailure: false },
      transition: undefined,
      retrying: false,
      nextDelayMs: t.delayLoopMs,
    };
  }
  if (ok && t.confirmRecovery && s.hasRun && !s.isUp && s.knownFailure) {
    return {
      state: { ...s, retryIt: 0, knownFailure: false },
      transition: undefined,
      retrying: false,
      nextDelayMs: t.delayLoopMs,
    };
  }
  if (ok) {
    const transition: CheckerTransition = !s.isUp || !s.hasRun ? 'up' : undefined;
    return {
      state: { isUp: true, hasRun: true, retryIt: 0, knownFailure: false },
      transition,
      retrying: false,
      nextDelayMs: t.delayLoopMs,
    };
  }
  const counts = s.isUp || !s.hasRun || t.retryWhileDown;
  if (counts && s.retryIt < t.retry) {
    return {
      state: { ...s, retryIt: s.retryIt + 1, knownFailure: true },
      transition: undefined,
      retrying: true,
      nextDelayMs: t.delayBeforeRetryMs,
    };
  }
  const transition: CheckerTransition = s.isUp || !s.hasRun ? 'down' : undefined;
  return {
    state: { isUp: false, hasRun: true, retryIt: 0, knownFailure: true },
    transition,
    retrying: false,
    nextDelayMs: t.delayLoopMs,
  };
}

/** firstDelayMs is when a checker first runs after start: a random part of warmup (keepalived: warmup * random()). */
export function firstDelayMs(warmupMs: number, random: () => number): number {
  return warmupMs > 0 ? Math.floor(warmupMs * random()) : 0;
}

/** fastRecoveryDelay applies fast_recovery: a down checker with no known failure runs again at once. */
export function fastRecoveryDelay(s: CheckerState, t: CheckerTiming, delayMs: number): number {
  if (t.fastRecovery && (!s.hasRun || (!s.isUp && !s.knownFailure))) return 0;
  return delayMs;
}
