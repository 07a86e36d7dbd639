/**
 * The backend pool of an nginx_upstream, described once: its own `server` lines plus the
 * real servers of the virtual_server blocks it names (the same pool IPVS serves in LVS-DR
 * mode). Pure: configuration in, members out.
 */
import type { KeepvipConfig, NginxHealthCheck, NginxUpstream, TcpCheck } from '../config/model.js';
import { ownServerVerdictKey, realServerVerdictKey } from './health.js';
import { hostPort } from './helpers.js';

/** PoolMember is one backend of a pool with the health check that decides whether it is up. */
export interface PoolMember {
  /** key identifies the member for health state: `HOST:PORT#INDEX` (duplicates stay distinct). */
  key: string;
  address: string;
  port: number;
  weight: number;
  maxFails?: number;
  failTimeoutS?: number;
  backup: boolean;
  /** adminDown is `down` written by the operator: rendered down, not checked. */
  adminDown: boolean;
  /** check is undefined when nothing checks this member (it is always up). */
  check?: NginxHealthCheck;
  /** source says where the member was written: `server` or `real_server VIP PORT`. */
  source: string;
  /** verdictKey is the real server whose checker verdict decides this member (src/check/); undefined: never checked. */
  verdictKey?: string;
}

/** fromTcpCheck turns a real_server's TCP_CHECK into the pool's check (fall = retry, as keepalived retries before failing). */
function fromTcpCheck(c: TcpCheck, vsDelayLoopMs: number): NginxHealthCheck {
  return {
    kind: 'tcp',
    intervalMs: c.delayLoopMs ?? vsDelayLoopMs,
    timeoutMs: c.connectTimeoutMs,
    fall: Math.max(1, c.retry),
    rise: 1,
    ...(c.connectIp === undefined ? {} : { connectIp: c.connectIp }),
    ...(c.connectPort === undefined ? {} : { connectPort: c.connectPort }),
  };
}

/** resolvePool lists an upstream's members in a stable order: its `server` lines, then each virtual_server's real servers. */
export function resolvePool(up: NginxUpstream, config: Pick<KeepvipConfig, 'virtualServers'>): PoolMember[] {
  const members: PoolMember[] = [];
  const add = (m: Omit<PoolMember, 'key'>) => {
    members.push({ ...m, key: `${hostPort(m.address, m.port)}#${members.length}` });
  };
  for (const s of up.servers) {
    add({
      address: s.address,
      port: s.port,
      weight: s.weight,
      ...(s.maxFails === undefined ? {} : { maxFails: s.maxFails }),
      ...(s.failTimeoutS === undefined ? {} : { failTimeoutS: s.failTimeoutS }),
      backup: s.backup,
      adminDown: s.down,
      ...(s.down ? {} : withCheck(up.healthCheck)),
      ...(s.down ? {} : withKey(ownServerVerdictKey(up, s.address, s.port))),
      source: 'server',
    });
  }
  for (const ref of up.fromVirtualServers) {
    const vs = config.virtualServers.find((v) => v.address === ref.address && v.port === ref.port);
    for (const rs of vs?.realServers ?? []) {
      // The real server's verdict (all its checkers, src/check/) decides through verdictKey; a
      // real server without checkers falls back to the block's health_check. `check` describes
      // a TCP check for status output only.
      const tcp = rs.checkers.find((c): c is TcpCheck => c.kind === 'TCP_CHECK');
      const check = tcp ? fromTcpCheck(tcp, vs!.delayLoopMs) : up.healthCheck;
      add({
        address: rs.address,
        port: rs.port,
        // IPVS weight 0 means "no new connections", which is nginx's `down`.
        weight: Math.max(1, rs.weight),
        backup: false,
        adminDown: rs.weight === 0,
        ...(rs.weight === 0 ? {} : withCheck(check)),
        ...(rs.weight === 0 ? {} : withKey(realServerVerdictKey(up, vs!, rs))),
        source: `real_server of virtual_server ${hostPort(ref.address, ref.port)}`,
      });
    }
  }
  return members;
}

function withKey(verdictKey: string | undefined): { verdictKey?: string } {
  return verdictKey === undefined ? {} : { verdictKey };
}

function withCheck(check: NginxHealthCheck | undefined): { check?: NginxHealthCheck } {
  return check === undefined ? {} : { check };
}
