/**
 * HTTP_GET / SSL_GET (keepalived check_http.c): for each url, GET path with keepalived's request
 * (`User-Agent: KeepAliveClient`, Host = virtualhost or IP:PORT, `Connection: close` with 1.0C
 * and 1.1), then the status code must be in status_code (default 200-299), the body's MD5 must
 * equal digest, and regex must (or with regex_no_match must not) match. SSL_GET does the same
 * over TLS without verifying the certificate, with SNI when enable_sni. Deviation: keepalived
 * checks one url per delay_loop; keepvip checks every url in one run, so a run is one verdict.
 */
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HttpCheckUrl, HttpGetCheck } from '../../config/model.js';
import { connectTcp, connectTls, type ProbeEndpoint } from '../../kernel/probe-socket.js';
import type { Clock } from '../../util/clock.js';
import { errnoReason, type ProbeFactory, type ProbeResult, type ProbeTarget } from '../probe.js';
import { probeEndpoint } from './endpoint.js';
import { readUntil } from './stream.js';

/** MAX_RESPONSE_BYTES bounds what a probe reads (a digest over a huge body is the operator's choice; 16 MiB). */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** httpRequest builds keepalived's GET request text. */
export function httpRequest(
  check: Pick<HttpGetCheck, 'httpProtocol' | 'virtualhost'>,
  url: HttpCheckUrl,
  target: Pick<ProbeTarget, 'address' | 'port'>,
): string {
  const vhost = url.virtualhost ?? check.virtualhost;
  const host =
    vhost ??
    (isIPv6(target.address) ? `[${target.address}]:${target.port}` : `${target.address}:${target.port}`);
  const minor = check.httpProtocol === '1.1' ? 1 : 0;
  const close = check.httpProtocol === '1.0C' || check.httpProtocol === '1.1' ? 'Connection: close\r\n' : '';
  return `GET ${url.path} HTTP/1.${minor}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${host}\r\n\r\n`;
}

/** HttpResponse is a parsed response: status code, headers and body. */
export interface HttpResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/** parseHttpResponse splits a raw response; undefined when the status line is missing. Chunked bodies are decoded. */
export function parseHttpResponse(raw: Buffer): HttpResponse | undefined {
  const end = raw.indexOf('\r\n\r\n');
  const headText = raw.subarray(0, end < 0 ? raw.length : end).toString('latin1');
  const lines = headText.split('\r\n');
  const m = /^HTTP\/\d\.\d\s+(\d{3})/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  let body = end < 0 ? Buffer.alloc(0) : raw.subarray(end + 4);
  if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') body = dechunk(body);
  else {
    const len = Number(headers.get('content-length'));
    if (Number.isInteger(len) && len >= 0 && len < body.length) body = body.subarray(0, len);
  }
  return { status: Number(m[1]), headers, body };
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let off = 0;
  while (off < b.length) {
    const eol = b.indexOf('\r\n', off);
    if (eol < 0) break;
    const size = Number.parseInt(b.subarray(off, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    off = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** responseComplete tells whether a raw response holds its whole body (Content-Length or final chunk). */
function responseComplete(raw: Buffer): boolean {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = raw.subarray(0, end).toString('latin1');
  const len = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (len) return raw.length - end - 4 >= Number(len[1]);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return raw.subarray(end).includes('\r\n0\r\n\r\n');
  return false;
}

/** md5Hex is the digest keepalived compares (and genhash prints). */
export function md5Hex(body: Buffer): string {
  return createHash('md5').update(body).digest('hex');
}

/** judgeUrl applies a url's status_code, digest and regex rules to a response. */
export function judgeUrl(url: HttpCheckUrl, r: HttpResponse): ProbeResult {
  const codes = url.statusCodes;
  const statusOk = codes.length === 0 ? r.status >= 200 && r.status <= 299 : codes.includes(r.status);
  if (!statusOk) return { ok: false, reason: `HTTP status code error to ${url.path}: ${r.status}` };
  if (url.digest !== undefined) {
    const got = md5Hex(r.body);
    if (got !== url.digest)
      return { ok: false, reason: `MD5 digest error to ${url.path}: ${got} != ${url.digest}` };
  }
  if (url.regex !== undefined) {
    const matched = new RegExp(url.regex.pattern, url.regex.flags).test(r.body.toString('latin1'));
    if (matched === url.regex.noMatch)
      return { ok: false, reason: `regex ${url.regex.noMatch ? 'matched' : 'did not match'} on ${url.path}` };
  }
  return { ok: true, reason: `HTTP status ${r.status}` };
}

/** fetchUrl runs one GET on a new connection (marked with the checker's fwmark) and returns the raw response. */
export async function fetchUrl(
  check: HttpGetCheck,
  url: HttpCheckUrl,
  target: ProbeEndpoint,
  clock: Clock,
): Promise<Buffer> {
  const raw = await connectTcp(probeEndpoint(check, target), check.connectTimeoutMs, clock);
  let stream: Duplex = raw;
  try {
    if (check.kind === 'SSL_GET') {
      const sni = check.enableSni ? (url.virtualhost ?? check.virtualhost) : undefined;
      stream = await connectTls(raw, sni, check.connectTimeoutMs, clock);
    }
    stream.write(httpRequest(check, url, target));
    return await readUntil(stream, {
      timeoutMs: check.connectTimeoutMs,
      clock,
      maxBytes: MAX_RESPONSE_BYTES,
      done: responseComplete,
    });
  } finally {
    stream.destroy();
    raw.destroy();
  }
}

/** httpProbe checks every url in order; the first failing url decides. */
export const httpProbe: ProbeFactory<HttpGetCheck> = (checker, target, env) => async () => {
  let last: ProbeResult = { ok: true, reason: 'no url' };
  for (const url of checker.urls) {
    let raw: Buffer;
    try {
      raw = await fetchUrl(checker, url, target, env.clock);
    } catch (err) {
      return { ok: false, reason: errnoReason(`GET ${url.path}`, err) };
    }
    const r = parseHttpResponse(raw);
    if (r === undefined) return { ok: false, reason: `no HTTP response to ${url.path}` };
    last = judgeUrl(url, r);
    if (!last.ok) return last;
  }
  return last;
};
