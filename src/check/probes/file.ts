/**
 * FILE_CHECK (keepalived check_file.c): a track_file's value moves the real server. With weight
 * 0 any non-zero value takes it down; otherwise value * weight (negated with `reverse`) is added
 * to its weight, and a result at or below 0 takes it down. The scheduler re-runs it when the
 * file changes (track_file driven) as well as every delay_loop.
 */
import type { FileCheck, TrackFileDef } from '../../config/model.js';
import type { ProbeFactory, ProbeResult } from '../probe.js';

/** fileResult applies a track_file value to a real server of configured weight `rsWeight`. */
export function fileResult(value: number, weight: number, reverse: boolean, rsWeight: number): ProbeResult {
  if (weight === 0)
    return value === 0 ? { ok: true, reason: 'value 0' } : { ok: false, reason: `value ${value}` };
  const delta = value * weight * (reverse ? -1 : 1);
  if (rsWeight + delta <= 0)
    return { ok: false, reason: `value ${value} takes the weight to ${rsWeight + delta}` };
  return { ok: true, reason: `value ${value}`, weight: delta };
}

/** fileProbeWith reads the named track_file through env (the definitions give the default weight). */
export function fileProbeWith(defs: readonly TrackFileDef[]): ProbeFactory<FileCheck> {
  return (checker, target, env) => async () => {
    const def = defs.find((d) => d.name === checker.trackFile);
    if (def === undefined) return { ok: false, reason: `track_file ${checker.trackFile} not found` };
    const value = env.readTrackFile(checker.trackFile) ?? 0;
    return fileResult(
      value,
      checker.weight ?? def.weight,
      checker.weightReverse ?? def.weightReverse,
      target.rs.weight,
    );
  };
}
