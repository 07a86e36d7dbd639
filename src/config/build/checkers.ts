/**
 * Real-server health checkers: TCP_CHECK, HTTP_GET / SSL_GET, MISC_CHECK, SMTP_CHECK,
 * DNS_CHECK, UDP_CHECK, PING_CHECK and FILE_CHECK, with keepalived 2.2.7's defaults
 * (keepalived.conf(5) "Virtual server(s)", check/check_*.c): connect_timeout 5 s, retry 1
 * (MISC_CHECK 0, DNS_CHECK 3), delay_before_retry 1 s (HTTP_GET/SSL_GET 3 s, DNS_CHECK the
 * delay_loop), warmup up to delay_loop. Settings written on the virtual or real server are the
 * defaults of its checkers. BFD_CHECK stays `not supported by keepvip` (keywords.ts).
 */
import type { Statement } from '../ast.js';
import type { Checker, CheckerCommon, HttpCheckUrl, HttpGetCheck, MiscCheck, UdpCheck } from '../model.js';
import { UNSUPPORTED_CHECKER } from './keywords.js';
import {
  type BuildContext,
  type Handler,
  parseIpAddress,
  readCommand,
  readInteger,
  readScriptUser,
  notSupported,
  readBool,
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
  httpProtocol?: HttpGetCheck['httpProtocol'];
  enableSni: boolean;
  fastRecovery: boolean;
  heloName?: string;
  dnsType?: string;
  dnsName?: string;
  payload?: string;
  requireReply: boolean;
  minReplyLength?: number;
  maxReplyLength?: number;
  trackFile?: string;
  fileWeight?: { weight: number; reverse: boolean };
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
    d.common.bindIf = w.text;
    // keepalived binds the probe socket to the device (SO_BINDTODEVICE); keepvip only uses the
    // name as the scope of an IPv6 link-local connect_ip, so say so rather than pretend.
    notSupported(
      ctx,
      st.keyword,
      'a checker',
      `the probe is not bound to ${w.text}; the name only scopes an IPv6 link-local connect_ip`,
    );
  },
  fwmark(ctx, st) {
    // SO_MARK on a probe socket needs a setsockopt the kernel seam does not offer yet.
    notSupported(ctx, st.keyword, 'a checker', 'probes leave unmarked');
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
  virtualhost(ctx, st, u) {
    const w = requireArg(ctx, st, 0, 'a host name');
    if (w !== undefined) u.virtualhost = w.text;
  },
  regex(ctx, st, u) {
    const w = requireArg(ctx, st, 0, 'a regular expression');
    if (w === undefined) return;
    try {
      new RegExp(w.text);
      u.regex = { pattern: w.text, noMatch: u.regex?.noMatch ?? false, flags: u.regex?.flags ?? '' };
    } catch (err) {
      ctx.sink.warning(w.pos, 'invalid-value', `regex '${w.text}': ${(err as Error).message}; ignored`);
    }
  },
  regex_no_match(_ctx, _st, u) {
    u.regex = { pattern: u.regex?.pattern ?? '', noMatch: true, flags: u.regex?.flags ?? '' };
  },
  regex_options(ctx, st, u) {
    // PCRE2 options keepalived names; the ones JavaScript has become flags.
    const map: Record<string, string> = { caseless: 'i', multiline: 'm', dotall: 's', unicode: 'u' };
    let flags = '';
    for (const w of st.args) {
      const f = map[w.text];
      if (f === undefined) notSupported(ctx, w, 'regex_options');
      else if (!flags.includes(f)) flags += f;
    }
    u.regex = { pattern: u.regex?.pattern ?? '', noMatch: u.regex?.noMatch ?? false, flags };
  },
  regex_min_offset(ctx, st) {
    notSupported(ctx, st.keyword, 'url');
  },
  regex_max_offset(ctx, st) {
    notSupported(ctx, st.keyword, 'url');
  },
  regex_stack(ctx, st) {
    notSupported(ctx, st.keyword, 'url');
  },
};

const DNS_TYPES = new Set(['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA', 'RRSIG', 'DNSKEY']);

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
  http_protocol(ctx, st, d) {
    const w = requireArg(ctx, st, 0, '1.0, 1.1, 1.0C or 1.0K');
    if (w === undefined) return;
    const v = w.text === '1.0k' ? '1.0K' : w.text === '1.0c' ? '1.0C' : w.text;
    if (v === '1.0' || v === '1.1' || v === '1.0C' || v === '1.0K') d.httpProtocol = v;
    else
      ctx.sink.warning(
        w.pos,
        'invalid-value',
        `http_protocol '${w.text}' is not 1.0, 1.1, 1.0C or 1.0K; using 1.0`,
      );
  },
  enable_sni(ctx, st, d) {
    d.enableSni = readBool(ctx, st);
  },
  fast_recovery(ctx, st, d) {
    d.fastRecovery = readBool(ctx, st);
  },
  tls_compliant(ctx, st) {
    // keepvip always closes TLS with close_notify; the keyword changes nothing.
    notSupported(ctx, st.keyword, 'SSL_GET', 'TLS shutdown is always sent');
  },
  helo_name(ctx, st, d) {
    d.heloName = requireArg(ctx, st, 0, 'a host name')?.text;
  },
  host(ctx, st) {
    notSupported(ctx, st.keyword, 'SMTP_CHECK', 'write one SMTP_CHECK per host');
  },
  type(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'a DNS type');
    if (w === undefined) return;
    const t = w.text.toUpperCase();
    if (DNS_TYPES.has(t)) d.dnsType = t;
    else ctx.sink.warning(w.pos, 'invalid-value', `DNS_CHECK type '${w.text}' unknown; using SOA`);
  },
  name(ctx, st, d) {
    d.dnsName = requireArg(ctx, st, 0, 'a domain name')?.text;
  },
  payload(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'hex bytes');
    if (w === undefined) return;
    const hex = st.args.map((a) => a.text.replace(/^0x/i, '')).join('');
    if (!/^([0-9a-fA-F]{2})*$/.test(hex))
      ctx.sink.warning(w.pos, 'invalid-value', `payload '${w.text}' is not hex bytes; ignored`);
    else d.payload = hex.toLowerCase();
  },
  require_reply(ctx, st, d) {
    d.requireReply = true;
    // keepalived: `require_reply [HEX]`: the reply must start with these bytes. Only presence here.
    if (st.args.length > 0) notSupported(ctx, st.args[0]!, 'require_reply', 'any reply is accepted');
  },
  min_reply_length(ctx, st, d) {
    const n = readInteger(ctx, st, { min: 0, max: 255 }, outOfRange('using 0'));
    if (n !== undefined) d.minReplyLength = n;
  },
  max_reply_length(ctx, st, d) {
    const n = readInteger(ctx, st, { min: 0, max: 255 }, outOfRange('using 255'));
    if (n !== undefined) d.maxReplyLength = n;
  },
  track_file(ctx, st, d) {
    d.trackFile = requireArg(ctx, st, 0, 'a track_file name')?.text;
  },
  weight(ctx, st, d) {
    const n = readInteger(ctx, st, { min: -254, max: 254 }, outOfRange('using the track_file weight'));
    if (n === undefined) return;
    const rev = st.args[1]?.text;
    if (rev !== undefined && rev !== 'reverse' && rev !== 'noreverse')
      ctx.sink.warning(st.args[1]!.pos, 'invalid-value', `unknown weight option '${rev}'; ignored`);
    d.fileWeight = { weight: n, reverse: rev === 'reverse' };
  },
};

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

const tablesByKind = new Map<string, Record<string, Handler<CheckerDraft>>>();

/** OWN_KEYWORDS are the keywords each checker kind has beside the common ones (check_*.c install_keyword). */
const OWN_KEYWORDS: Record<Checker['kind'], string[]> = {
  TCP_CHECK: [],
  HTTP_GET: ['url', 'virtualhost', 'http_protocol', 'fast_recovery'],
  SSL_GET: ['url', 'virtualhost', 'http_protocol', 'fast_recovery', 'enable_sni', 'tls_compliant'],
  MISC_CHECK: ['misc_path', 'misc_timeout', 'misc_dynamic', 'user'],
  SMTP_CHECK: ['helo_name', 'host'],
  DNS_CHECK: ['type', 'name'],
  UDP_CHECK: ['payload', 'require_reply', 'min_reply_length', 'max_reply_length'],
  PING_CHECK: [],
  FILE_CHECK: ['track_file', 'weight'],
};

/** onlyFor limits the handler table to the keywords a checker kind accepts (built once per kind). */
function onlyFor(kind: Checker['kind']): Record<string, Handler<CheckerDraft>> {
  let table = tablesByKind.get(kind);
  if (table === undefined) {
    const own = OWN_KEYWORDS[kind];
    const connection = kind !== 'MISC_CHECK' && kind !== 'FILE_CHECK';
    const connectionKeys = [
      'connect_ip',
      'connect_port',
      'bindto',
      'bind_port',
      'bind_if',
      'connect_timeout',
      'fwmark',
    ];
    table = Object.fromEntries(
      Object.entries(checkerHandlers).filter(([k]) =>
        Object.hasOwn(commonHandlers, k) ? connection || !connectionKeys.includes(k) : own.includes(k),
      ),
    );
    tablesByKind.set(kind, table);
  }
  return table;
}
