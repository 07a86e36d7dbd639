/**
 * The control socket `keepvip status` reads: a unix stream socket, mode 0600 from its creation
 * (unix-listen.ts), that answers one request line (`status`) with one JSON document and closes.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from '../util/logger.js';
import { listenUnix } from './unix-listen.js';

/** ControlHandlers answer requests by name, at once or with a promise (a fresh checker snapshot first). */
export type ControlHandlers = Record<string, () => unknown>;

/** startControlServer listens on path; an old socket file left by a crash is replaced. */
export async function startControlServer(
  path: string,
  handlers: ControlHandlers,
  log: Logger,
): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const server = createServer((conn) => {
    let buf = '';
    let answered = false;
    conn.setEncoding('utf8');
    conn.on('error', () => conn.destroy());
    conn.on('data', (chunk: string) => {
      if (answered) return;
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        if (buf.length > 1024) conn.destroy();
        return;
      }
      const request = buf.slice(0, nl).trim();
      const handler = handlers[request];
      answered = true;
      new Promise<unknown>((resolve) => resolve(handler?.()))
        .then((result) =>
          JSON.stringify(handler ? { ok: true, result } : { ok: false, error: `unknown request ${request}` }),
        )
        .catch((err: Error) => {
          log.error(`control request ${request} failed: ${err.stack ?? err}`);
          return JSON.stringify({ ok: false, error: `${request} failed: ${err.message}` });
        })
        .then((reply) => conn.end(`${reply}\n`));
    });
  });
  await listenUnix(server, path, 0o600);
  log.debug(`control socket listening on ${path}`);
  return server;
}
