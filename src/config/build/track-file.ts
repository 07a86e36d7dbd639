/**
 * track_file NAME { file PATH; weight W [reverse]; init_file [VALUE] [overwrite] }
 * (keepalived.conf(5) "track_file"; `vrrp_track_file` is keepalived's deprecated synonym).
 */
import type { Statement } from '../ast.js';
import type { TrackFileDef } from '../model.js';
import { type BuildContext, type Handler, parseIntegerText, requireArg, walkBlock } from './values.js';
import { readWeight } from './vrrp-script.js';

/** TRACK_FILE_WEIGHT_MAX: keepalived accepts track_file weights in -2147483647..2147483647. */
export const TRACK_FILE_WEIGHT_MAX = 2 ** 31 - 1;

const handlers: Record<string, Handler<TrackFileDef>> = {
  file(ctx, st, t) {
    const w = requireArg(ctx, st, 0, 'a file path');
    if (w !== undefined) t.file = w.text;
  },
  weight(ctx, st, t) {
    const w = readWeight(ctx, st, 0, TRACK_FILE_WEIGHT_MAX, 'using 1');
    if (w === undefined) return;
    t.weight = w.weight;
    t.weightReverse = w.reverse;
  },
  init_file(ctx, st, t) {
    let value = 0;
    let overwrite = false;
    for (const w of st.args) {
      const n = parseIntegerText(w.text);
      if (w.text === 'overwrite') overwrite = true;
      else if (n !== undefined) value = n;
      else
        ctx.sink.warning(
          w.pos,
          'invalid-value',
          `init_file '${w.text}' is neither a number nor 'overwrite'; ignored`,
        );
    }
    t.initFile = { value, overwrite };
  },
};

/** buildTrackFile reads one track_file block; undefined when it has no name or no file. */
export function buildTrackFile(ctx: BuildContext, st: Statement): TrackFileDef | undefined {
  const name = requireArg(ctx, st, 0, 'a name');
  if (name === undefined) return undefined;
  const def: TrackFileDef = {
    name: name.text,
    file: '',
    weight: 1,
    weightReverse: false,
    pos: st.keyword.pos,
  };
  walkBlock(ctx, st.block, handlers, def, `track_file ${name.text}`);
  if (def.file === '') {
    ctx.sink.warning(st.keyword.pos, 'track-file-missing', `track_file ${name.text} has no 'file'; removed`);
    return undefined;
  }
  return def;
}
