import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** acquirePidFile writes our pid unless a live process already holds the file (as keepalived refuses a second daemon). */
export function acquirePidFile(path: string): { ok: true } | { ok: false; message: string } {
  try {
    const other = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    if (Number.isInteger(other) && other > 0 && other !== process.pid && isAlive(other)) {
      return { ok: false, message: `daemon is already running (pid ${other} in ${path})` };
    }
  } catch {
    // no pid file, or unreadable: ours to write
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${process.pid}\n`);
  return { ok: true };
}

/** releasePidFile removes the pid file if it is still ours. */
export function releasePidFile(path: string): void {
  try {
    if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path);
  } catch {
    // already gone
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
