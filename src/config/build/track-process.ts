/**
 * vrrp_track_process NAME { process P [ARGS]; param_match exact|partial|initial; full_command;
 * quorum N; quorum_max N; delay S; terminate_delay S; fork_delay S; weight W [reverse] }, as
 * keepalived.conf(5) "VRRP track processes" describes it, plus keepvip's `pid_file PATH`, which
 * follows the process whose pid a daemon writes (nginx's `pid /run/nginx.pid`).
 */
import type { Statement } from '../ast.js';
import type { TrackProcessDef } from '../model.js';
import {
  type BuildContext,
  type Handler,
  readInteger,
  readSecondsMs,
  requireArg,
  walkBlock,
  outOfRange,
} from './values.js';
import { readWeight } from './vrrp-script.js';

/** TRACK_PROCESS_WEIGHT_MAX: keepalived accepts track_process weights in -254..254. */
export const TRACK_PROCESS_WEIGHT_MAX = 254;

const delayRange = { minS: 0, maxS: 86_400 };
const badDelay = outOfRange('using 0');

const handlers: Record<string, Handler<TrackProcessDef>> = {
  process(ctx, st, t) {
    const w = requireArg(ctx, st, 0, 'a process name');
    if (w === undefined) return;
    t.process = w.text;
    if (st.args.length > 1) t.params = st.args.slice(1).map((a) => a.text);
  },
  param_match(ctx, st, t) {
    const w = requireArg(ctx, st, 0, 'exact, partial or initial');
    if (w === undefined) return;
    if (w.text === 'exact' || w.text === 'partial' || w.text === 'initial') t.paramMatch = w.text;
    else
      ctx.sink.warning(
        w.pos,
        'invalid-value',
        `param_match '${w.text}' is not exact, partial or initial; using exact`,
      );
  },
  full_command(_ctx, _st, t) {
    t.fullCommand = true;
  },
  pid_file(ctx, st, t) {
    const w = requireArg(ctx, st, 0, 'a pid file path');
    if (w !== undefined) t.pidFile = w.text;
  },
  quorum(ctx, st, t) {
    const n = readInteger(ctx, st, { min: 1, max: 65_535 }, outOfRange('using 1'));
    if (n !== undefined) t.quorum = n;
  },
  quorum_max(ctx, st, t) {
    // "Setting this to 0 would mean failure if the matching process were running at all."
    const n = readInteger(ctx, st, { min: 0, max: 65_535 }, outOfRange('no maximum'));
    if (n !== undefined) t.quorumMax = n;
  },
  delay(ctx, st, t) {
    // keepalived: `delay` sets both terminate_delay and fork_delay.
    const ms = readSecondsMs(ctx, st, delayRange, badDelay);
    if (ms === undefined) return;
    t.terminateDelayMs = ms;
    t.forkDelayMs = ms;
  },
  terminate_delay(ctx, st, t) {
    const ms = readSecondsMs(ctx, st, delayRange, badDelay);
    if (ms !== undefined) t.terminateDelayMs = ms;
  },
  fork_delay(ctx, st, t) {
    const ms = readSecondsMs(ctx, st, delayRange, badDelay);
    if (ms !== undefined) t.forkDelayMs = ms;
  },
  weight(ctx, st, t) {
    const w = readWeight(ctx, st, 0, TRACK_PROCESS_WEIGHT_MAX, 'using 0');
    if (w === undefined) return;
    t.weight = w.weight;
    t.weightReverse = w.reverse;
  },
};

/** buildTrackProcess reads one vrrp_track_process block; undefined when it names neither a process nor a pid file. */
export function buildTrackProcess(ctx: BuildContext, st: Statement): TrackProcessDef | undefined {
  const name = requireArg(ctx, st, 0, 'a name');
  if (name === undefined) return undefined;
  const def: TrackProcessDef = {
    name: name.text,
    process: '',
    paramMatch: 'exact',
    fullCommand: false,
    quorum: 1,
    terminateDelayMs: 0,
    forkDelayMs: 0,
    // keepalived.conf(5): "default weight (default is 1)".
    weight: 1,
    weightReverse: false,
    pos: st.keyword.pos,
  };
  walkBlock(ctx, st.block, handlers, def, `vrrp_track_process ${name.text}`);
  if (def.process === '' && def.pidFile === undefined) {
    ctx.sink.warning(
      st.keyword.pos,
      'track-process-missing',
      `vrrp_track_process ${name.text} has neither 'process' nor 'pid_file'; removed`,
    );
    return undefined;
  }
  if (def.quorumMax !== undefined && def.quorumMax < def.quorum) {
    ctx.sink.warning(
      st.keyword.pos,
      'value-range',
      `vrrp_track_process ${name.text}: quorum_max ${def.quorumMax} is below quorum ${def.quorum}; no maximum`,
    );
    def.quorumMax = undefined;
  }
  return def;
}
