/** TCP_CHECK (keepalived check_tcp.c): the connect succeeds within connect_timeout; the socket is closed at once. */
import type { TcpCheck } from '../../config/model.js';
import { connectTcp } from '../../kernel/probe-socket.js';
import { errnoReason, type ProbeFactory } from '../probe.js';

/** tcpProbe connects and closes. */
export const tcpProbe: ProbeFactory<TcpCheck> = (checker, target, env) => async () => {
  try {
    const s = await connectTcp(target, checker.connectTimeoutMs, env.clock);
    s.destroy();
    return { ok: true, reason: 'connected' };
  } catch (err) {
    return { ok: false, reason: errnoReason('TCP connection', err) };
  }
};
