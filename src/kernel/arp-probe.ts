/**
 * Duplicate-address ARP probes for split-brain detection (notify/notifier.ts): who else answers
 * for our VIP on a link. The probe is an ARP request in the duplicate-address-detection form of
 * RFC 5227 2.1.1 (sender IP 0.0.0.0), the one `arping -D` sends, so it never changes a
 * neighbour's ARP cache, which a normal request from the VIP would. Linux answers such a probe
 * for any address it holds, so a reply means another host has the VIP configured.
 *
 * The probe is sent in-process on the addon's packet sockets (native/src/packet.c), not by a
 * process per probe: at 255 instances the split-brain probe (every 2 s per MASTER instance)
 * spawned over a hundred arping processes a second, each spawn blocking the event loop for
 * milliseconds, until the adverts were late and the backup took over. One listener hears every
 * ARP reply; a probe collects the replies for its address during PROBE_WINDOW_MS. IPv6 VIPs are
 * not probed (advert evidence only).
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../util/clock.js';
import { KeepvipError, SystemCallError } from '../util/errors.js';
import { callNative, loadNative } from './native.js';

/** ArpProber asks who else answers for an address on an interface; it resolves to their MACs. */
export interface ArpProber {
  probe(ifname: string, address: string): Promise<string[]>;
}

/** PROBE_WINDOW_MS is how long a probe waits for replies, as `arping -w 1`. */
export const PROBE_WINDOW_MS = 1000;

/** ProbeUnavailableError (E_PROBE_UNAVAILABLE) says probes cannot work here (no packet socket); the caller stops probing and says so once. */
export class ProbeUnavailableError extends KeepvipError {
  constructor(message: string) {
    super('E_PROBE_UNAVAILABLE', message);
  }
}

/** nativeArpProber probes through the addon; replies from our own MAC are ignored. */
export function nativeArpProber(clock: Clock): ArpProber {
  const waiting = new Map<string, Set<string>[]>();
  let listening = false;
  const listen = () => {
    if (listening) return;
    try {
      callNative('listen for ARP replies', () =>
        loadNative().arpListen((_ifindex, mac, ip) => {
          for (const macs of waiting.get(ip) ?? []) macs.add(mac);
        }),
      );
    } catch (error) {
      // Without CAP_NET_RAW (or without the addon) no probe can be heard: stop asking.
      throw new ProbeUnavailableError(`cannot listen for ARP replies: ${(error as Error).message}`);
    }
    listening = true;
  };
  return {
    probe(ifname, address) {
      let own = '';
      try {
        listen();
        own = readFileSync(`/sys/class/net/${ifname}/address`, 'utf8').trim().toLowerCase();
      } catch (error) {
        if (error instanceof ProbeUnavailableError) return Promise.reject(error);
        // no such interface: the send below reports it
      }
      const macs = new Set<string>();
      const list = waiting.get(address) ?? [];
      list.push(macs);
      waiting.set(address, list);
      const done = () => {
        const rest = (waiting.get(address) ?? []).filter((m) => m !== macs);
        if (rest.length > 0) waiting.set(address, rest);
        else waiting.delete(address);
      };
      try {
        callNative(`ARP probe for ${address} on ${ifname}`, () => loadNative().sendArpProbe(ifname, address));
      } catch (error) {
        done();
        const denied =
          error instanceof SystemCallError && (error.errno === 'EPERM' || error.errno === 'EACCES');
        return Promise.reject(denied ? new ProbeUnavailableError((error as Error).message) : error);
      }
      return new Promise((resolve) => {
        clock.at(clock.nowMs() + PROBE_WINDOW_MS, () => {
          done();
          resolve([...macs].filter((mac) => mac !== own));
        });
      });
    },
  };
}
