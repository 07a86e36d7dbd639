import { type Prober, startProber } from '../../bench/lib/prober.js';
import type { Topology } from './topology.js';

/** startClientProber probes `http://ADDRESS:port/` from the topology's client namespace. */
export function startClientProber(
  topo: Topology,
  address: string,
  options: { intervalMs?: number; timeoutMs?: number; port?: number } = {},
): Promise<Prober> {
  if (!topo.client) throw new Error(`topology ${topo.prefix} has no client namespace`);
  const host = address.includes(':') ? `[${address}]` : address;
  return startProber({
    netns: topo.client.netns,
    url: `http://${host}${options.port ? `:${options.port}` : ''}/`,
    intervalMs: options.intervalMs,
    timeoutMs: options.timeoutMs,
  });
}
