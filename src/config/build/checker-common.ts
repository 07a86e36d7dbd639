/**
 * The settings every checker has, which a virtual_server or real_server block may also write
 * as the defaults of its checkers: the probe socket (connect_ip, connect_port, bindto,
 * bind_port, bind_if, fwmark) and keepalived's timing (connect_timeout, retry / 1.x
 * nb_get_retry, delay_before_retry, warmup, delay_loop, alpha, log_all_failures).
 */
import type { CheckerCommon } from '../model.js';
import {
  type Handler,
  outOfRange,
  parseIpAddress,
  readBool,
  readInteger,
  readSecondsMs,
  requireArg,
} from './values.js';

/** CheckerDefaults are checker settings inherited from the virtual_server / real_server. */
export interface CheckerDefaults {
  connectTimeoutMs?: number;
  retry?: number;
  delayBeforeRetryMs?: number;
  warmupMs?: number;
  delayLoopMs: number;
  /** virtualhost is the Host header of HTTP_GET / SSL_GET (a real_server's, else its virtual_server's). */
  virtualhost?: string;
}

/** TIME_RANGE bounds a checker time that may be 0. */
export const TIME_RANGE = { minS: 0, maxS: 86_400 };
/** POSITIVE_TIME bounds a checker time that must be above 0. */
export const POSITIVE_TIME = { minS: 0.000001, maxS: 86_400 };

/** commonHandlers are the settings every checker (and, as defaults, every virtual/real server) has. */
export const commonHandlers: Record<string, Handler<{ common: Partial<Omit<CheckerCommon, 'pos'>> }>> = {
  connect_ip(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'an address');
    if (w === undefined) return;
    const ip = parseIpAddress(w.text);
    if (ip === undefined)
      ctx.sink.warning(w.pos, 'invalid-address', `connect_ip '${w.text}' is not an IP address; ignored`);
    else d.common.connectIp = ip.address;
  },
  connect_port(ctx, st, d) {
    // keepalived: "Invalid checker connect_port 'X'"
    const n = readInteger(
      ctx,
      st,
      { min: 1, max: 65_535 },
      { severity: 'warning', code: 'port-range', fallback: 'using the real server port' },
    );
    if (n !== undefined) d.common.connectPort = n;
  },
  bindto(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'an address');
    if (w === undefined) return;
    const ip = parseIpAddress(w.text);
    if (ip === undefined)
      ctx.sink.warning(w.pos, 'invalid-address', `bindto '${w.text}' is not an IP address; ignored`);
    else d.common.bindTo = ip.address;
  },
  bind_port(ctx, st, d) {
    const n = readInteger(
      ctx,
      st,
      { min: 1, max: 65_535 },
      { severity: 'warning', code: 'port-range', fallback: 'no source port' },
    );
    if (n !== undefined) d.common.bindPort = n;
  },
  bind_if(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'an interface name');
    if (w === undefined) return;
    // SO_BINDTODEVICE on the probe socket, as keepalived; the name also scopes an IPv6
    // link-local connect_ip. Linux names are at most 15 bytes (IFNAMSIZ - 1).
    if (Buffer.byteLength(w.text) > 15)
      ctx.sink.warning(w.pos, 'invalid-value', `bind_if '${w.text}' is longer than 15 bytes; ignored`);
    else d.common.bindIf = w.text;
  },
  fwmark(ctx, st, d) {
    // SO_MARK on the probe socket, as keepalived ("Invalid fwmark connection value").
    const n = readInteger(ctx, st, { min: 1, max: 2 ** 32 - 1 }, outOfRange('probes leave unmarked'));
    if (n !== undefined) d.common.fwmark = n;
  },
  alpha(ctx, st, d) {
    d.common.alpha = readBool(ctx, st);
  },
  log_all_failures(ctx, st, d) {
    d.common.logAllFailures = readBool(ctx, st);
  },
  connect_timeout(ctx, st, d) {
    const ms = readSecondsMs(ctx, st, POSITIVE_TIME, outOfRange('using the default'));
    if (ms !== undefined) d.common.connectTimeoutMs = ms;
  },
  retry(ctx, st, d) {
    const n = readInteger(ctx, st, { min: 0, max: 2 ** 31 - 1 }, outOfRange('using the default'));
    if (n !== undefined) d.common.retry = n;
  },
  nb_get_retry(ctx, st, d) {
    // keepalived 1.x name; 2.2.7 says "Unknown keyword 'nb_get_retry'" and ignores it, which
    // silently changes the retry count. keepvip keeps the 1.x meaning and says so.
    ctx.sink.warning(
      st.keyword.pos,
      'deprecated-keyword',
      `nb_get_retry is the keepalived 1.x name of 'retry' (keepalived 2.2.7 rejects it); read as 'retry ${st.args[0]?.text ?? ''}'`,
    );
    commonHandlers.retry!(ctx, st, d);
  },
  delay_before_retry(ctx, st, d) {
    const ms = readSecondsMs(ctx, st, TIME_RANGE, outOfRange('using the default'));
    if (ms !== undefined) d.common.delayBeforeRetryMs = ms;
  },
  warmup(ctx, st, d) {
    const ms = readSecondsMs(ctx, st, TIME_RANGE, outOfRange('using the delay_loop'));
    if (ms !== undefined) d.common.warmupMs = ms;
  },
  delay_loop(ctx, st, d) {
    const ms = readSecondsMs(ctx, st, POSITIVE_TIME, outOfRange('using the virtual server delay_loop'));
    if (ms !== undefined) d.common.delayLoopMs = ms;
  },
};
