/**
 * VIP probes for split-brain detection: while MASTER, ask the link who else answers for our
 * VIP. The probe is an ARP request in the duplicate-address-detection form of RFC 5227 2.1.1
 * (sender IP 0.0.0.0), so it never changes a neighbour's ARP cache, which a normal request from
 * the VIP would. Linux answers such a probe for any address it holds, so a reply means another
 * host has the VIP configured. Sent with Debian's `arping -D` (iputils-arping). IPv6 VIPs are
 * not probed (advert evidence only).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** VipProber asks who else answers for an address on an interface; it resolves to their MACs. */
export interface VipProber {
  probe(ifname: string, address: string): Promise<string[]>;
}

/** parseArpingReplies returns the MACs (lower case) of the replies in `arping` output. */
export function parseArpingReplies(stdout: string): string[] {
  const macs: string[] = [];
  for (const m of stdout.matchAll(/^Unicast reply from \S+ \[([0-9A-Fa-f:]{17})\]/gm)) {
    const mac = m[1]!.toLowerCase();
    if (!macs.includes(mac)) macs.push(mac);
  }
  return macs;
}

/** ProbeUnavailableError says the probe tool is missing; the caller stops probing and says so once. */
export class ProbeUnavailableError extends Error {
  readonly code = 'E_PROBE_UNAVAILABLE';
}

/** arpingProber probes with `arping -D -c 1 -w 1 -I IF ADDR` and ignores replies from our own MAC. */
export const arpingProber: VipProber = {
  async probe(ifname, address) {
    const own = (await readFile(`/sys/class/net/${ifname}/address`, 'utf8').catch(() => '')).trim();
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        'arping',
        ['-D', '-c', '1', '-w', '1', '-I', ifname, address],
        { timeout: 3000, killSignal: 'SIGKILL' },
        (err, out) => {
          const code = (err as NodeJS.ErrnoException | null)?.code;
          if (code === 'ENOENT')
            reject(new ProbeUnavailableError('arping not found (install iputils-arping)'));
          // Exit status 1 means "duplicate found": the output is what matters.
          else resolve(String(out ?? ''));
        },
      );
    });
    return parseArpingReplies(stdout).filter((mac) => mac !== own.toLowerCase());
  },
};
