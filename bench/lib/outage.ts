/** ProbeSample is one client probe: when it started (epoch ms), whether it got a 200, and from whom. */
export interface ProbeSample {
  t: number;
  ok: boolean;
  /** node is the answering node's name (the page body, trimmed) when ok. */
  node?: string;
  latencyMs: number;
  error?: string;
}

/** OutageReport summarises a probe series around a failover. */
export interface OutageReport {
  samples: number;
  failed: number;
  /** answersByNode counts successful probes per answering node. */
  answersByNode: Record<string, number>;
  /**
   * outageMs is the longest time with no successful answer: from the start of the last
   * successful probe before the longest run of failures to the start of the first successful
   * probe after it (the series' ends stand in when there is none). 0 when nothing failed.
   */
  outageMs: number;
  /** outageFrom and outageTo bound that window (epoch ms). */
  outageFrom?: number;
  outageTo?: number;
  /** firstNode is the node that answered first. */
  firstNode?: string;
  /** switchTo is the first other node that answered afterwards. */
  switchTo?: string;
  /** switchMs is from the last answer of firstNode to the first answer of switchTo (probe start times). */
  switchMs?: number;
  lastAnswerFromFirst?: number;
  firstAnswerFromNext?: number;
  /** nodeChanges counts changes of answering node between consecutive successful probes (flapping). */
  nodeChanges: number;
}

/** analyzeProbes computes outage and switch figures from probe samples (any order). */
export function analyzeProbes(input: readonly ProbeSample[]): OutageReport {
  const samples = [...input].sort((a, b) => a.t - b.t);
  const answersByNode: Record<string, number> = {};
  let failed = 0;
  let nodeChanges = 0;
  let prevNode: string | undefined;
  for (const s of samples) {
    if (!s.ok) {
      failed++;
      continue;
    }
    const node = s.node ?? '?';
    answersByNode[node] = (answersByNode[node] ?? 0) + 1;
    if (prevNode !== undefined && node !== prevNode) nodeChanges++;
    prevNode = node;
  }
  const report: OutageReport = { samples: samples.length, failed, answersByNode, outageMs: 0, nodeChanges };

  // Longest run of consecutive failures, measured between the successes around it.
  let runStart = -1;
  for (let i = 0; i <= samples.length; i++) {
    const s = samples[i];
    if (s && !s.ok) {
      if (runStart < 0) runStart = i;
      continue;
    }
    if (runStart < 0) continue;
    const from = samples[runStart - 1]?.t ?? samples[runStart]!.t;
    const to = s?.t ?? samples[samples.length - 1]!.t;
    if (to - from > report.outageMs) {
      report.outageMs = to - from;
      report.outageFrom = from;
      report.outageTo = to;
    }
    runStart = -1;
  }

  const answers = samples.filter((s) => s.ok);
  const first = answers[0];
  if (first) {
    report.firstNode = first.node;
    const idx = answers.findIndex((s) => s.node !== first.node);
    const next = answers[idx];
    if (idx > 0 && next) {
      const lastA = answers[idx - 1]!;
      report.switchTo = next.node;
      report.lastAnswerFromFirst = lastA.t;
      report.firstAnswerFromNext = next.t;
      report.switchMs = next.t - lastA.t;
    }
  }
  return report;
}

/** formatReport renders a report as one line for test and benchmark output. */
export function formatReport(r: OutageReport): string {
  const nodes = Object.entries(r.answersByNode)
    .map(([n, c]) => `${n}=${c}`)
    .join(' ');
  const sw =
    r.switchMs === undefined
      ? 'no switch'
      : `switch ${r.firstNode}->${r.switchTo} ${r.switchMs.toFixed(1)} ms`;
  return `probes ${r.samples} failed ${r.failed} [${nodes}] outage ${r.outageMs.toFixed(1)} ms, ${sw}, node changes ${r.nodeChanges}`;
}
