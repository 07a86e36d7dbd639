import { connect } from 'node:net';
import { KeepvipError } from '../util/errors.js';

/** requestControl sends one request to a daemon's control socket and returns its result. */
export function requestControl(path: string, request: string, timeoutMs = 3000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const conn = connect(path);
    let buf = '';
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new KeepvipError('E_CONTROL_TIMEOUT', `no answer from ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.setEncoding('utf8');
    conn.on('connect', () => conn.write(`${request}\n`));
    conn.on('data', (c: string) => {
      buf += c;
    });
    conn.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new KeepvipError(
          'E_CONTROL_CONNECT',
          `cannot reach the daemon at ${path}: ${err.code ?? err.message}`,
        ),
      );
    });
    conn.on('end', () => {
      clearTimeout(timer);
      try {
        const reply = JSON.parse(buf) as { ok: boolean; result?: unknown; error?: string };
        if (reply.ok) resolve(reply.result);
        else reject(new KeepvipError('E_CONTROL_REQUEST', reply.error ?? 'request failed'));
      } catch {
        reject(new KeepvipError('E_CONTROL_REPLY', `malformed reply from ${path}`));
      }
    });
  });
}
