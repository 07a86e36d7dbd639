/**
 * Real-server health checkers: TCP_CHECK, HTTP_GET / SSL_GET, MISC_CHECK, with keepalived
 * 2.2.7's defaults (keepalived.conf(5) "Virtual server(s)"): connect_timeout 5 s, retry 1
 * (MISC_CHECK 0), delay_before_retry 1 s (HTTP_GET/SSL_GET 3 s), warmup up to delay_loop.
 * Settings written on the virtual or real server are the defaults of its checkers.
 */
import type { Statement } from '../ast.js';
import type { Checker, CheckerCommon, HttpCheckUrl, HttpGetCheck, MiscCheck } from '../model.js';
import { UNSUPPORTED_CHECKER } from './keywords.js';
import {
  type BuildContext,
  type Handler,
  parseIpAddress,
  readCommand,
  readInteger,
  readScriptUser,
  readSecondsMs,
  requireArg,
  walkBlock,
  outOfRange,
} from './values.js';

/** CheckerDefaults are checker settings inherited from the virtual_server / real_server. */
export interface CheckerDefaults {
  connectTimeoutMs?: number;
  retry?: number;
  delayBeforeRetryMs?: number;
  warmupMs?: number;
  delayLoopMs: number;
}

/** CheckerDraft is a checker while it is read; unset values take the inherited defaults. */
interface CheckerDraft {
  common: Partial<Omit<CheckerCommon, 'pos'>>;
  urls: HttpCheckUrl[];
  virtualhost?: string;
  miscPath?: string;
  miscTimeoutMs?: number;
  miscDynamic: boolean;
  user?: MiscCheck['user'];
}

const TIME_RANGE = { minS: 0, maxS: 86_400 };
const POSITIVE_TIME = { minS: 0.000001, maxS: 86_400 };

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

/** readStatusCodes reads `status_code 200 [201-204 ...]`. */
function readStatusCodes(ctx: BuildContext, st: Statement): number[] {
  const codes: number[] = [];
  for (const w of st.args) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(w.text);
    const lo = Number(m?.[1]);
    const hi = m?.[2] === undefined ? lo : Number(m[2]);
    if (!m || lo < 100 || hi > 599 || hi < lo) {
      ctx.sink.warning(
        w.pos,
        'invalid-value',
        `status_code '${w.text}' is not an HTTP status code (100..599) or range; ignored`,
      );
      continue;
    }
    for (let c = lo; c <= hi; c++) codes.push(c);
  }
  return codes;
}

const urlHandlers: Record<string, Handler<HttpCheckUrl>> = {
  path(ctx, st, u) {
    const w = requireArg(ctx, st, 0, 'a path');
    if (w !== undefined) u.path = w.text;
  },
  digest(ctx, st, u) {
    const w = requireArg(ctx, st, 0, 'an MD5 digest');
    if (w === undefined) return;
    if (!/^[0-9a-fA-F]{32}$/.test(w.text))
      ctx.sink.warning(w.pos, 'invalid-value', `digest '${w.text}' is not 32 hex digits; ignored`);
    else u.digest = w.text.toLowerCase();
  },
  status_code(ctx, st, u) {
    u.statusCodes.push(...readStatusCodes(ctx, st));
  },
};

const checkerHandlers: Record<string, Handler<CheckerDraft>> = {
  ...(commonHandlers as Record<string, Handler<CheckerDraft>>),
  url(ctx, st, d) {
    const url: HttpCheckUrl = { path: '', statusCodes: [] };
    walkBlock(ctx, st.block, urlHandlers, url, 'url');
    if (url.path === '') ctx.sink.warning(st.keyword.pos, 'url-no-path', 'url without path; url ignored');
    else d.urls.push(url);
  },
  virtualhost(ctx, st, d) {
    d.virtualhost = requireArg(ctx, st, 0, 'a host name')?.text;
  },
  misc_path(ctx, st, d) {
    d.miscPath = readCommand(ctx, st);
  },
  misc_timeout(ctx, st, d) {
    const ms = readSecondsMs(ctx, st, POSITIVE_TIME, outOfRange('using the delay_loop'));
    if (ms !== undefined) d.miscTimeoutMs = ms;
  },
  misc_dynamic(_ctx, _st, d) {
    d.miscDynamic = true;
  },
  user(ctx, st, d) {
    if (requireArg(ctx, st, 0, 'a user name') !== undefined) d.user = readScriptUser(st, 0);
  },
};

/** CHECKER_KINDS are the checker blocks keepvip implements. */
export const CHECKER_KINDS: ReadonlySet<string> = new Set(['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'MISC_CHECK']);

/** buildChecker reads one checker block; undefined when keepalived would drop it (or crash on it). */
export function buildChecker(
  ctx: BuildContext,
  st: Statement,
  inherited: CheckerDefaults,
): Checker | undefined {
  const kind = st.keyword.text as Checker['kind'];
  const d: CheckerDraft = { common: {}, urls: [], miscDynamic: false };
  walkBlock(ctx, st.block, onlyFor(kind), d, kind, UNSUPPORTED_CHECKER);
  const c = d.common;
  const isHttp = kind === 'HTTP_GET' || kind === 'SSL_GET';
  const delayLoopMs = c.delayLoopMs ?? inherited.delayLoopMs;
  const common: CheckerCommon = {
    connectTimeoutMs: c.connectTimeoutMs ?? inherited.connectTimeoutMs ?? 5000,
    retry: c.retry ?? inherited.retry ?? (kind === 'MISC_CHECK' ? 0 : 1),
    delayBeforeRetryMs: c.delayBeforeRetryMs ?? inherited.delayBeforeRetryMs ?? (isHttp ? 3000 : 1000),
    warmupMs: c.warmupMs ?? inherited.warmupMs ?? delayLoopMs,
    delayLoopMs,
    pos: st.keyword.pos,
  };
  if (c.connectIp !== undefined) common.connectIp = c.connectIp;
  if (c.connectPort !== undefined) common.connectPort = c.connectPort;
  if (c.bindTo !== undefined) common.bindTo = c.bindTo;
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
      const check: HttpGetCheck = { kind, ...common, urls: d.urls };
      if (d.virtualhost !== undefined) check.virtualhost = d.virtualhost;
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
  }
}

const tablesByKind = new Map<string, Record<string, Handler<CheckerDraft>>>();

/** onlyFor limits the handler table to the keywords a checker kind accepts (built once per kind). */
function onlyFor(kind: Checker['kind']): Record<string, Handler<CheckerDraft>> {
  let table = tablesByKind.get(kind);
  if (table === undefined) {
    const http = ['url', 'virtualhost'];
    const misc = ['misc_path', 'misc_timeout', 'misc_dynamic', 'user'];
    const drop = kind === 'MISC_CHECK' ? http : kind === 'TCP_CHECK' ? [...http, ...misc] : misc;
    table = Object.fromEntries(Object.entries(checkerHandlers).filter(([k]) => !drop.includes(k)));
    tablesByKind.set(kind, table);
  }
  return table;
}
