/**
 * The keywords each checker kind has beside the common ones (keepalived check_*.c
 * install_keyword): a checker block is read with the table of its kind only, so a keyword of
 * another kind is reported as unknown there, as keepalived does.
 */
import type { Checker, CheckerCommon, HttpCheckUrl, HttpGetCheck, MiscCheck } from '../model.js';
import { commonHandlers, POSITIVE_TIME } from './checker-common.js';
import { urlHandlers } from './checker-url.js';
import {
  type Handler,
  notSupported,
  outOfRange,
  readBool,
  readCommand,
  readInteger,
  readScriptUser,
  readSecondsMs,
  requireArg,
  walkBlock,
} from './values.js';

/** CheckerDraft is a checker while it is read; unset values take the inherited defaults. */
export interface CheckerDraft {
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

/**
 * PING_UNSUPPORTED: keepalived applies fwmark and bind_if to PING_CHECK's ICMP socket too; keepvip's
 * pinger is one raw socket shared by every PING_CHECK (kernel/icmp.ts), so they are not applied.
 */
const PING_UNSUPPORTED: Record<string, Handler<CheckerDraft>> = {
  fwmark(ctx, st) {
    notSupported(ctx, st.keyword, 'PING_CHECK', 'echo requests leave unmarked');
  },
  bind_if(ctx, st) {
    notSupported(ctx, st.keyword, 'PING_CHECK', 'echo requests are not bound to a device');
  },
};

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
export function onlyFor(kind: Checker['kind']): Record<string, Handler<CheckerDraft>> {
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
    if (kind === 'PING_CHECK') Object.assign(table, PING_UNSUPPORTED);
    tablesByKind.set(kind, table);
  }
  return table;
}
