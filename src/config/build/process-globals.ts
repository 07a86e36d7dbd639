/**
 * The process priorities of global_defs (keepalived 2.2.7 global_parser.c): vrrp_priority and
 * checker_priority (a nice value, -20..19: get_priority) and vrrp_rt_priority and
 * checker_rt_priority (SCHED_RR, clamped to 1..99: get_realtime_priority). keepvip applies them to
 * its VRRP (main) thread and its checker thread (kernel/sched.ts).
 */
import type { Statement } from '../ast.js';
import type { GlobalDefs } from '../model.js';
import { type BuildContext, type Handler, parseIntegerText, report, requireArg } from './values.js';

type Target = { defs: GlobalDefs };

/** SCHED_RR's priority range on Linux (sched_get_priority_min/max), as keepalived clamps to it. */
const RT_MIN = 1;
const RT_MAX = 99;

/** nice reads get_priority's -20..19; keepalived reports anything else and uses 0. */
function nice(ctx: BuildContext, st: Statement, process: string): number | undefined {
  const w = requireArg(ctx, st, 0, `a ${process} process priority`);
  if (w === undefined) return undefined;
  const n = parseIntegerText(w.text);
  if (n === undefined || n < -20 || n > 19) {
    report(
      ctx,
      w,
      'warning',
      'value-range',
      `Invalid ${process} process priority specified (-20..19); using 0`,
    );
    return 0;
  }
  return n;
}

/** realtime reads get_realtime_priority: an integer clamped to 1..99 with a warning; not an integer: ignored. */
function realtime(ctx: BuildContext, st: Statement, process: string): number | undefined {
  const w = requireArg(ctx, st, 0, `a ${process} process real-time priority`);
  if (w === undefined) return undefined;
  const n = parseIntegerText(w.text);
  if (n === undefined) {
    report(
      ctx,
      w,
      'warning',
      'value-range',
      `${process} process real-time priority '${w.text}' invalid; ignored`,
    );
    return undefined;
  }
  if (n < RT_MIN || n > RT_MAX) {
    const to = n < RT_MIN ? RT_MIN : RT_MAX;
    report(
      ctx,
      w,
      'warning',
      'value-range',
      `${process} process real-time priority ${n} ${n < RT_MIN ? 'less than minimum' : 'greater than maximum'} ${to} - setting to ${n < RT_MIN ? 'minimum' : 'maximum'}`,
    );
    return to;
  }
  return n;
}

/** processGlobalHandlers read the priority keywords of global_defs. */
export const processGlobalHandlers: Record<string, Handler<Target>> = {
  vrrp_priority(ctx, st, d) {
    const n = nice(ctx, st, 'vrrp');
    if (n !== undefined) d.defs.vrrpPriority = n;
  },
  checker_priority(ctx, st, d) {
    const n = nice(ctx, st, 'checker');
    if (n !== undefined) d.defs.checkerPriority = n;
  },
  vrrp_rt_priority(ctx, st, d) {
    const n = realtime(ctx, st, 'vrrp');
    if (n !== undefined) d.defs.vrrpRtPriority = n;
  },
  checker_rt_priority(ctx, st, d) {
    const n = realtime(ctx, st, 'checker');
    if (n !== undefined) d.defs.checkerRtPriority = n;
  },
};
