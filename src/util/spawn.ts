/**
 * The one way keepvip starts a process (vrrp_script, notify scripts, FIFO readers, nginx -t,
 * probes): in its own process group, as the configured script user, with a timeout on the
 * injected Clock, and with pipes that can never hold the caller up.
 *
 * Why these rules:
 * - Own process group (setsid): a timeout must reach the shell's children too. `sleep 10; exit 0`
 *   run by bash leaves `sleep` behind otherwise; a notify script that forked 200 children and
 *   hangs must leave none. On timeout the group gets SIGTERM, then SIGKILL `killGraceMs` later
 *   (the SIGKILL still goes out after the leader died, for descendants that ignored SIGTERM).
 * - A run ends when the program itself exits, not when every descendant has closed its copy of
 *   stdout/stderr: a script that starts something in the background (`sleep 100 & exit 0`)
 *   must not stall its tracker. After the exit the output already in the pipe is read (one
 *   turn of the event loop) and the pipes are closed; at most `maxOutputBytes` (the tail) kept.
 * - script_user: uid, gid and supplementary groups of the user (initgroups(3) semantics).
 *   Node's spawn sets uid and gid and clears supplementary groups; when the user has some,
 *   the program is started through util-linux `setpriv` to set them.
 *
 * - How the process is made is the ProcessStarter's: Node's child_process (fork + exec) by
 *   default, which holds the event loop 7-17 ms per start while the kernel copies the daemon's
 *   page tables; the daemon and the checker thread install the addon's (kernel/spawn.ts,
 *   clone(CLONE_VM | CLONE_VFORK), 0.35 ms) with useProcessStarter at start.
 *
 * The rules live in util/ rather than kernel/: starting a program is what every layer above
 * needs (track, check, notify, nginx, daemon, syslog's logger), unprivileged unit tests run it
 * for real, and it holds no kernel state a fake kernel port would stand in for.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { Clock, TimerHandle } from './clock.js';

/** ProcessIdentity is who a program runs as: uid, gid and supplementary groups. */
export interface ProcessIdentity {
  uid: number;
  gid: number;
  /** groups are the supplementary group ids (empty or undefined: none). */
  groups?: readonly number[];
}

/** ProcessCall is one program to run: file and argv. */
export interface ProcessCall {
  file: string;
  args: readonly string[];
}

/** KILL_GRACE_MS: after SIGTERM to a timed-out process group, SIGKILL follows this much later. */
export const KILL_GRACE_MS = 1000;

/** DEFAULT_MAX_OUTPUT_BYTES: the tail of a program's output that is kept. */
export const DEFAULT_MAX_OUTPUT_BYTES = 4096;

/** SETPRIV is util-linux setpriv, used to set supplementary groups. */
const SETPRIV = '/usr/bin/setpriv';

/** SpawnOptions say how a program is run. */
export interface SpawnOptions {
  clock: Clock;
  /** timeoutMs: after this long the process group is terminated (undefined: no timeout). */
  timeoutMs?: number;
  killGraceMs?: number;
  identity?: ProcessIdentity;
  /** output: which streams are captured (merged, in arrival order); 'none' gives the program /dev/null. */
  output?: 'all' | 'stderr' | 'none';
  maxOutputBytes?: number;
  env?: NodeJS.ProcessEnv;
  /** stdin 'pipe' gives the handle a writable stdin (a long-running reader such as logger(1)); default /dev/null. */
  stdin?: 'ignore' | 'pipe';
}

/** ProcessResult is how a program ended. */
export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** output is the tail (at most maxOutputBytes) of what the program wrote. */
  output: string;
  /** error is set when the program could not start (ENOENT, EACCES...). */
  error?: string;
  durationMs: number;
}

/** ProcessHandle is a started program. */
export interface ProcessHandle {
  /** pid is the leader's pid, which is also its process group id (undefined if it did not start). */
  readonly pid: number | undefined;
  /** exited resolves once, when the program exits or fails to start. */
  readonly exited: Promise<ProcessResult>;
  /** stdin is the program's standard input when SpawnOptions.stdin is 'pipe'. */
  readonly stdin: NodeJS.WritableStream | undefined;
  /** stop sends SIGTERM to the process group, then SIGKILL after the grace. */
  stop(): void;
}

/** StartRequest is one program for a ProcessStarter: what to run, as whom, with which stdio. */
export interface StartRequest {
  call: ProcessCall;
  env: NodeJS.ProcessEnv | undefined;
  identity: ProcessIdentity | undefined;
  stdin: 'ignore' | 'pipe';
  output: 'all' | 'stderr' | 'none';
}

/** StartedProgram is a program a ProcessStarter started. */
export interface StartedProgram {
  pid: number;
  /** outputs are the captured streams (none for output 'none'). */
  outputs: Readable[];
  stdin: Writable | undefined;
  /** onExit registers the one exit callback; an error is a start that failed after all. */
  onExit(cb: (code: number | null, signal: NodeJS.Signals | null, error?: Error) => void): void;
}

/** ProcessStarter makes the process: throws (with an errno `code`) when it cannot start. */
export type ProcessStarter = (r: StartRequest) => StartedProgram;

/** nodeStarter starts programs with Node's child_process (fork + exec). */
export const nodeStarter: ProcessStarter = (r) => {
  const viaSetpriv = (r.identity?.groups?.length ?? 0) > 0 && existsSync(SETPRIV);
  const actual = viaSetpriv ? commandLine(r.call, r.identity) : r.call;
  const ids = r.identity && !viaSetpriv ? { uid: r.identity.uid, gid: r.identity.gid } : {};
  const child = spawn(actual.file, [...actual.args], {
    detached: true,
    stdio: [r.stdin, r.output === 'all' ? 'pipe' : 'ignore', r.output === 'none' ? 'ignore' : 'pipe'],
    env: r.env,
    ...ids,
  });
  let exitCb: ((code: number | null, signal: NodeJS.Signals | null, error?: Error) => void) | undefined;
  let failed: Error | undefined;
  child.on('error', (err) => {
    failed = err;
    exitCb?.(null, null, err);
  });
  child.on('exit', (code, signal) => exitCb?.(code, signal));
  return {
    // A failed start has no pid; the error arrives as an exit.
    pid: child.pid ?? -1,
    outputs: [child.stdout, child.stderr].filter((s) => s != null),
    stdin: child.stdin ?? undefined,
    onExit: (cb) => {
      exitCb = cb;
      if (failed) cb(null, null, failed);
    },
  };
};

let starter: ProcessStarter = nodeStarter;

/** useProcessStarter installs how processes are made from now on (returns the previous one). */
export function useProcessStarter(next: ProcessStarter): ProcessStarter {
  const prev = starter;
  starter = next;
  return prev;
}

/** commandLine is how a call is actually started: through setpriv when supplementary groups are set. */
export function commandLine(call: ProcessCall, identity?: ProcessIdentity): ProcessCall {
  const groups = identity?.groups ?? [];
  if (!identity || groups.length === 0) return call;
  return {
    file: SETPRIV,
    args: [
      `--reuid=${identity.uid}`,
      `--regid=${identity.gid}`,
      `--groups=${groups.join(',')}`,
      '--',
      call.file,
      ...call.args,
    ],
  };
}

/** killProcessGroup signals every process of group `pgid`; true when the group existed. */
export function killProcessGroup(pgid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pgid === undefined || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone.
  }
}

/** startProcess starts a program in its own process group (see the module comment for the rules). */
export function startProcess(call: ProcessCall, o: SpawnOptions): ProcessHandle {
  const started = o.clock.nowMs();
  const capture = o.output ?? 'all';
  const max = o.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const grace = o.killGraceMs ?? KILL_GRACE_MS;
  let out = '';
  let timedOut = false;
  let settled = false;
  let exitSeen = false;
  let exitTimer: TimerHandle | undefined;
  let killTimer: TimerHandle | undefined;
  let child: StartedProgram;
  let resolveExit!: (r: ProcessResult) => void;
  const exited = new Promise<ProcessResult>((r) => (resolveExit = r));

  const closePipes = () => {
    for (const s of child.outputs) s.destroy();
  };
  const finish = (r: Omit<ProcessResult, 'timedOut' | 'output' | 'durationMs'>) => {
    if (settled) return;
    settled = true;
    exitTimer?.cancel();
    // A timed-out group keeps its SIGKILL for descendants that ignored SIGTERM.
    if (!timedOut) killTimer?.cancel();
    closePipes();
    resolveExit({ ...r, timedOut, output: out, durationMs: o.clock.nowMs() - started });
  };
  const terminate = () => {
    killProcessGroup(child.pid, 'SIGTERM');
    if (killTimer) return;
    killTimer = o.clock.at(o.clock.nowMs() + grace, () => killProcessGroup(child.pid, 'SIGKILL'));
  };

  try {
    child = starter({ call, env: o.env, identity: o.identity, stdin: o.stdin ?? 'ignore', output: capture });
  } catch (err) {
    // Synchronous start errors (ENOENT from the addon, EPERM on setuid without privilege).
    const r: ProcessResult = {
      exitCode: null,
      signal: null,
      timedOut: false,
      output: '',
      error: startError(call, err as Error),
      durationMs: 0,
    };
    return { pid: undefined, exited: Promise.resolve(r), stdin: undefined, stop: () => {} };
  }
  child.stdin?.on('error', () => {}); // EPIPE when the program is gone: the caller sees `exited`.
  for (const s of child.outputs) {
    s.on('data', (d: Buffer) => {
      // Keep only the tail: the log shows a failing script's last words, memory stays bounded.
      out = (out + d.toString()).slice(-max);
    });
    s.on('error', () => {}); // EPIPE/ECONNRESET after destroy: nothing to report.
  }
  child.onExit((code, signal, error) => {
    if (error) {
      finish({ exitCode: null, signal: null, error: error.message });
      return;
    }
    exitSeen = true;
    // The pipes may still hold what the program wrote just before it exited: read it on this
    // turn of the loop, then stop (a descendant may keep them open for ever).
    setImmediate(() => setImmediate(() => finish({ exitCode: code, signal })));
  });
  if (o.timeoutMs !== undefined) {
    exitTimer = o.clock.at(started + o.timeoutMs, () => {
      // Due in the same turn as the exit: the program made it in time, and what it left in
      // the background is not ours to kill.
      if (settled || exitSeen) return;
      timedOut = true;
      closePipes();
      terminate();
    });
  }
  return {
    get pid() {
      return child.pid > 0 ? child.pid : undefined;
    },
    exited,
    stdin: child.stdin,
    stop: () => {
      if (!settled) terminate();
    },
  };
}

/** startError words a start that failed as Node does: `spawn FILE ENOENT`. */
function startError(call: ProcessCall, err: Error & { code?: string }): string {
  return err.code && /^E[A-Z0-9]+$/.test(err.code) ? `spawn ${call.file} ${err.code}` : err.message;
}

/** runProcess runs a program to its end (or its timeout) and resolves with how it ended; it never rejects. */
export function runProcess(call: ProcessCall, o: SpawnOptions): Promise<ProcessResult> {
  return startProcess(call, o).exited;
}
