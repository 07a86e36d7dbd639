/**
 * listenUnix binds a server to a unix socket path that is born with its final mode: the bind
 * runs under a umask that leaves only `mode`, so there is no moment between bind and a chmod
 * when another user could connect (keepalived's CVE-2018-19044 family of races). Node binds a
 * pipe synchronously inside listen() in the main thread, so the umask is restored before any
 * other code runs.
 */
import { chmodSync, lstatSync, rmSync } from 'node:fs';
import type { Server } from 'node:net';

/** listenUnix replaces a stale socket file at path and listens there with permission bits `mode`. */
export async function listenUnix(server: Server, path: string, mode: number): Promise<void> {
  try {
    if (lstatSync(path).isSocket()) rmSync(path, { force: true });
  } catch {
    // absent: nothing to replace
  }
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const previous = process.umask(0o777 & ~mode);
  try {
    server.listen(path);
  } finally {
    process.umask(previous);
  }
  await listening;
  // Belt and braces for a platform whose bind was not synchronous: mode is already right on Linux.
  chmodSync(path, mode);
}
