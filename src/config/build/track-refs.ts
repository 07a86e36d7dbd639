/**
 * track_script / track_interface / track_file / track_process lists in a vrrp_instance or a
 * vrrp_sync_group: one `NAME [weight W [reverse]]` per line (keepalived.conf(5)).
 */
import type { Statement } from '../ast.js';
import type { TrackRef } from '../model.js';
import { type BuildContext, parseIntegerText } from './values.js';

/** readTrackList reads a track_* block: `NAME [weight W [reverse]]` per line. */
export function readTrackList(ctx: BuildContext, st: Statement, weightMax: number): TrackRef[] {
  const refs: TrackRef[] = [];
  for (const item of st.block ?? []) {
    const ref: TrackRef = { name: item.keyword.text, pos: item.keyword.pos };
    const [kw, value, rev] = item.args;
    if (kw !== undefined) {
      const n = value === undefined ? undefined : parseIntegerText(value.text);
      if (kw.text !== 'weight' || value === undefined) {
        ctx.sink.warning(
          kw.pos,
          'unknown-keyword',
          `unknown word '${kw.text}' after ${item.keyword.text} (expected 'weight N [reverse]'); ignored`,
        );
      } else if (n === undefined || n < -weightMax || n > weightMax) {
        // keepalived: "track script X: weight must be between [-253..253] inclusive, ignoring..." drops the entry.
        ctx.sink.warning(
          value.pos,
          'weight-range',
          `${st.keyword.text} ${item.keyword.text}: weight '${value.text}' outside -${weightMax}..${weightMax}; entry ignored (as keepalived does)`,
        );
        continue;
      } else {
        ref.weight = n;
        if (rev !== undefined) {
          if (rev.text === 'reverse') ref.weightReverse = true;
          else
            ctx.sink.warning(
              rev.pos,
              'unknown-keyword',
              `unknown word '${rev.text}' after weight (expected 'reverse'); ignored`,
            );
        }
      }
    }
    refs.push(ref);
  }
  return refs;
}
