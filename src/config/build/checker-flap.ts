/**
 * keepvip's `flap_guard COUNT WINDOW HOLD` (virtual_server or real_server; not a keepalived
 * keyword): a real server whose verdict changes more than COUNT times within WINDOW seconds
 * is held down for HOLD seconds (check/flap-guard.ts). Written on a virtual_server it is the
 * default of its real servers (a real server's own wins).
 */
import type { Statement } from '../ast.js';
import type { FlapGuardSetting } from '../model.js';
import { type BuildContext, outOfRange, readInteger, readSecondsMs, requireArg } from './values.js';

/** readFlapGuard reads `flap_guard COUNT WINDOW_SECS HOLD_SECS`; undefined when invalid (reported). */
export function readFlapGuard(ctx: BuildContext, st: Statement): FlapGuardSetting | undefined {
  if (requireArg(ctx, st, 2, 'COUNT WINDOW_SECS HOLD_SECS') === undefined) return undefined;
  const bad = outOfRange('flap_guard ignored');
  const maxChanges = readInteger(ctx, st, { min: 1, max: 10_000 }, bad, 0);
  const windowMs = readSecondsMs(ctx, st, { minS: 0.001, maxS: 86_400 }, bad, 1);
  const holdMs = readSecondsMs(ctx, st, { minS: 0.001, maxS: 86_400 }, bad, 2);
  if (maxChanges === undefined || windowMs === undefined || holdMs === undefined) return undefined;
  return { maxChanges, windowMs, holdMs };
}
