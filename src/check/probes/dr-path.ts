/**
 * DR_PATH_CHECK, keepvip's `dr_path_check on` (no keepalived equivalent): the LVS-DR data path to
 * one real server, as clients use it. A TCP SYN for VIP:PORT (the real server's port if it has
 * one, else the virtual server's) is sent to the real server's MAC and must be answered with a
 * SYN-ACK within connect_timeout (the VIP is on its `lo`); an ARP request for the VIP must not be
 * answered by the real server's MAC within the ARP window (arp_ignore / arp_announce are set).
 * keepalived's checkers probe the real server's own address, which succeeds while clients fail.
 * The frames are kernel/dr-probe.ts's; this file words the outcome.
 */
import type { DrPathCheck } from '../../config/model.js';
import { PROBE_WINDOW_MS } from '../../kernel/arp-probe.js';
import type { DrPathReport, DrPathRequest } from '../../kernel/dr-probe.js';
import { errnoReason, type ProbeResult, type ProbeTarget } from '../probe.js';

/** NO_SYN_ACK is the failure of a real server that does not take VIP traffic. */
export const NO_SYN_ACK = 'VIP not accepted on the real server (VIP missing on lo?)';
/** ANSWERS_ARP is the failure of a real server that answers ARP for the VIP. */
export const ANSWERS_ARP = 'real server answers ARP for the VIP (arp_ignore/arp_announce not set)';

/** drPathPort is where the SYN goes: the real server's port, else the virtual server's. */
export function drPathPort(target: Pick<ProbeTarget, 'vs' | 'rs'>): number {
  return target.rs.port || (target.vs.port ?? 0);
}

/** drPathResult words one probe's report (every failure found, in order: MAC, SYN, ARP). */
export function drPathResult(
  report: DrPathReport,
  o: { vip: string; port: number; realServer: string; timeoutMs: number },
): ProbeResult {
  const via = `${o.vip}:${o.port} via ${o.realServer} (${report.route.ifname})`;
  if (report.realServerMac === undefined)
    return {
      ok: false,
      reason: `real server MAC unknown: no ARP reply from ${o.realServer} on ${report.route.ifname} within ${o.timeoutMs} ms`,
    };
  const failures: string[] = [];
  if (report.reply === undefined)
    failures.push(`${NO_SYN_ACK}: no SYN-ACK from ${via} within ${o.timeoutMs} ms`);
  else if (report.reply === 'rst')
    failures.push(`real server refuses ${via} (RST): nothing listens on the VIP`);
  if (report.arpAnsweredBy.includes(report.realServerMac))
    failures.push(`${ANSWERS_ARP}: ARP reply for ${o.vip} from ${report.realServerMac}`);
  if (failures.length > 0) return { ok: false, reason: failures.join('; ') };
  return {
    ok: true,
    reason: `SYN-ACK from ${via} in ${(report.replyMs ?? 0).toFixed(2)} ms; no ARP reply for the VIP from ${report.realServerMac}`,
  };
}

/** DrPathRun runs the kernel side of one probe (DrPathProber.probe). */
export type DrPathRun = (r: DrPathRequest) => Promise<DrPathReport>;

/** drPathProbe builds the probe of one real server's data-path checker. */
export function drPathProbe(
  checker: DrPathCheck,
  target: Pick<ProbeTarget, 'vs' | 'rs'>,
  run: DrPathRun | undefined,
): () => Promise<ProbeResult> {
  const o = {
    vip: target.vs.address ?? '',
    port: drPathPort(target),
    realServer: target.rs.address,
    timeoutMs: checker.connectTimeoutMs,
    // The ARP window is arping's (PROBE_WINDOW_MS), never longer than the checker's timeout.
    arpWindowMs: Math.min(PROBE_WINDOW_MS, checker.connectTimeoutMs),
  };
  return async () => {
    if (run === undefined) return { ok: false, reason: 'DR path probe: not available in this process' };
    try {
      return drPathResult(await run(o), o);
    } catch (err) {
      return { ok: false, reason: errnoReason('DR path probe', err) };
    }
  };
}
