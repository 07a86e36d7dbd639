import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type ExecOptions, type ExecResult, run } from './netns.js';
import { ManagedProcess } from './processes.js';

/** DEFAULT_PRIVATE_PATHS are the paths each isolated node gets its own copy of. */
export const DEFAULT_PRIVATE_PATHS = ['/etc/keepalived', '/run'] as const;

/** BindMount maps a path as seen inside the node to the host directory mounted over it. */
export interface BindMount {
  path: string;
  hostPath: string;
}

// PID 1 of the new PID namespace: mount the per-node directories, say so, then idle while
// reaping orphans (bash's `wait` reaps any child, so nginx workers left by a killed master do
// not linger as zombies that `killall -0 nginx` would still count).
const INIT_SCRIPT = [
  'while [ "$#" -gt 0 ]; do',
  '  [ -d "$2" ] || mkdir -p "$2"',
  '  mount --bind "$1" "$2" || exit 97',
  '  shift 2',
  'done',
  'echo kv-isolation-ready',
  `exec bash -c 'trap "exit 0" TERM; while :; do sleep 3600 & wait $!; done'`,
].join('\n');

/**
 * Isolation is a PID and mount namespace inside a node's network namespace, so a node looks
 * like a separate machine to keepalived's scripts: `killall -0 nginx` sees only this node's
 * nginx, and /etc/keepalived and /run are this node's own directories. It is held open by a
 * small init process; further commands join it with nsenter.
 */
export class Isolation {
  /** binds lists the private paths and their host directories. */
  readonly binds: readonly BindMount[];
  private readonly holder: ManagedProcess;
  /** initPid is the host pid of PID 1 in the isolated PID namespace (the nsenter target). */
  readonly initPid: number;

  private constructor(holder: ManagedProcess, initPid: number, binds: BindMount[]) {
    this.holder = holder;
    this.initPid = initPid;
    this.binds = binds;
  }

  /**
   * start creates the namespaces: `ip netns exec NETNS unshare --pid --fork --mount-proc
   * --mount --propagation private --kill-child` runs the init script, which bind-mounts
   * `${rootDir}${path}` over each private path. --kill-child ties the namespace's life to the
   * unshare process, so killing that process group tears down everything inside.
   */
  static async start(
    netns: string,
    name: string,
    rootDir: string,
    privatePaths: readonly string[] = DEFAULT_PRIVATE_PATHS,
  ): Promise<Isolation> {
    const binds: BindMount[] = [];
    for (const path of privatePaths) {
      const hostPath = join(rootDir, path);
      await mkdir(hostPath, { recursive: true });
      binds.push({ path, hostPath });
    }
    const holder = ManagedProcess.start({
      name: `${name}/isolation`,
      file: 'ip',
      args: [
        'netns',
        'exec',
        netns,
        'unshare',
        '--pid',
        '--fork',
        '--kill-child=SIGKILL',
        '--mount-proc',
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        INIT_SCRIPT,
        'kv-init',
        ...binds.flatMap((b) => [b.hostPath, b.path]),
      ],
      wrapperForks: true,
    });
    await holder.waitForLine(/^kv-isolation-ready$/, 10_000);
    return new Isolation(holder, await holder.targetPid(), binds);
  }

  /** hostPath maps a path inside the node to where the test process can read or write it. */
  hostPath(pathInNode: string): string {
    const bind = [...this.binds]
      .sort((a, b) => b.path.length - a.path.length)
      .find((b) => pathInNode === b.path || pathInNode.startsWith(`${b.path}/`));
    return bind ? join(bind.hostPath, pathInNode.slice(bind.path.length)) : pathInNode;
  }

  /** argv wraps a command so it runs inside this isolation (and the node's network namespace). */
  argv(file: string, args: string[] = []): string[] {
    return ['--target', String(this.initPid), '--pid', '--mount', '--net', '--', file, ...args];
  }

  /** exec runs a short command inside the isolation. */
  exec(file: string, args: string[] = [], options?: ExecOptions): Promise<ExecResult> {
    return run('nsenter', this.argv(file, args), options);
  }

  /** spawn starts a long-running process inside the isolation; signals reach it, not nsenter. */
  spawn(name: string, file: string, args: string[] = []): ManagedProcess {
    return ManagedProcess.start({ name, file: 'nsenter', args: this.argv(file, args), wrapperForks: true });
  }

  /**
   * destroy kills PID 1 of the isolated namespace, which makes the kernel kill every process
   * inside it; unshare, still alive, reaps it and exits, so no zombie is left for host init.
   */
  async destroy(): Promise<void> {
    try {
      process.kill(this.initPid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => this.holder.killGroup('SIGKILL'), 2000);
    await this.holder.exited;
    clearTimeout(timer);
  }
}
