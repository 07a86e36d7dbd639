/**
 * The addon's ProcessStarter (native/src/spawn.c): clone(CLONE_VM | CLONE_VFORK) instead of
 * Node's fork, so a start costs the daemon about 0.35 ms whatever its size (Node's fork held the
 * loop 7.6 ms at 47 MB resident and 16.6 ms at 257 MB, p50 of 30 `bash -c` starts on this host).
 * script_user's uid, gid and supplementary groups are set by the child itself (no setpriv).
 * The output streams are the pipe's read end, adopted by a net.Socket; the exit is a pidfd.
 */
import { Socket } from 'node:net';
import { constants } from 'node:os';
import {
  type ProcessStarter,
  type StartedProgram,
  type StartRequest,
  useProcessStarter,
} from '../util/spawn.js';
import { loadNative } from './native.js';

/** The stdio bits of spawnProcess (spawn.c KV_*). */
const STDIN_PIPE = 1;
const OUTPUT_ALL = 2;
const OUTPUT_STDERR = 4;

/** DEFAULT_PATH is where a command without a slash is looked for when the environment has no PATH (execvp's). */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** SIGNAL_NAMES maps signal numbers to Node's names. */
const SIGNAL_NAMES = new Map<number, NodeJS.Signals>();

for (const [name, n] of Object.entries(constants.signals)) SIGNAL_NAMES.set(n, name as NodeJS.Signals);

/** strings packs strings as the addon reads them: each NUL-terminated. */
function strings(list: readonly string[]): Buffer {
  return Buffer.from(list.map((s) => `${s}\0`).join(''));
}

/** envStrings is the environment as KEY=VALUE strings (undefined values left out, as Node does). */
function envStrings(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out.push(`${k}=${v}`);
  return out;
}

/** nativeStarter starts a program through the addon; throws with an errno code when it cannot. */
export const nativeStarter: ProcessStarter = (r: StartRequest): StartedProgram => {
  const addon = loadNative();
  const env = r.env ?? process.env;
  const ids = r.identity
    ? Int32Array.from([r.identity.uid, r.identity.gid, ...(r.identity.groups ?? [])])
    : null;
  const stdio =
    (r.stdin === 'pipe' ? STDIN_PIPE : 0) |
    (r.output === 'all' ? OUTPUT_ALL : 0) |
    (r.output === 'stderr' ? OUTPUT_STDERR : 0);
  let exitCb: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;
  let ended: [number | null, NodeJS.Signals | null] | undefined;
  const [pid, inFd, outFd] = addon.spawnProcess(
    r.call.file,
    strings([r.call.file, ...r.call.args]),
    strings(envStrings(env)),
    env.PATH ?? DEFAULT_PATH,
    ids,
    stdio,
    (code, signo) => {
      ended = [code >= 0 ? code : null, signo > 0 ? (SIGNAL_NAMES.get(signo) ?? null) : null];
      exitCb?.(...ended);
    },
  );
  const outputs = outFd >= 0 ? [new Socket({ fd: outFd, readable: true, writable: false })] : [];
  const stdin = inFd >= 0 ? new Socket({ fd: inFd, readable: false, writable: true }) : undefined;
  return {
    pid,
    outputs,
    stdin,
    onExit: (cb) => {
      exitCb = cb;
      if (ended) cb(...ended);
    },
  };
};

/**
 * installNativeStarter makes every later start use the addon (the daemon and the checker thread
 * call it first); false, with Node's fork left in place, when the addon cannot be loaded.
 */
export function installNativeStarter(): boolean {
  try {
    if (typeof loadNative().spawnProcess !== 'function') return false;
  } catch {
    return false;
  }
  useProcessStarter(nativeStarter);
  return true;
}
