/**
 * SMTP_CHECK (keepalived check_smtp.c): connect, a 2xx greeting banner, `HELO helo_name`
 * answered 2xx, then `QUIT`. Each read has connect_timeout.
 */
import type { SmtpCheck } from '../../config/model.js';
import { connectTcp } from '../../kernel/probe-socket.js';
import { errnoReason, type ProbeFactory } from '../probe.js';
import { probeEndpoint } from './endpoint.js';
import { readUntil } from './stream.js';

/** smtpReplyCode returns the code of a complete SMTP reply (last line `NNN `), or undefined while incomplete. */
export function smtpReplyCode(buf: Buffer): number | undefined {
  const lines = buf.toString('latin1').split('\r\n');
  for (const l of lines) if (/^\d{3} /.test(l) || /^\d{3}$/.test(l)) return Number(l.slice(0, 3));
  return undefined;
}

/** smtpProbe runs banner, HELO, QUIT. */
export const smtpProbe: ProbeFactory<SmtpCheck> = (checker, target, env) => async () => {
  let socket: Awaited<ReturnType<typeof connectTcp>> | undefined;
  const read = () =>
    readUntil(socket!, {
      timeoutMs: checker.connectTimeoutMs,
      clock: env.clock,
      maxBytes: 64 * 1024,
      done: (b) => smtpReplyCode(b) !== undefined,
    });
  try {
    socket = await connectTcp(probeEndpoint(checker, target), checker.connectTimeoutMs, env.clock);
    const banner = smtpReplyCode(await read());
    if (banner === undefined || banner < 200 || banner > 299)
      return { ok: false, reason: `Bad greeting banner from server (${banner ?? 'none'})` };
    socket.write(`HELO ${checker.heloName}\r\n`);
    const helo = smtpReplyCode(await read());
    if (helo === undefined || helo < 200 || helo > 299)
      return { ok: false, reason: `Bad HELO response from server (${helo ?? 'none'})` };
    socket.write('QUIT\r\n');
    return { ok: true, reason: `HELO answered ${helo}` };
  } catch (err) {
    return { ok: false, reason: errnoReason('SMTP', err) };
  } finally {
    socket?.destroy();
  }
};
