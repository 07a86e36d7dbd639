/** The IPVS statistics nests (IPVS_*_ATTR_STATS and _STATS64, IPVS_STATS_ATTR_*). Pure. */
import * as K from './constants.js';
import { type NlWriter, parseAttrs, readU64 } from '../nlmsg.js';
import type { IpvsStats } from './types.js';

const STATS_FIELDS: [keyof Omit<IpvsStats, 'unknown'>, number, 32 | 64][] = [
  ['conns', K.IPVS_STATS_ATTR_CONNS, 32],
  ['inPkts', K.IPVS_STATS_ATTR_INPKTS, 32],
  ['outPkts', K.IPVS_STATS_ATTR_OUTPKTS, 32],
  ['inBytes', K.IPVS_STATS_ATTR_INBYTES, 64],
  ['outBytes', K.IPVS_STATS_ATTR_OUTBYTES, 64],
  ['cps', K.IPVS_STATS_ATTR_CPS, 32],
  ['inPps', K.IPVS_STATS_ATTR_INPPS, 32],
  ['outPps', K.IPVS_STATS_ATTR_OUTPPS, 32],
  ['inBps', K.IPVS_STATS_ATTR_INBPS, 32],
  ['outBps', K.IPVS_STATS_ATTR_OUTBPS, 32],
];

/** zeroStats is an IpvsStats of zeros. */
export function zeroStats(): IpvsStats {
  return {
    conns: 0n,
    inPkts: 0n,
    outPkts: 0n,
    inBytes: 0n,
    outBytes: 0n,
    cps: 0n,
    inPps: 0n,
    outPps: 0n,
    inBps: 0n,
    outBps: 0n,
  };
}

/**
 * writeStats writes IPVS_*_ATTR_STATS (wide: false; packet and rate counters as u32, bytes as
 * u64, as ip_vs_genl_fill_stats truncates them) or IPVS_*_ATTR_STATS64 (wide: every counter u64).
 */
export function writeStats(w: NlWriter, type: number, s: IpvsStats, wide: boolean): void {
  w.nest(type, () => {
    for (const [k, t, bits] of STATS_FIELDS) {
      if (wide || bits === 64) w.u64(t, s[k], K.IPVS_STATS_ATTR_PAD);
      else w.u32(t, Number(BigInt.asUintN(32, s[k])));
    }
    if (wide && s.unknown) for (const [t, d] of s.unknown) w.attr(t, d);
  });
}

/** decodeStats reads a statistics nest (either width); IPVS_STATS_ATTR_PAD is skipped, unknown types kept. */
export function decodeStats(data: Buffer): IpvsStats {
  const s = zeroStats();
  const { attrs } = parseAttrs(data);
  for (const a of attrs) {
    const field = STATS_FIELDS.find(([, t]) => t === a.type);
    if (field) s[field[0]] = readU64(a.data) ?? 0n;
    else if (a.type !== K.IPVS_STATS_ATTR_PAD) {
      s.unknown ??= new Map();
      s.unknown.set(a.type, Buffer.from(a.data));
    }
  }
  return s;
}
