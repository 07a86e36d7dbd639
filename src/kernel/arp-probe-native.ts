/**
 * Duplicate-address ARP probes in-process (the addon's packet sockets, native/src/packet.c), the
 * same probe `arping -D` sends (RFC 5227 2.1.1, sender IP 0.0.0.0) without a process per probe:
 * at 255 instances the split-brain probe (every 2 s per MASTER instance) spawned over a hundred
 * arping processes a second, each spawn blocking the event loop for milliseconds, until the
 * adverts were late and the backup took over. One listener hears every ARP reply; a probe
 * collects the replies for its address during PROBE_WINDOW_MS.
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../util/clock.js';
import type { ArpProber } from './arp-probe.js';
import { callNative, loadNative } from './native.js';

/** PROBE_WINDOW_MS is how long a probe waits for replies, as `arping -w 1`. */
export const PROBE_WINDOW_MS = 1000;

/** nativeArpProber probes through the addon; replies from our own MAC are ignored. */
export function nativeArpProber(clock: Clock): ArpProber {
  const waiting = new Map<string, Set<string>[]>();
  let listening = false;
  const listen = () => {
    if (listening) return;
    callNative('listen for ARP replies', () =>
      loadNative().arpListen((_ifindex, mac, ip) => {
        for (const macs of waiting.get(ip) ?? []) macs.add(mac);
      }),
    );
    listening = true;
  };
  return {
    probe(ifname, address) {
      listen();
      let own = '';
      try {
        own = readFileSync(`/sys/class/net/${ifname}/address`, 'utf8').trim().toLowerCase();
      } catch {
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
        return Promise.reject(error);
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
