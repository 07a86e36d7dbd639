/**
 * UDP_CHECK (keepalived check_udp.c): a datagram with `payload` goes to the server. With
 * require_reply a reply of min_reply_length..max_reply_length bytes must come within
 * connect_timeout; without it only an ICMP port unreachable (ECONNREFUSED) fails the check.
 */
import type { UdpCheck } from '../../config/model.js';
import { udpExchange } from '../../kernel/probe-socket.js';
import { errnoReason, type ProbeFactory } from '../probe.js';
import { probeEndpoint } from './endpoint.js';

/** udpProbe sends once and judges the answer (or its absence). */
export const udpProbe: ProbeFactory<UdpCheck> = (checker, target, env) => {
  const payload = Buffer.from(checker.payload ?? '', 'hex');
  const endpoint = probeEndpoint(checker, target);
  return async () => {
    try {
      const r = await udpExchange(endpoint, payload, checker.connectTimeoutMs, env.clock);
      if (r.reply === undefined)
        return checker.requireReply
          ? { ok: false, reason: 'no reply within connect_timeout' }
          : { ok: true, reason: 'no ICMP error' };
      if (r.reply.length < checker.minReplyLength || r.reply.length > checker.maxReplyLength)
        return { ok: false, reason: `reply data mismatch (${r.reply.length} bytes)` };
      return { ok: true, reason: `reply of ${r.reply.length} bytes` };
    } catch (err) {
      return { ok: false, reason: errnoReason('UDP', err) };
    }
  };
};
