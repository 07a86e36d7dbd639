/**
 * The control and metrics sockets are born with mode 0600: created under a umask, so there is no
 * window between bind and chmod when another user could connect (issue 11 item 3).
 */
import { lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startControlServer } from '../../../src/control/server.js';
import { requestControl } from '../../../src/control/client.js';
import { startMetricsServer } from '../../../src/control/metrics.js';
import { listenUnix } from '../../../src/control/unix-listen.js';
import { silentLogger } from '../../../src/util/logger.js';

let dir: string;
let umask: number;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kv-sock-'));
  umask = process.umask(0); // the most permissive umask an init system could hand us
});
afterEach(() => {
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

describe('unix sockets are created with their mode (no window)', () => {
  it('the socket already has mode 0600 when listen() returns, before any callback could chmod it', async () => {
    const server = createServer();
    const path = join(dir, 'c.sock');
    const listening = listenUnix(server, path, 0o600);
    // Synchronously after the bind: no chmod has run yet.
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    expect(process.umask()).toBe(0); // restored at once
    await listening;
    server.close();
  });

  it('the control socket answers and is 0600', async () => {
    const path = join(dir, 'keepvip.sock');
    const server = await startControlServer(path, { status: () => ({ hello: 1 }) }, silentLogger);
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    expect(await requestControl(path, 'status')).toEqual({ hello: 1 });
    server.close();
  });

  it('a control handler that throws answers an error instead of killing the daemon', async () => {
    const path = join(dir, 'keepvip.sock');
    const server = await startControlServer(
      path,
      {
        status: () => {
          throw new Error('bad snapshot');
        },
      },
      silentLogger,
    );
    await expect(requestControl(path, 'status')).rejects.toThrow(/status failed: bad snapshot/);
    server.close();
  });

  it('the metrics unix socket is 0600', async () => {
    const path = join(dir, 'metrics.sock');
    const server = await startMetricsServer(`unix:${path}`, () => 'x 1\n');
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    server.close();
  });

  it('a stale socket is replaced, a regular file at the path is not removed', async () => {
    const path = join(dir, 's.sock');
    const a = createServer();
    await listenUnix(a, path, 0o600);
    a.close();
    // A crashed daemon leaves its socket file behind: simulate one and bind over it.
    const stale = createServer();
    stale.listen(path);
    await new Promise((r) => stale.once('listening', r));
    (stale as unknown as { _handle: { close(): void } | null })._handle?.close();
    const b = createServer();
    await listenUnix(b, path, 0o600);
    b.close();
    const file = join(dir, 'f.sock');
    writeFileSync(file, 'not a socket');
    await expect(listenUnix(createServer(), file, 0o600)).rejects.toThrow(/EADDRINUSE/);
    expect(lstatSync(file).isFile()).toBe(true);
  });
});
