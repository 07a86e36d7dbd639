/**
 * Pool members and their health → the context a template renders. Pure. A member that a
 * health check found down is rendered with `down` (down_servers mark, the default: nginx keeps
 * the server's place, so the hash of `hash`/`ip_hash` balancing does not reshuffle) or left out
 * (down_servers omit). nginx refuses an upstream without servers, so when omitting would leave
 * none, the members stay, marked down.
 */
import type { NginxUpstream } from '../config/model.js';
import { hostPort } from './helpers.js';
import type { PoolMember } from './pool.js';

/** RenderedServer is one `server` line as templates see it. */
export interface RenderedServer {
  address: string;
  port: number;
  /** endpoint is `address:port` with IPv6 in brackets. */
  endpoint: string;
  weight: number;
  maxFails?: number;
  failTimeoutS?: number;
  backup: boolean;
  /** down is true for operator `down` and for members found down. */
  down: boolean;
  /** checkedDown is true when a health check (not the operator) took the member out. */
  checkedDown: boolean;
  source: string;
}

/** UpstreamContext is the whole context of an nginx upstream template (documented in templates/README.md). */
export interface UpstreamContext {
  name: string;
  listen: string[];
  serverName?: string;
  servers: RenderedServer[];
  upCount: number;
  downCount: number;
  omittedCount: number;
  /** source is the keepalived.conf that defines the block. */
  source: string;
}

/** HealthView says whether a member is up; members without an entry are up. */
export type HealthView = ReadonlyMap<string, boolean>;

/** upstreamContext builds the template context of one upstream from its members and their health. */
export function upstreamContext(
  up: NginxUpstream,
  members: readonly PoolMember[],
  health: HealthView,
): UpstreamContext {
  const all = members.map((m): RenderedServer => {
    const checkedDown = !m.adminDown && health.get(m.key) === false;
    return {
      address: m.address,
      port: m.port,
      endpoint: hostPort(m.address, m.port),
      weight: m.weight,
      ...(m.maxFails === undefined ? {} : { maxFails: m.maxFails }),
      ...(m.failTimeoutS === undefined ? {} : { failTimeoutS: m.failTimeoutS }),
      backup: m.backup,
      down: m.adminDown || checkedDown,
      checkedDown,
      source: m.source,
    };
  });
  let servers = all;
  if (up.downServers === 'omit') {
    const kept = all.filter((s) => !s.checkedDown);
    if (kept.length > 0) servers = kept;
  }
  const downCount = all.filter((s) => s.down).length;
  return {
    name: up.name,
    listen: up.listen,
    ...(up.serverName === undefined ? {} : { serverName: up.serverName }),
    servers,
    upCount: all.length - downCount,
    downCount,
    omittedCount: all.length - servers.length,
    source: up.pos.file,
  };
}
