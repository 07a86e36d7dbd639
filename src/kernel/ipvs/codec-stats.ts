/** The IPVS statistics nests (IPVS_*_ATTR_STATS and _STATS64, IPVS_STATS_ATTR_*). Pure. */
import * as K from './constants.js';
import { AttrIndex, type NlWriter } from '../nlmsg.js';
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

/** STATS_ATTRS indexes a statistics nest (one index, reused: decoding is synchronous). */
const STATS_ATTRS = new AttrIndex(K.IPVS_STATS_ATTR_PAD);

/** decodeStats reads a statistics nest (either width); IPVS_STATS_ATTR_PAD is skipped, unknown types kept. */
export function decodeStats(data: Buffer): IpvsStats {
  const a = STATS_ATTRS.read(data);
  const s: IpvsStats = {
    conns: a.u64(K.IPVS_STATS_ATTR_CONNS) ?? 0n,
    inPkts: a.u64(K.IPVS_STATS_ATTR_INPKTS) ?? 0n,
    outPkts: a.u64(K.IPVS_STATS_ATTR_OUTPKTS) ?? 0n,
    inBytes: a.u64(K.IPVS_STATS_ATTR_INBYTES) ?? 0n,
    outBytes: a.u64(K.IPVS_STATS_ATTR_OUTBYTES) ?? 0n,
    cps: a.u64(K.IPVS_STATS_ATTR_CPS) ?? 0n,
    inPps: a.u64(K.IPVS_STATS_ATTR_INPPS) ?? 0n,
    outPps: a.u64(K.IPVS_STATS_ATTR_OUTPPS) ?? 0n,
    inBps: a.u64(K.IPVS_STATS_ATTR_INBPS) ?? 0n,
    outBps: a.u64(K.IPVS_STATS_ATTR_OUTBPS) ?? 0n,
  };
  if (a.unknown) s.unknown = a.unknown;
  return s;
}
