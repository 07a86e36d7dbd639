/**
 * Health of pool members comes from the checkers (src/check/): one verdict per real server.
 * A member taken from a virtual_server whose real server has checkers follows that real
 * server's verdict (HTTP_GET, MISC_CHECK... whatever it has). A member checked by the block's
 * own `health_check tcp { interval timeout fall rise port }` becomes a real server of a
 * per-upstream pseudo virtual server (`[nginx_upstream NAME]:tcp:0`) with one TCP_CHECK:
 * interval = delay_loop, timeout = connect_timeout, fall N = retry N-1 (keepalived counts the
 * first failure plus `retry` retries), rise N = N successes in a row (check/checker-state.ts),
 * so both kinds run in the one scheduler. Members start up (keepalived's real servers start
 * alive unless `alpha`).
 */
import { type CheckerState, type CheckerTiming, countResult } from '../check/checker-state.js';
import { realServerKey } from '../check/verdict.js';
import type {
  KeepvipConfig,
  NginxHealthCheck,
  NginxUpstream,
  RealServer,
  TcpCheck,
  VirtualServer,
} from '../config/model.js';

/** pseudoVirtualServer is the virtual server that carries an upstream's health_check members (address `nginx_upstream NAME`). */
export function pseudoVirtualServer(up: NginxUpstream, check: NginxHealthCheck): VirtualServer {
  return {
    address: `nginx_upstream ${up.name}`,
    port: 0,
    family: 'inet',
    delayLoopMs: check.intervalMs,
    lbAlgo: 'rr',
    lbKind: 'NAT',
    schedFlags: [],
    protocol: 'TCP',
    quorum: 1,
    hysteresis: 0,
    alpha: false,
    omega: false,
    inhibitOnFailure: false,
    haSuspend: false,
    realServers: [],
    pos: up.pos,
  };
}

/** healthTcpCheck turns a `health_check tcp` into the TCP_CHECK the scheduler runs. */
export function healthTcpCheck(check: NginxHealthCheck, up: NginxUpstream): TcpCheck {
  return {
    kind: 'TCP_CHECK',
    connectTimeoutMs: check.timeoutMs,
    retry: Math.max(0, check.fall - 1),
    delayBeforeRetryMs: check.intervalMs,
    warmupMs: Math.min(check.intervalMs, 1000),
    delayLoopMs: check.intervalMs,
    ...(check.rise > 1 ? { rise: check.rise } : {}),
    ...(check.connectIp === undefined ? {} : { connectIp: check.connectIp }),
    ...(check.connectPort === undefined ? {} : { connectPort: check.connectPort }),
    pos: up.pos,
  };
}

function pseudoRealServer(address: string, port: number, check: TcpCheck, up: NginxUpstream): RealServer {
  return {
    address,
    family: address.includes(':') ? 'inet6' : 'inet',
    port,
    weight: 1,
    forward: 'NAT',
    uThreshold: 0,
    lThreshold: 0,
    inhibitOnFailure: false,
    alpha: false,
    checkers: [check],
    pos: up.pos,
  };
}

/** upstreamHealthServers lists, per upstream with a health_check, its pseudo virtual server with the members it checks. */
export function upstreamHealthServers(
  config: Pick<KeepvipConfig, 'nginxUpstreams' | 'virtualServers'>,
): VirtualServer[] {
  const out: VirtualServer[] = [];
  for (const up of config.nginxUpstreams) {
    const hc = up.healthCheck;
    if (hc === undefined) continue;
    const vs = pseudoVirtualServer(up, hc);
    const check = healthTcpCheck(hc, up);
    const seen = new Set<string>();
    const add = (address: string, port: number) => {
      const k = `${address}|${port}`;
      if (seen.has(k)) return;
      seen.add(k);
      vs.realServers.push(pseudoRealServer(address, port, check, up));
    };
    for (const s of up.servers) if (!s.down) add(s.address, s.port);
    for (const ref of up.fromVirtualServers) {
      const real = config.virtualServers.find((v) => v.address === ref.address && v.port === ref.port);
      for (const rs of real?.realServers ?? [])
        if (rs.checkers.length === 0 && rs.weight > 0) add(rs.address, rs.port);
    }
    if (vs.realServers.length > 0) out.push(vs);
  }
  return out;
}

/** withUpstreamHealth is the configuration the checker scheduler runs: the virtual servers plus the upstreams' pseudo ones. */
export function withUpstreamHealth(config: KeepvipConfig): KeepvipConfig {
  const extra = upstreamHealthServers(config);
  return extra.length === 0 ? config : { ...config, virtualServers: [...config.virtualServers, ...extra] };
}

/** ownServerVerdictKey is the verdict key of an upstream's own server checked by its health_check. */
export function ownServerVerdictKey(up: NginxUpstream, address: string, port: number): string | undefined {
  if (up.healthCheck === undefined) return undefined;
  return realServerKey(pseudoVirtualServer(up, up.healthCheck), { address, port });
}

/** realServerVerdictKey is the verdict key of a member taken from a virtual_server's real server. */
export function realServerVerdictKey(
  up: NginxUpstream,
  vs: VirtualServer,
  rs: RealServer,
): string | undefined {
  if (rs.checkers.length > 0) return realServerKey(vs, rs);
  return ownServerVerdictKey(up, rs.address, rs.port);
}

/** MemberHealth is the counting state of one member under fall/rise (the scheduler's checker state). */
export interface MemberHealth {
  up: boolean;
  state: CheckerState;
}

/** INITIAL_HEALTH is where every member starts: up, as a checker that has run and succeeded. */
export const INITIAL_HEALTH: MemberHealth = {
  up: true,
  state: { isUp: true, hasRun: true, retryIt: 0, knownFailure: false },
};

/** recordCheck folds one result into a member's health with the scheduler's rule for `fall`/`rise`; `changed` on a flip. */
export function recordCheck(
  h: MemberHealth,
  ok: boolean,
  check: Pick<NginxHealthCheck, 'fall' | 'rise'>,
): { health: MemberHealth; changed: boolean } {
  const timing: CheckerTiming = {
    retry: Math.max(0, check.fall - 1),
    delayLoopMs: 0,
    delayBeforeRetryMs: 0,
    retryWhileDown: true,
    fastRecovery: false,
    rise: check.rise,
  };
  const step = countResult(h.state, ok, timing);
  return { health: { up: step.state.isUp, state: step.state }, changed: step.state.isUp !== h.up };
}
