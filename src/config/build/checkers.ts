/**
 * Real-server health checkers: TCP_CHECK, HTTP_GET / SSL_GET, MISC_CHECK, SMTP_CHECK,
 * DNS_CHECK, UDP_CHECK, PING_CHECK and FILE_CHECK, with keepalived 2.2.7's defaults
 * (keepalived.conf(5) "Virtual server(s)", check/check_*.c): connect_timeout 5 s, retry 1
 * (MISC_CHECK 0, DNS_CHECK 3), delay_before_retry 1 s (HTTP_GET/SSL_GET 3 s, DNS_CHECK the
 * delay_loop), warmup up to delay_loop. Settings written on the virtual or real server are the
 * defaults of its checkers (checker-common.ts); each kind's own keywords are checker-kinds.ts,
 * the url block checker-url.ts. BFD_CHECK stays `not supported by keepvip` (keywords.ts).
 */
import type { Statement } from '../ast.js';
import type { Checker, CheckerCommon, HttpGetCheck, MiscCheck, UdpCheck } from '../model.js';
import type { CheckerDefaults } from './checker-common.js';
import { type CheckerDraft, onlyFor } from './checker-kinds.js';
import { UNSUPPORTED_CHECKER } from './keywords.js';
import { type BuildContext, walkBlock } from './values.js';

export { type CheckerDefaults, commonHandlers } from './checker-common.js';

/** CHECKER_KINDS are the checker blocks keepvip implements. */
export const CHECKER_KINDS: ReadonlySet<string> = new Set([
  'TCP_CHECK',
  'HTTP_GET',
  'SSL_GET',
  'MISC_CHECK',
  'SMTP_CHECK',
  'DNS_CHECK',
  'UDP_CHECK',
  'PING_CHECK',
  'FILE_CHECK',
]);

/** buildChecker reads one checker block; undefined when keepalived would drop it (or crash on it). */
export function buildChecker(
  ctx: BuildContext,
  st: Statement,
  inherited: CheckerDefaults,
): Checker | undefined {
  const kind = st.keyword.text as Checker['kind'];
  const d: CheckerDraft = {
    common: {},
    urls: [],
    miscDynamic: false,
    enableSni: false,
    fastRecovery: false,
    requireReply: false,
  };
  walkBlock(ctx, st.block, onlyFor(kind), d, kind, UNSUPPORTED_CHECKER);
  const c = d.common;
  const isHttp = kind === 'HTTP_GET' || kind === 'SSL_GET';
  const delayLoopMs = c.delayLoopMs ?? inherited.delayLoopMs;
  const common: CheckerCommon = {
    connectTimeoutMs: c.connectTimeoutMs ?? inherited.connectTimeoutMs ?? 5000,
    retry: c.retry ?? inherited.retry ?? (kind === 'MISC_CHECK' ? 0 : kind === 'DNS_CHECK' ? 3 : 1),
    delayBeforeRetryMs:
      c.delayBeforeRetryMs ??
      inherited.delayBeforeRetryMs ??
      (isHttp ? 3000 : kind === 'DNS_CHECK' ? delayLoopMs : 1000),
    warmupMs: c.warmupMs ?? inherited.warmupMs ?? delayLoopMs,
    delayLoopMs,
    pos: st.keyword.pos,
  };
  if (c.connectIp !== undefined) common.connectIp = c.connectIp;
  if (c.connectPort !== undefined) common.connectPort = c.connectPort;
  if (c.bindTo !== undefined) common.bindTo = c.bindTo;
  if (c.bindPort !== undefined) common.bindPort = c.bindPort;
  if (c.bindIf !== undefined) common.bindIf = c.bindIf;
  if (c.fwmark !== undefined) common.fwmark = c.fwmark;
  if (c.alpha !== undefined) common.alpha = c.alpha;
  if (c.logAllFailures !== undefined) common.logAllFailures = c.logAllFailures;
  switch (kind) {
    case 'TCP_CHECK':
      return { kind, ...common };
    case 'HTTP_GET':
    case 'SSL_GET': {
      if (d.urls.length === 0) {
        // keepalived 2.2.7 logs "HTTP/SSL_GET checker has no urls specified - ignoring" and then
        // its checker process dies with SIGSEGV, so this cannot run.
        ctx.sink.error(st.keyword.pos, 'http-no-url', `${kind} has no url { path ... } block`);
        return undefined;
      }
      const check: HttpGetCheck = {
        kind,
        ...common,
        urls: d.urls.filter((u) => u.regex === undefined || u.regex.pattern !== ''),
        httpProtocol: d.httpProtocol ?? '1.0',
        enableSni: d.enableSni,
        fastRecovery: d.fastRecovery,
      };
      // keepalived check_http.c: the url's virtualhost, else the checker's, the real server's, the virtual server's.
      const virtualhost = d.virtualhost ?? inherited.virtualhost;
      if (virtualhost !== undefined) check.virtualhost = virtualhost;
      return check;
    }
    case 'MISC_CHECK': {
      if (d.miscPath === undefined) {
        ctx.sink.warning(
          st.keyword.pos,
          'misc-no-path',
          'MISC_CHECK has no misc_path; checker skipped (as keepalived does)',
        );
        return undefined;
      }
      const check: MiscCheck = {
        kind,
        ...common,
        miscPath: d.miscPath,
        miscTimeoutMs: d.miscTimeoutMs ?? delayLoopMs,
        miscDynamic: d.miscDynamic,
      };
      if (d.user !== undefined) check.user = d.user;
      return check;
    }
    case 'SMTP_CHECK':
      return { kind, ...common, heloName: d.heloName ?? 'smtpchecker.keepalived.org' };
    case 'DNS_CHECK':
      return { kind, ...common, type: d.dnsType ?? 'SOA', name: d.dnsName ?? '.' };
    case 'UDP_CHECK': {
      const check: UdpCheck = {
        kind,
        ...common,
        requireReply: d.requireReply,
        minReplyLength: d.minReplyLength ?? 0,
        maxReplyLength: d.maxReplyLength ?? 255,
      };
      if (d.payload !== undefined) check.payload = d.payload;
      return check;
    }
    case 'PING_CHECK':
      return { kind, ...common };
    case 'FILE_CHECK': {
      if (d.trackFile === undefined) {
        // keepalived: "FILE_CHECK has no track_file specified - ignoring"
        ctx.sink.warning(st.keyword.pos, 'file-no-track', 'FILE_CHECK has no track_file; checker ignored');
        return undefined;
      }
      return {
        kind,
        ...common,
        trackFile: d.trackFile,
        ...(d.fileWeight === undefined
          ? {}
          : { weight: d.fileWeight.weight, weightReverse: d.fileWeight.reverse }),
      };
    }
  }
}
