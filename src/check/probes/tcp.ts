/** TCP_CHECK (keepalived check_tcp.c): the connect succeeds within connect_timeout; the socket is closed at once. */
import type { Socket } from 'node:net';
import type { TcpCheck } from '../../config/model.js';
import { connectTcp } from '../../kernel/probe-socket.js';
import { errnoReason, type ProbeFactory, type ProbeResult } from '../probe.js';
import { probeEndpoint } from './endpoint.js';

const CONNECTED: ProbeResult = Object.freeze({ ok: true, reason: 'connected' });

function connected(s: Socket): ProbeResult {
  s.destroy();
  return CONNECTED;
}

function failed(err: unknown): ProbeResult {
  return { ok: false, reason: errnoReason('TCP connection', err) };
}

/** tcpProbe connects and closes; the run is one promise with no closure of its own (12,000 a second in bench/checkers.ts). */
export const tcpProbe: ProbeFactory<TcpCheck> = (checker, target, env) => {
  const endpoint = probeEndpoint(checker, target);
  return (nowMs) => connectTcp(endpoint, checker.connectTimeoutMs, env.clock, nowMs).then(connected, failed);
};
