import { spawnSync } from 'node:child_process';
import { execa } from 'execa';

/** ExecResult is what a finished command left behind. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** ExecOptions tunes one short command; by default a non-zero exit throws with the output. */
export interface ExecOptions {
  reject?: boolean;
  timeoutMs?: number;
  input?: string;
}

/** run executes a short host command and returns its output; it throws on failure unless `reject: false`. */
export async function run(file: string, args: string[], options: ExecOptions = {}): Promise<ExecResult> {
  const result = await execa(file, args, {
    reject: false,
    timeout: options.timeoutMs ?? 20_000,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : undefined,
  });
  const out: ExecResult = {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
  };
  if (options.reject !== false && (out.exitCode !== 0 || result.timedOut)) {
    throw new Error(
      `${file} ${args.join(' ')} failed (exit ${out.exitCode}${result.timedOut ? ', timed out' : ''}): ${out.stderr || out.stdout}`,
    );
  }
  return out;
}

/** netnsExec runs `file args` inside network namespace `netns` (ip netns exec). */
export function netnsExec(
  netns: string,
  file: string,
  args: string[] = [],
  options?: ExecOptions,
): Promise<ExecResult> {
  return run('ip', ['netns', 'exec', netns, file, ...args], options);
}

/** listNetns returns the names of all named network namespaces (`ip netns list`). */
export function listNetns(): string[] {
  const res = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (res.status !== 0) return [];
  // Lines look like `kvh-n1 (id: 3)`.
  return res.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
}

/** netnsWithPrefix lists the namespaces that belong to topology prefix `prefix` (`${prefix}-*`). */
export function netnsWithPrefix(prefix: string): string[] {
  return listNetns().filter((n) => n.startsWith(`${prefix}-`));
}

/**
 * removeNetnsSync kills every process living in `netns` (including those in nested PID
 * namespaces: `ip netns pids` matches on the network namespace) and deletes it. Synchronous
 * so it can run from a process 'exit' handler.
 */
export function removeNetnsSync(netns: string): void {
  for (let attempt = 0; attempt < 5; attempt++) {
    const pids = spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' });
    const list = (pids.stdout ?? '').split(/\s+/).filter((p) => /^\d+$/.test(p));
    if (list.length === 0) break;
    for (const pid of list) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    spawnSync('sleep', ['0.05']);
  }
  spawnSync('ip', ['netns', 'del', netns], { encoding: 'utf8' });
}

/** sweepPrefixSync removes every namespace left behind by an earlier run with the same prefix. */
export function sweepPrefixSync(prefix: string): string[] {
  const stale = netnsWithPrefix(prefix);
  for (const ns of stale) removeNetnsSync(ns);
  return stale;
}

/**
 * integrationSkipReason says why this machine cannot run namespace tests (not root, no
 * `ip netns`, no veth/bridge), or undefined when it can. Tests pass it to describe.skipIf
 * and print it, so a skip is never silent.
 */
export function integrationSkipReason(): string | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'integration tests need root (network namespaces, raw sockets); run as root';
  }
  const probe = `kvprobe${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.error || add.status !== 0) {
    return `\`ip netns add\` is unavailable: ${add.error?.message ?? add.stderr.trim()}`;
  }
  try {
    const veth = spawnSync('ip', ['-n', probe, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0'], {
      encoding: 'utf8',
    });
    if (veth.status !== 0) return `veth links unavailable: ${veth.stderr.trim()}`;
    const br = spawnSync('ip', ['-n', probe, 'link', 'add', 'br0', 'type', 'bridge'], { encoding: 'utf8' });
    if (br.status !== 0) return `bridge links unavailable: ${br.stderr.trim()}`;
  } finally {
    spawnSync('ip', ['netns', 'del', probe]);
  }
  return undefined;
}
