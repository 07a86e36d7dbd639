/**
 * harness.ts: namespaces, veth pairs and namespace agents for the kernel seam's integration
 * tests. Every name starts with `kvk-` (namespaces) or `kvk` (links) so parallel suites do not
 * collide, and every helper has an undo that tolerates half-built state.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** REPO is the repository root, where `--import tsx` resolves. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const AGENT = fileURLToPath(new URL('./fixtures/agent.ts', import.meta.url));

/** isRoot says whether this process can build namespaces. */
export const isRoot = process.getuid?.() === 0;

/** run executes a command and returns stdout; rejects with stderr on failure. */
export async function run(file: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(file, args, { encoding: 'utf8' });
  return stdout;
}

/** deleteNamespaces removes namespaces (their veth ends go with them), ignoring absent ones. */
export async function deleteNamespaces(...names: string[]): Promise<void> {
  for (const name of names) await run('ip', 'netns', 'del', name).catch(() => undefined);
}

/** VethPairOptions describes two namespaces joined by one veth pair. */
export interface VethPairOptions {
  nsA: string;
  nsB: string;
  ifA: string;
  ifB: string;
  /** v4A/v4B are CIDR addresses for each end. */
  v4A: string;
  v4B: string;
}

/**
 * createVethPair builds nsA <-(ifA veth ifB)-> nsB with IPv4 addresses, DAD off (so link-local
 * addresses are usable at once) and both ends up. Leftovers from a crashed run are removed first.
 */
export async function createVethPair(o: VethPairOptions): Promise<void> {
  await deleteNamespaces(o.nsA, o.nsB);
  await run('ip', 'link', 'del', o.ifA).catch(() => undefined);
  await run('ip', 'netns', 'add', o.nsA);
  await run('ip', 'netns', 'add', o.nsB);
  await run(
    'ip',
    'link',
    'add',
    o.ifA,
    'netns',
    o.nsA,
    'type',
    'veth',
    'peer',
    'name',
    o.ifB,
    'netns',
    o.nsB,
  );
  for (const [ns, ifname, v4] of [
    [o.nsA, o.ifA, o.v4A],
    [o.nsB, o.ifB, o.v4B],
  ] as const) {
    await run('ip', 'netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${ifname}.accept_dad=0`);
    await run('ip', '-n', ns, 'addr', 'add', v4, 'dev', ifname);
    await run('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    await run('ip', '-n', ns, 'link', 'set', ifname, 'up');
  }
  // The kernel adds the link-local address asynchronously once the carrier is up; wait for it.
  for (const [ns, ifname] of [
    [o.nsA, o.ifA],
    [o.nsB, o.ifB],
  ] as const) {
    await waitUntil(async () => {
      const out = await run('ip', '-n', ns, '-6', 'addr', 'show', 'dev', ifname, 'scope', 'link');
      return out.includes('inet6 fe80') && !out.includes('tentative');
    }, `link-local address on ${ifname}`);
  }
}

/** waitUntil polls cond every 20 ms until it holds; throws after timeoutMs naming what. */
export async function waitUntil(
  cond: () => Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** AgentEvent is one line an agent wrote that is not a reply. */
export type AgentEvent = { event: string } & Record<string, unknown>;

/** NsAgent drives fixtures/agent.ts running inside a namespace. */
export class NsAgent {
  readonly events: AgentEvent[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly waiters = new Set<() => void>();
  private stderr = '';

  private constructor(
    readonly ns: string,
    private readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line);
      } catch {
        return;
      }
      if (typeof message.id === 'number') {
        const p = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.ok) p?.resolve(message.result);
        else {
          const e = message.error as { message: string; code?: string; errno?: string; name: string };
          p?.reject(
            Object.assign(new Error(e.message), { code: e.code, errno: e.errno, remoteName: e.name }),
          );
        }
      } else {
        this.events.push({ ...(message as AgentEvent), receivedAt: performance.now() });
        for (const w of this.waiters) w();
      }
    });
    child.stderr!.on('data', (chunk) => {
      this.stderr += String(chunk);
    });
    child.on('exit', (code) => {
      for (const p of this.pending.values())
        p.reject(new Error(`agent in ${ns} exited (${code}): ${this.stderr}`));
      this.pending.clear();
    });
  }

  /** start spawns an agent inside ns and waits until it is ready. */
  static async start(ns: string): Promise<NsAgent> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', AGENT], {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const agent = new NsAgent(ns, child);
    try {
      await agent.waitFor((e) => e.event === 'ready', 20_000);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return agent;
  }

  /** call runs a handler in the agent and resolves with its result. */
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin!.write(`${JSON.stringify({ id, method, args })}\n`);
    });
  }

  /** waitFor resolves with the first event (past or future) matching pred, or rejects after timeoutMs. */
  waitFor(pred: (e: AgentEvent) => boolean, timeoutMs = 5_000): Promise<AgentEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.find(pred);
        if (!found) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `no matching event from agent in ${this.ns} within ${timeoutMs} ms; stderr: ${this.stderr}`,
          ),
        );
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  /** stop ends the agent and waits for it to exit; kills it if it does not. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Capture is a running tcpdump whose frames are read back as hex. */
export interface Capture {
  /** stop ends tcpdump and returns each captured frame as hex (Ethernet header included). */
  stop(): Promise<string[]>;
}

/** startCapture runs tcpdump -xx inside ns on ifname and resolves once it is listening. */
export async function startCapture(ns: string, ifname: string, filter: string): Promise<Capture> {
  const child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-l', '-n', '-xx', '-i', ifname, filter], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => {
    stdout += String(chunk);
  });
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${stderr}`)), 10_000);
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
      if (stderr.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', () => reject(new Error(`tcpdump exited: ${stderr}`)));
  });
  return {
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
      return parseTcpdumpHex(stdout);
    },
  };
}

/** parseTcpdumpHex collects the `0x0000:  ffff ...` lines of each frame into one hex string. */
export function parseTcpdumpHex(text: string): string[] {
  const frames: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s+0x([0-9a-f]{4}):\s+((?:[0-9a-f]{2,4}\s?)+)/.exec(line);
    if (!m) continue;
    const hex = m[2]!.replace(/\s+/g, '');
    if (m[1] === '0000') frames.push(hex);
    else frames[frames.length - 1] += hex;
  }
  return frames;
}

/** AgentError is a rejection from NsAgent.call, carrying the remote error's code and errno. */
export type AgentError = Error & { code?: string; errno?: string };

/** failure resolves with the error a call rejects with (and fails the test if it resolves). */
export async function failure(call: Promise<unknown>): Promise<AgentError> {
  try {
    await call;
  } catch (error) {
    return error as AgentError;
  }
  throw new Error('expected the call to fail, it succeeded');
}

/** sleep waits ms milliseconds (only for "nothing arrives" checks, never for protocol timers). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
