/**
 * vrrp_script NAME { script; interval; timeout; weight W [reverse]; fall; rise; user; init_fail }
 * with keepalived 2.2.7's defaults (keepalived.conf(5) "VRRP script(s)"; vrrp_parser.c).
 */
import type { Statement } from '../ast.js';
import type { VrrpScript } from '../model.js';
import {
  type BuildContext,
  type Handler,
  readCommand,
  readInteger,
  readScriptUser,
  readSecondsMs,
  requireArg,
  walkBlock,
  outOfRange,
} from './values.js';

/** ScriptDraft is a vrrp_script while it is read: timeout stays unset until the end. */
interface ScriptDraft {
  script: VrrpScript;
  timeoutSet: boolean;
}

/** SCRIPT_WEIGHT_MAX: keepalived accepts vrrp_script weights in -253..253. */
export const SCRIPT_WEIGHT_MAX = 253;

/** readWeight reads `weight W [reverse]` at argument `index`; undefined when the number is bad. */
export function readWeight(
  ctx: BuildContext,
  st: Statement,
  index: number,
  max: number,
  fallback: string,
): { weight: number; reverse: boolean } | undefined {
  const weight = readInteger(
    ctx,
    st,
    { min: -max, max },
    { severity: 'warning', code: 'weight-range', fallback },
    index,
  );
  if (weight === undefined) return undefined;
  const rev = st.args[index + 1];
  if (rev !== undefined && rev.text !== 'reverse') {
    ctx.sink.warning(
      rev.pos,
      'unknown-keyword',
      `unknown word '${rev.text}' after weight (expected 'reverse'); ignored`,
    );
  }
  return { weight, reverse: rev?.text === 'reverse' };
}

const handlers: Record<string, Handler<ScriptDraft>> = {
  script(ctx, st, d) {
    const cmd = readCommand(ctx, st);
    if (cmd !== undefined) d.script.script = cmd;
  },
  interval(ctx, st, d) {
    // keepalived: "vrrp script interval must be greater than 0, setting to 1".
    const ms = readSecondsMs(ctx, st, { minS: 0.001, maxS: 86_400 }, outOfRange('using 1 s'));
    if (ms !== undefined) d.script.intervalMs = ms;
  },
  timeout(ctx, st, d) {
    const ms = readSecondsMs(ctx, st, { minS: 0.001, maxS: 86_400 }, outOfRange('using the interval'));
    if (ms === undefined) return;
    d.script.timeoutMs = ms;
    d.timeoutSet = true;
  },
  weight(ctx, st, d) {
    const w = readWeight(ctx, st, 0, SCRIPT_WEIGHT_MAX, 'using 0');
    if (w === undefined) return;
    d.script.weight = w.weight;
    d.script.weightReverse = w.reverse;
  },
  fall(ctx, st, d) {
    const n = readInteger(ctx, st, { min: 1, max: 2 ** 31 - 1 }, outOfRange('using 1'));
    if (n !== undefined) d.script.fall = n;
  },
  rise(ctx, st, d) {
    const n = readInteger(ctx, st, { min: 1, max: 2 ** 31 - 1 }, outOfRange('using 1'));
    if (n !== undefined) d.script.rise = n;
  },
  user(ctx, st, d) {
    if (requireArg(ctx, st, 0, 'a user name') !== undefined) d.script.user = readScriptUser(st, 0);
  },
  init_fail(_ctx, _st, d) {
    d.script.initFail = true;
  },
};

/** buildVrrpScript reads one vrrp_script block; undefined when it has no name or no script (keepalived removes it). */
export function buildVrrpScript(ctx: BuildContext, st: Statement): VrrpScript | undefined {
  const name = requireArg(ctx, st, 0, 'a name');
  if (name === undefined) return undefined;
  const draft: ScriptDraft = {
    script: {
      name: name.text,
      script: '',
      intervalMs: 1000,
      timeoutMs: 1000,
      weight: 0,
      weightReverse: false,
      fall: 1,
      rise: 1,
      initFail: false,
      pos: st.keyword.pos,
    },
    timeoutSet: false,
  };
  walkBlock(ctx, st.block, handlers, draft, `vrrp_script ${name.text}`);
  if (!draft.timeoutSet) draft.script.timeoutMs = draft.script.intervalMs;
  if (draft.script.script === '') {
    // keepalived: "No script set for vrrp_script X - removing"; instances tracking it then ignore it.
    ctx.sink.warning(st.keyword.pos, 'script-missing', `vrrp_script ${name.text} has no 'script'; removed`);
    return undefined;
  }
  return draft.script;
}
