/**
 * Split-brain detection for one instance while it is MASTER (keepvip's own; keepalived has
 * none). Evidence is another router acting as master for the same virtual router: an
 * advertisement with a non-zero priority heard while we stay MASTER (RFC 5798 6.4.3 makes a
 * master yield to a better advert at once, so one that keeps arriving means neither side
 * yields), or a reply from another MAC to our duplicate-address probe for the VIP (the case
 * where VRRP between the routers is cut and each side hears nothing).
 *
 * A hand-over legitimately shows one piece of evidence (the old master holds the VIP for a
 * moment), so an episode starts only when evidence keeps coming for `confirmSpanMs`; it ends
 * when none has come for `clearAfterMs`, or at once when we leave MASTER. Pure: the caller
 * passes the monotonic time.
 */

/** SplitBrainEvidence is one observation of another master. */
export interface SplitBrainEvidence {
  kind: 'advert' | 'arp';
  /** from is the advert's source address or the answering MAC. */
  from: string;
}

/** SplitBrainParams tune the detector. */
export interface SplitBrainParams {
  /** confirmSpanMs: evidence must span at least this long (first to latest) to start an episode. */
  confirmSpanMs: number;
  /** clearAfterMs: an episode ends (and unconfirmed evidence is forgotten) after this long without evidence. */
  clearAfterMs: number;
}

/** SplitBrainChange is what a detector call reports: an episode started or ended. */
export type SplitBrainChange =
  | { type: 'started'; evidence: SplitBrainEvidence }
  | { type: 'ended'; reason: string; durationMs: number };

/** splitBrainParams derives the timings from the advert and probe intervals. */
export function splitBrainParams(advertIntervalMs: number, probeIntervalMs: number): SplitBrainParams {
  const slowest = Math.max(advertIntervalMs, probeIntervalMs);
  // Two probe rounds (or two adverts) a full period apart confirm; two silent periods and a half clear.
  return { confirmSpanMs: slowest * 0.75, clearAfterMs: slowest * 2.5 };
}

/** SplitBrainDetector follows split-brain episodes of one instance. */
export class SplitBrainDetector {
  /** episodes counts started episodes. */
  episodes = 0;
  private firstEvidenceMs: number | undefined;
  private lastEvidenceMs: number | undefined;
  private startedMs: number | undefined;
  /** lastEvidence is the latest observation, for status and messages. */
  lastEvidence: SplitBrainEvidence | undefined;

  constructor(private readonly params: SplitBrainParams) {}

  /** active says whether an episode is going on. */
  get active(): boolean {
    return this.startedMs !== undefined;
  }

  /** evidence records an observation; it reports 'started' when it confirms a new episode. */
  evidence(e: SplitBrainEvidence, nowMs: number): SplitBrainChange | undefined {
    this.expire(nowMs);
    this.lastEvidence = e;
    this.firstEvidenceMs ??= nowMs;
    this.lastEvidenceMs = nowMs;
    if (this.startedMs === undefined && nowMs - this.firstEvidenceMs >= this.params.confirmSpanMs) {
      this.startedMs = nowMs;
      this.episodes++;
      return { type: 'started', evidence: e };
    }
    return undefined;
  }

  /** tick lets time pass: it reports 'ended' when evidence stopped for clearAfterMs. */
  tick(nowMs: number): SplitBrainChange | undefined {
    return this.expire(nowMs);
  }

  /** leftMaster ends any episode at once: with one master left there is no split brain here. */
  leftMaster(nowMs: number, state: string): SplitBrainChange | undefined {
    const started = this.startedMs;
    this.reset();
    if (started === undefined) return undefined;
    return { type: 'ended', reason: `left MASTER for ${state}`, durationMs: nowMs - started };
  }

  private expire(nowMs: number): SplitBrainChange | undefined {
    if (this.lastEvidenceMs === undefined || nowMs - this.lastEvidenceMs < this.params.clearAfterMs) {
      return undefined;
    }
    const started = this.startedMs;
    this.reset();
    if (started === undefined) return undefined;
    return { type: 'ended', reason: 'no other master seen', durationMs: nowMs - started };
  }

  private reset(): void {
    this.firstEvidenceMs = undefined;
    this.lastEvidenceMs = undefined;
    this.startedMs = undefined;
  }
}
