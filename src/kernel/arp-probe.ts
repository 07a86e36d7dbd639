/**
 * Duplicate-address ARP probes for split-brain detection (notify/notifier.ts): who else answers
 * for our VIP on a link. The probe is an ARP request in the duplicate-address-detection form
 * of RFC 5227 2.1.1 (sender IP 0.0.0.0), so it never changes a neighbour's ARP cache, which a
 * normal request from the VIP would. Linux answers such a probe for any address it holds, so a
 * reply means another host has the VIP configured. Sent with Debian's `arping -D`
 * (iputils-arping, which needs CAP_NET_RAW: a kernel-seam operation) through the spawn helper.
 * IPv6 VIPs are not probed (advert evidence only).
 */
import { readFile } from 'node:fs/promises';
import type { Clock } from '../util/clock.js';
import { KeepvipError } from '../util/errors.js';
import { runProcess } from '../util/spawn.js';

/** ArpProber asks who else answers for an address on an interface; it resolves to their MACs. */
export interface ArpProber {
  probe(ifname: string, address: string): Promise<string[]>;
}

/** ARPING_TIMEOUT_MS bounds one `arping -w 1` run. */
export const ARPING_TIMEOUT_MS = 3000;

/** parseArpingReplies returns the MACs (lower case) of the replies in `arping` output. */
export function parseArpingReplies(stdout: string): string[] {
  const macs: string[] = [];
  for (const m of stdout.matchAll(/^Unicast reply from \S+ \[([0-9A-Fa-f:]{17})\]/gm)) {
    const mac = m[1]!.toLowerCase();
    if (!macs.includes(mac)) macs.push(mac);
  }
  return macs;
}

/** ProbeUnavailableError (E_PROBE_UNAVAILABLE) says the probe tool is missing; the caller stops probing and says so once. */
export class ProbeUnavailableError extends KeepvipError {
  constructor(message: string) {
    super('E_PROBE_UNAVAILABLE', message);
  }
}

/** arpingProber probes with `arping -D -c 1 -w 1 -I IF ADDR` and ignores replies from our own MAC. */
export function arpingProber(clock: Clock): ArpProber {
  return {
    async probe(ifname, address) {
      const own = (await readFile(`/sys/class/net/${ifname}/address`, 'utf8').catch(() => '')).trim();
      const r = await runProcess(
        { file: 'arping', args: ['-D', '-c', '1', '-w', '1', '-I', ifname, address] },
        { clock, timeoutMs: ARPING_TIMEOUT_MS, killGraceMs: 0 },
      );
      if (r.error?.includes('ENOENT'))
        throw new ProbeUnavailableError('arping not found (install iputils-arping)');
      // Exit status 1 means "duplicate found": the output is what matters.
      return parseArpingReplies(r.output).filter((mac) => mac !== own.toLowerCase());
    },
  };
}
