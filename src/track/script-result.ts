/**
 * The fall/rise counter of a vrrp_script, as keepalived keeps it: one number from 0 to
 * rise + fall - 1; the script is good while it is >= rise. From fully good it takes `fall`
 * consecutive failures to turn bad, from bad `rise` consecutive successes to turn good.
 */

/** ScriptCounter is the counter state of one script. */
export interface ScriptCounter {
  value: number;
  rise: number;
  fall: number;
}

/** initialCounter starts just good (keepalived's default) or just bad with init_fail. */
export function initialCounter(rise: number, fall: number, initFail: boolean): ScriptCounter {
  return { value: initFail ? Math.max(0, rise - 1) : rise, rise, fall };
}

/** isGood tells whether the counter says the script passes. */
export function isGood(c: ScriptCounter): boolean {
  return c.value >= c.rise;
}

/** applyResult folds one run's success or failure into the counter. */
export function applyResult(c: ScriptCounter, success: boolean): ScriptCounter {
  const top = c.rise + c.fall - 1;
  if (success) {
    if (c.value < c.rise - 1) return { ...c, value: c.value + 1 };
    return { ...c, value: top };
  }
  if (c.value > c.rise) return { ...c, value: c.value - 1 };
  return { ...c, value: 0 };
}
