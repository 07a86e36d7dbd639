/**
 * The control socket `keepvip status` reads: a unix stream socket, mode 0600 (root only), that
 * answers one request line (`status`) with one JSON document and closes.
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from '../util/logger.js';

/** ControlHandlers answer requests by name. */
export type ControlHandlers = Record<string, () => unknown>;

/** startControlServer listens on path; an old socket file left by a crash is replaced. */
export async function startControlServer(
  path: string,
  handlers: ControlHandlers,
  log: Logger,
): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true });
  const server = createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('error', () => conn.destroy());
    conn.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        if (buf.length > 1024) conn.destroy();
        return;
      }
      const request = buf.slice(0, nl).trim();
      const handler = handlers[request];
      const reply = handler
        ? { ok: true, result: handler() }
        : { ok: false, error: `unknown request ${request}` };
      conn.end(`${JSON.stringify(reply)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  log.debug(`control socket listening on ${path}`);
  return server;
}
