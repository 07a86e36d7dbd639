/**
 * lvsViewOf turns the LVS part's status (src/lvs/status.ts, `DaemonLvs.status()`) into the view
 * control/ renders: services parsed from their keys (`inet tcp [10.0.0.1]:80`, `inet fwmark 7`),
 * each destination with the verdict of its real server and each service with its quorum.
 */
import type { IpvsForward, IpvsProtocol } from '../kernel/ipvs/types.js';
import type { LvsServiceStatus, LvsStatus, LvsVirtualServerStatus } from '../lvs/status.js';
import { type LvsServiceView, type LvsView, NO_IPVS } from './lvs-view.js';

const SERVICE_KEY = /^(inet6?) (?:fwmark (\d+)|(tcp|udp|sctp) \[([^\]]+)\]:(\d+))$/;

function serviceView(
  vs: LvsVirtualServerStatus,
  s: LvsServiceStatus,
  suspended: ReadonlySet<string>,
): LvsServiceView | undefined {
  const m = SERVICE_KEY.exec(s.key);
  if (!m) return undefined;
  const family = m[1] as 'inet' | 'inet6';
  const verdicts = new Map(vs.realServers.map((r) => [`[${r.address}]:${r.port}`, r]));
  return {
    family,
    ...(m[2] !== undefined
      ? { fwmark: Number(m[2]) }
      : { protocol: m[3] as IpvsProtocol, address: m[4], port: Number(m[5]) }),
    schedName: s.scheduler,
    ...(s.counters ? { stats: s.counters } : {}),
    quorumUp: vs.quorum.up,
    virtualServer: vs.key,
    ...(vs.name !== undefined ? { name: vs.name } : {}),
    ...(suspended.has(vs.key) ? { haSuspended: true } : {}),
    destinations: s.destinations.map((d) => {
      const v = verdicts.get(`[${d.address}]:${d.port}`);
      return {
        address: d.address,
        port: d.port,
        family: d.address.includes(':') ? 'inet6' : 'inet',
        forward: d.forward as IpvsForward,
        weight: d.weight,
        activeConns: d.activeConns ?? 0,
        inactConns: d.inactConns ?? 0,
        ...(d.counters ? { stats: d.counters } : {}),
        ...(v ? { alive: v.alive, reason: v.reason } : {}),
        ...(v?.name !== undefined ? { name: v.name } : {}),
      };
    }),
  };
}

/** lvsViewOf converts the `lvs` section of the status document; undefined or not-configured is NO_IPVS. */
export function lvsViewOf(status: LvsStatus | undefined): LvsView {
  if (!status || status.state === 'not-configured') return NO_IPVS;
  const suspended = new Set(status.haSuspended ?? []);
  const services = status.virtualServers.flatMap((vs) =>
    vs.services.map((s) => serviceView(vs, s, suspended)).filter((s): s is LvsServiceView => s !== undefined),
  );
  return {
    programmed: status.state === 'programmed',
    ...(status.state !== 'programmed' ? { reason: status.reason ?? status.state } : {}),
    services,
  };
}
