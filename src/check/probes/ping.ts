/** PING_CHECK (keepalived check_ping.c): an ICMP / ICMPv6 echo to connect_ip (or the real server) answered within connect_timeout. */
import type { PingCheck } from '../../config/model.js';
import { errnoReason, type ProbeFactory } from '../probe.js';

/** pingProbe pings once through the shared pinger. */
export const pingProbe: ProbeFactory<PingCheck> = (checker, target, env) => async () => {
  try {
    await env.ping(target.address, checker.connectTimeoutMs);
    return { ok: true, reason: 'echo reply' };
  } catch (err) {
    return { ok: false, reason: errnoReason('ICMP echo', err) };
  }
};
