import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { systemClock } from '../util/clock.js';
import { KeepvipError } from '../util/errors.js';
import { callNative, loadNative } from './native.js';

/** sendGratuitousArp sends one gratuitous ARP request for ipv4 out of ifname, as keepalived does. */
export function sendGratuitousArp(ifname: string, ipv4: string): void {
  callNative(`gratuitous ARP for ${ipv4} on ${ifname}`, () => loadNative().sendGratuitousArp(ifname, ipv4));
}

/**
 * sendUnsolicitedNa sends one unsolicited Neighbor Advertisement for ipv6 from ipv6 to ff02::1
 * (RFC 4861 7.2.6: Override set, Solicited clear). The Router flag follows the interface's
 * IPv6 forwarding setting unless given, as keepalived does, so hosts do not drop us as a router.
 */
export function sendUnsolicitedNa(ifname: string, ipv6: string, router = isIpv6Forwarding(ifname)): void {
  callNative(`unsolicited NA for ${ipv6} on ${ifname}`, () =>
    loadNative().sendUnsolicitedNa(ifname, ipv6, router),
  );
}

/** isIpv6Forwarding reads net.ipv6.conf.<ifname>.forwarding in the current network namespace. */
export function isIpv6Forwarding(ifname: string): boolean {
  try {
    return readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, 'utf8').trim() === '1';
  } catch {
    return false; // IPv6 disabled on the interface: no router to announce
  }
}

/** GARP_SLICE_MS is the event-loop time GARP frames may take per turn before yielding. */
export const GARP_SLICE_MS = 1;

const paced: (() => void)[] = [];
let draining = false;

/** drainPaced sends queued frames for up to GARP_SLICE_MS, then yields to the loop (timers, adverts). */
function drainPaced(): void {
  const start = performance.now();
  while (paced.length > 0 && performance.now() - start < GARP_SLICE_MS) paced.shift()!();
  if (paced.length > 0) setImmediate(drainPaced);
  else draining = false;
}

/**
 * pace sends one frame in the process-wide GARP queue. A frame costs ~0.5 ms of the event loop
 * (the packet crosses the veth and bridge in our context): 255 instances becoming MASTER at once
 * are 1,275 frames, 0.6 s in one go, long enough for their own adverts to be late and the backup
 * to take over. Paced, adverts and receive keep their turns between slices.
 */
function pace(send: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    paced.push(() => {
      try {
        send();
        resolve();
      } catch (error) {
        reject(error);
      }
    });
    if (!draining) {
      draining = true;
      setImmediate(drainPaced);
    }
  });
}

/** GarpBurstOptions mirrors keepalived's garp_master_repeat and garp_interval / gna_interval. */
export interface GarpBurstOptions {
  /** repeat is how many rounds to send (keepalived garp_master_repeat, default 5). */
  repeat: number;
  /** intervalMs is the pause between rounds (keepalived garp_interval, default 0: back to back). */
  intervalMs: number;
  /** sleep waits between rounds; injectable for tests (default: the system clock's timer heap). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * sendGarpBurst announces addresses on ifname: per round one gratuitous ARP per IPv4 address and
 * one unsolicited NA per IPv6 address, `repeat` rounds `intervalMs` apart, paced with every other
 * burst of the process (see pace). Throws the first send error (E_SYSCALL with its errno) after
 * stopping the burst.
 */
export async function sendGarpBurst(
  ifname: string,
  addresses: readonly (string | { address: string })[],
  options: GarpBurstOptions,
): Promise<void> {
  const list = addresses.map((a) => (typeof a === 'string' ? a : a.address));
  for (const address of list) {
    if (!isIPv4(address) && !isIPv6(address))
      throw new KeepvipError('E_ADDRESS', `not an IP address: ${address}`);
  }
  const router = list.some((a) => isIPv6(a)) ? isIpv6Forwarding(ifname) : false;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((r) => systemClock.at(systemClock.nowMs() + ms, r)));
  for (let round = 0; round < options.repeat; round++) {
    if (round > 0 && options.intervalMs > 0) await sleep(options.intervalMs);
    await Promise.all(
      list.map((address) =>
        pace(() => {
          if (isIPv4(address)) sendGratuitousArp(ifname, address);
          else sendUnsolicitedNa(ifname, address, router);
        }),
      ),
    );
  }
}
