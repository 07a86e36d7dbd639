import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { encodeDnsQuery, judgeDnsReply } from '../../../src/check/probes/dns.js';
import { fileResult } from '../../../src/check/probes/file.js';
import { httpRequest, judgeUrl, md5Hex, parseHttpResponse } from '../../../src/check/probes/http.js';
import { miscResult } from '../../../src/check/probes/misc.js';
import { smtpReplyCode } from '../../../src/check/probes/smtp.js';
import { runGenhash } from '../../../src/cli/genhash.js';
import { decodeEchoReply, encodeEcho, icmpChecksum } from '../../../src/kernel/icmp.js';

describe('HTTP_GET request and judgement (keepalived check_http.c)', () => {
  const target = { address: '10.0.0.1', port: 8080 };
  it.each([
    [
      '1.0 without virtualhost: Host is IP:PORT',
      { httpProtocol: '1.0' as const },
      'GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.0.1:8080\r\n\r\n',
    ],
    [
      '1.0C adds Connection: close',
      { httpProtocol: '1.0C' as const },
      'GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: 10.0.0.1:8080\r\n\r\n',
    ],
    [
      '1.1 with virtualhost',
      { httpProtocol: '1.1' as const, virtualhost: 'www.test' },
      'GET /x HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.test\r\n\r\n',
    ],
  ])('%s', (_n, check, want) => {
    expect(httpRequest(check, { path: '/x', statusCodes: [] }, target)).toBe(want);
  });

  it('IPv6 literal hosts are bracketed (RFC 2732)', () => {
    expect(
      httpRequest({ httpProtocol: '1.0' }, { path: '/', statusCodes: [] }, { address: 'fd00::1', port: 80 }),
    ).toContain('Host: [fd00::1]:80\r\n');
  });

  const res = (status: number, body: string, extra = '') =>
    parseHttpResponse(
      Buffer.from(`HTTP/1.1 ${status} X\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`),
    )!;

  it.each([
    ['default codes are 200-299', { path: '/', statusCodes: [] }, res(204, ''), true],
    ['500 fails the default', { path: '/', statusCodes: [] }, res(500, 'x'), false],
    ['a listed 404 passes', { path: '/', statusCodes: [200, 404] }, res(404, 'x'), true],
    [
      'digest matches',
      { path: '/', statusCodes: [], digest: md5Hex(Buffer.from('ok\n')) },
      res(200, 'ok\n'),
      true,
    ],
    ['digest mismatch', { path: '/', statusCodes: [], digest: '0'.repeat(32) }, res(200, 'ok\n'), false],
    [
      'regex match',
      { path: '/', statusCodes: [], regex: { pattern: 'o+k', noMatch: false, flags: '' } },
      res(200, 'ooook'),
      true,
    ],
    [
      'regex_no_match',
      { path: '/', statusCodes: [], regex: { pattern: 'error', noMatch: true, flags: 'i' } },
      res(200, 'ERROR'),
      false,
    ],
  ])('%s', (_n, url, r, ok) => {
    expect(judgeUrl(url, r).ok).toBe(ok);
  });

  it('decodes a chunked body before the digest', () => {
    const r = parseHttpResponse(
      Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'),
    )!;
    expect(r.body.toString()).toBe('abcde');
  });

  it('a response without a status line is not HTTP', () => {
    expect(parseHttpResponse(Buffer.from('SSH-2.0-OpenSSH\r\n'))).toBeUndefined();
  });
});

describe('DNS_CHECK codec (RFC 1035 4.1)', () => {
  it('encodes a recursive query for name/type', () => {
    // id 0x1234, flags RD, QDCOUNT 1; 3 "svc" 4 "test" 0; type A (1), class IN (1)
    expect(encodeDnsQuery(0x1234, 'svc.test', 'A').toString('hex')).toBe(
      '123401000001000000000000' + '03737663' + '0474657374' + '00' + '0001' + '0001',
    );
  });
  it('the root name is one zero byte', () => {
    expect(encodeDnsQuery(1, '.', 'SOA').subarray(12).toString('hex')).toBe('0000060001');
  });
  it.each([
    ['NOERROR reply', '12348180', true],
    ['REFUSED (rcode 5)', '12348185', false],
    ['another id', '43218180', false],
    ['a query, not a reply', '12340100', false],
  ])('%s', (_n, head, ok) => {
    expect(judgeDnsReply(0x1234, Buffer.concat([Buffer.from(head, 'hex'), Buffer.alloc(8)])).ok).toBe(ok);
  });
});

describe('MISC_CHECK exit codes (check_misc.c)', () => {
  it.each([
    ['exit 0 is up', { exitCode: 0, signal: null, timedOut: false }, false, { ok: true }],
    ['exit 1 is down', { exitCode: 1, signal: null, timedOut: false }, true, { ok: false }],
    [
      'exit 12 with misc_dynamic is up with weight 10',
      { exitCode: 12, signal: null, timedOut: false },
      true,
      { ok: true, weight: 10 },
    ],
    [
      'exit 12 without misc_dynamic is down',
      { exitCode: 12, signal: null, timedOut: false },
      false,
      { ok: false },
    ],
    [
      'a timeout is down',
      { exitCode: null, signal: 'SIGTERM', timedOut: true },
      true,
      { ok: false, reason: 'timed out' },
    ],
    [
      'a signal is down',
      { exitCode: null, signal: 'SIGSEGV', timedOut: false },
      true,
      { ok: false, reason: 'due to signal SIGSEGV' },
    ],
  ])('%s', (_n, o, dynamic, want) => {
    expect(miscResult(o, dynamic)).toMatchObject(want);
  });
});

describe('FILE_CHECK (check_file.c)', () => {
  it('weight 0: any non-zero value is down', () => {
    expect(fileResult(0, 0, false, 5).ok).toBe(true);
    expect(fileResult(3, 0, false, 5).ok).toBe(false);
  });
  it('value * weight moves the weight; at or below 0 it is down', () => {
    expect(fileResult(2, 3, false, 5)).toMatchObject({ ok: true, weight: 6 });
    expect(fileResult(2, -2, false, 5)).toMatchObject({ ok: true, weight: -4 });
    expect(fileResult(3, 2, true, 5).ok).toBe(false);
  });
});

describe('SMTP replies and ICMP echo', () => {
  it('a reply is complete at its last line `NNN text`', () => {
    expect(smtpReplyCode(Buffer.from('220-hello\r\n'))).toBeUndefined();
    expect(smtpReplyCode(Buffer.from('220-hello\r\n220 ready\r\n'))).toBe(220);
  });
  it('echo requests carry a valid RFC 1071 checksum (IPv4); replies decode past the IP header', () => {
    const req = encodeEcho(false, 0x4242, 7);
    expect(icmpChecksum(req)).toBe(0);
    const reply = Buffer.from(req);
    reply[0] = 0;
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    expect(decodeEchoReply(false, Buffer.concat([ip, reply]))).toEqual({ id: 0x4242, seq: 7 });
    expect(decodeEchoReply(false, Buffer.concat([ip, req]))).toBeUndefined();
  });
});

describe('keepvip genhash', () => {
  it('prints the MD5 of the body with the checker request (loopback server)', async () => {
    const server = createServer((req, res) => res.end(`${req.headers['user-agent']} ${req.headers.host}\n`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const out: string[] = [];
    const code = await runGenhash({
      server: '127.0.0.1',
      port: String(port),
      url: '/',
      out: (l) => out.push(l),
      err: () => {},
    });
    server.close();
    expect(code).toBe(0);
    expect(out).toEqual([md5Hex(Buffer.from(`KeepAliveClient 127.0.0.1:${port}\n`))]);
  });
});
