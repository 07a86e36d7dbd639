/**
 * The flapping guard (keepvip, not in keepalived): a real server whose verdict changes more
 * than `maxChanges` times within `windowMs` is held down for `holdMs`, so a server that
 * bounces between up and down stops churning the IPVS table, the nginx pool and the alerts.
 * Pure: the scheduler records each change here and arms the hold timer it returns.
 */

/** FlapGuard is `flap_guard COUNT WINDOW HOLD` (keepvip): more than COUNT changes in WINDOW hold the server down for HOLD. */
export interface FlapGuard {
  maxChanges: number;
  windowMs: number;
  holdMs: number;
}

/** FlapHistory is one real server's recent verdict changes and its hold, if any. */
export interface FlapHistory {
  /** changesAtMs are the times of the verdict changes still inside the window. */
  changesAtMs: number[];
  heldDownUntilMs?: number;
}

/** FlapStep is the outcome of noting one change: the new history and whether a hold starts now. */
export interface FlapStep {
  history: FlapHistory;
  tripped: boolean;
}

/** noteVerdictChange records a verdict change at nowMs; a change beyond maxChanges within the window starts a hold. */
export function noteVerdictChange(h: FlapHistory, nowMs: number, g: FlapGuard): FlapStep {
  const changesAtMs = [...h.changesAtMs.filter((t) => t > nowMs - g.windowMs), nowMs];
  const held = isHeldDown(h, nowMs);
  if (changesAtMs.length <= g.maxChanges || held) {
    return { history: { ...h, changesAtMs }, tripped: false };
  }
  return { history: { changesAtMs, heldDownUntilMs: nowMs + g.holdMs }, tripped: true };
}

/** endHold is the history once a hold ran out: the count starts afresh. */
export function endHold(): FlapHistory {
  return { changesAtMs: [] };
}

/** isHeldDown tells whether the guard holds the server down at nowMs. */
export function isHeldDown(h: FlapHistory, nowMs: number): boolean {
  return h.heldDownUntilMs !== undefined && h.heldDownUntilMs > nowMs;
}

/** flapLine is the log line of a hold starting. */
export function flapLine(key: string, h: FlapHistory, g: FlapGuard): string {
  return `Real server ${key} changed state ${h.changesAtMs.length} times in ${g.windowMs / 1000} s; held down for ${g.holdMs / 1000} s (flapping)`;
}
