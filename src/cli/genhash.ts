/**
 * `keepvip genhash -s IP -p PORT -u URL [-S] [-I] [-V HOST] [-P 1.0|1.0c|1.1] [-t S] [-v]`:
 * the MD5 digest of a URL's body, as keepalived's genhash prints it (one line of hex), fetched
 * with the very request HTTP_GET / SSL_GET send (check/probes/http.ts), so the digest is the
 * one the checker will compare. `-v` adds the status line, headers and response time.
 * Deviation: keepalived's genhash exits 0 after "Connection failed"; keepvip exits 1.
 */
import type { Command } from 'commander';
import type { HttpGetCheck } from '../config/model.js';
import { systemClock } from '../util/clock.js';

/** GenhashOptions are the parsed options. */
export interface GenhashOptions {
  server: string;
  port: string;
  url: string;
  useSsl?: boolean;
  useSni?: boolean;
  useVirtualhost?: string;
  protocol?: string;
  timeout?: string;
  verbose?: boolean;
  fwmark?: string;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

/** runGenhash fetches the URL once and prints its digest; returns the exit code. */
export async function runGenhash(o: GenhashOptions): Promise<number> {
  const out = o.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = o.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    err(`invalid port number '${o.port}'`);
    return 2;
  }
  const proto = (o.protocol ?? '1.0').toUpperCase();
  if (proto !== '1.0' && proto !== '1.0C' && proto !== '1.1') {
    err(`invalid HTTP protocol version '${o.protocol}'`);
    return 2;
  }
  if (o.fwmark !== undefined) err('--fwmark is not supported by keepvip; the request leaves unmarked');
  const timeoutMs = Math.round(Number(o.timeout ?? '5') * 1000);
  const check: HttpGetCheck = {
    kind: o.useSsl ? 'SSL_GET' : 'HTTP_GET',
    connectTimeoutMs: timeoutMs > 0 ? timeoutMs : 5000,
    retry: 0,
    delayBeforeRetryMs: 0,
    urls: [],
    httpProtocol: proto,
    enableSni: o.useSni ?? false,
    fastRecovery: false,
    pos: { file: 'genhash', line: 0, col: 0 },
    ...(o.useVirtualhost === undefined ? {} : { virtualhost: o.useVirtualhost }),
  };
  const url = { path: o.url, statusCodes: [] };
  // The HTTP probe (and node:tls with it) loads for this command only, not with every keepvip command line.
  const { fetchUrl, md5Hex, parseHttpResponse } = await import('../check/probes/http.js');
  const started = systemClock.nowMs();
  let raw: Buffer;
  try {
    raw = await fetchUrl(check, url, { address: o.server, port }, systemClock);
  } catch (e) {
    err(`Connection failed: ${(e as Error).message}`);
    return 1;
  }
  const r = parseHttpResponse(raw);
  if (r === undefined) {
    err('Cannot parse the HTTP response');
    return 1;
  }
  if (o.verbose) {
    out(raw.subarray(0, Math.max(0, raw.indexOf('\r\n\r\n'))).toString('latin1'));
    out('');
  }
  out(md5Hex(r.body));
  if (o.verbose)
    out(
      `\nGlobal response time for [${o.url}] = ${Math.round((systemClock.nowMs() - started) * 1000)} usecs`,
    );
  return 0;
}

/** registerGenhash adds the `genhash` command to the program. */
export function registerGenhash(program: Command): void {
  program
    .command('genhash')
    .description("print the MD5 digest of a URL's body for HTTP_GET / SSL_GET digest (keepalived's genhash)")
    .requiredOption('-s, --server <address>', 'remote server address')
    .requiredOption('-p, --port <port>', 'remote server port')
    .requiredOption('-u, --url <url>', 'url path')
    .option('-S, --use-ssl', 'use TLS (certificates are not verified)')
    .option('-I, --use-sni', 'send the virtualhost as SNI')
    .option('-V, --use-virtualhost <host>', 'Host header')
    .option('-P, --protocol <version>', "HTTP protocol: '1.0', '1.0c' (with Connection: close), '1.1'")
    .option('-t, --timeout <seconds>', 'timeout in seconds', '5')
    .option('-m, --fwmark <mark>', 'firewall mark (not supported by keepvip)')
    .option('-v, --verbose', 'print the response headers and time')
    .action(async (opts: GenhashOptions) => {
      process.exitCode = await runGenhash(opts);
    });
}
