import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PRIVATE_PATHS, Isolation } from './isolation.js';
import {
  type ExecOptions,
  type ExecResult,
  netnsExec,
  netnsWithPrefix,
  removeNetnsSync,
  run,
  sweepPrefixSync,
} from './netns.js';
import { liveGroups, ManagedProcess } from './processes.js';
import { waitUntil } from './wait.js';

/** TopologyOptions describes the machines of one test file; `prefix` must be unique per file. */
export interface TopologyOptions {
  /** prefix names every namespace (`${prefix}-br`, `${prefix}-n1`...): 2..8 of [a-z0-9], unique per test file. */
  prefix: string;
  /** nodes are the VRRP machines, e.g. ['n1', 'n2']; names of at most 8 characters. */
  nodes: string[];
  /** client adds a namespace named `client` for the prober. */
  client?: boolean;
  /** ipv6 adds a ULA /64 (with nodad) and waits for each node's link-local address. */
  ipv6?: boolean;
  /** subnet4 is an IPv4 /24 like '10.77.5.0/24'; by default derived from the prefix. */
  subnet4?: string;
}

/** CLIENT_NAME is the node name of the client namespace. */
export const CLIENT_NAME = 'client';
/** CLIENT_HOST is the client's host number in each subnet (nodes get 1, 2, 3... in order). */
export const CLIENT_HOST = 250;

/**
 * TopoNode is one machine: a network namespace whose `eth0` is a veth to the shared bridge.
 * Commands run through `ip netns exec`; `isolate()` adds a private PID/mount namespace.
 */
export class TopoNode {
  /** name is the node name given to createTopology ('n1', 'client'). */
  readonly name: string;
  /** netns is the network namespace name (`${prefix}-${name}`). */
  readonly netns: string;
  /** bridgePort is the veth end on the bridge (in `${prefix}-br`); linkDown downs it. */
  readonly bridgePort: string;
  /** bridgeNetns is the namespace holding the bridge and `bridgePort`. */
  readonly bridgeNetns: string;
  /** addr4 is the node's IPv4 address on eth0, without prefix length. */
  readonly addr4: string;
  /** addr6 is the node's global IPv6 address on eth0 (when ipv6), without prefix length. */
  readonly addr6: string | undefined;
  /** linkLocal6 is the kernel's fe80:: address of eth0 (when ipv6), filled in by createTopology. */
  linkLocal6: string | undefined;
  /** dir is this node's scratch directory on the host. */
  readonly dir: string;
  private readonly topology: Topology;
  private isolation: Promise<Isolation> | undefined;

  constructor(topology: Topology, name: string, host: number) {
    this.topology = topology;
    this.name = name;
    this.netns = `${topology.prefix}-${name}`;
    this.bridgePort = `v-${name}`;
    this.bridgeNetns = `${topology.prefix}-br`;
    this.addr4 = topology.addr4(host);
    this.addr6 = topology.ipv6 ? topology.addr6(host) : undefined;
    this.dir = join(topology.dir, name);
  }

  /** exec runs a short command in this node's network namespace. */
  exec(file: string, args: string[] = [], options?: ExecOptions): Promise<ExecResult> {
    return netnsExec(this.netns, file, args, options);
  }

  /** spawn starts a long-running process in this node's network namespace; destroy() kills it. */
  spawn(name: string, file: string, args: string[] = [], env?: Record<string, string>): ManagedProcess {
    const proc = ManagedProcess.start({
      name: `${this.name}/${name}`,
      file: 'ip',
      args: ['netns', 'exec', this.netns, file, ...args],
      env,
    });
    this.topology.track(proc);
    return proc;
  }

  /**
   * isolate starts (once) this node's PID and mount namespace; later calls return the same one.
   * `privatePaths` only matters on the first call.
   */
  isolate(privatePaths: readonly string[] = DEFAULT_PRIVATE_PATHS): Promise<Isolation> {
    this.isolation ??= Isolation.start(this.netns, this.name, join(this.dir, 'root'), privatePaths);
    return this.isolation;
  }

  /** execIsolated runs a short command inside this node's isolation (starting it if needed). */
  async execIsolated(file: string, args: string[] = [], options?: ExecOptions): Promise<ExecResult> {
    return (await this.isolate()).exec(file, args, options);
  }

  /** spawnIsolated starts a long-running process inside this node's isolation; destroy() kills it. */
  async spawnIsolated(name: string, file: string, args: string[] = []): Promise<ManagedProcess> {
    const proc = (await this.isolate()).spawn(`${this.name}/${name}`, file, args);
    this.topology.track(proc);
    return proc;
  }

  /** hostPath maps a path inside the node to the host path (differs only for isolated private paths). */
  async hostPath(pathInNode: string): Promise<string> {
    return this.isolation ? (await this.isolation).hostPath(pathInNode) : pathInNode;
  }

  /** addresses lists the addresses on this node's interfaces (`ip -o addr show`), without lengths. */
  async addresses(dev?: string): Promise<string[]> {
    const res = await run('ip', ['-n', this.netns, '-o', 'addr', 'show', ...(dev ? ['dev', dev] : [])]);
    return res.stdout
      .split('\n')
      .map((line) => /\sinet6?\s+([^\s/]+)/.exec(line)?.[1])
      .filter((a): a is string => a !== undefined);
  }

  /** destroyIsolation kills the isolated namespace and everything in it. */
  async destroyIsolation(): Promise<void> {
    const iso = this.isolation;
    this.isolation = undefined;
    if (iso) await (await iso).destroy();
  }
}

/** Topology is a bridge namespace plus node namespaces; `destroy()` removes all of it. */
export class Topology {
  /** prefix is the namespace-name prefix of this topology. */
  readonly prefix: string;
  /** bridgeNetns holds the Linux bridge `br0` and the bridge-side veth ends. */
  readonly bridgeNetns: string;
  /** dir is the host scratch directory (configs, logs, isolated roots). */
  readonly dir: string;
  /** ipv6 says whether nodes have IPv6 addresses. */
  readonly ipv6: boolean;
  /** nodes are the VRRP machines by name. */
  readonly nodes: ReadonlyMap<string, TopoNode>;
  /** client is the prober's namespace, when requested. */
  readonly client: TopoNode | undefined;
  /** subnet4Base is the first three octets of the IPv4 /24, e.g. '10.77.5'. */
  readonly subnet4Base: string;
  private readonly procs = new Set<ManagedProcess>();
  private destroyed = false;

  constructor(options: TopologyOptions, dir: string) {
    this.prefix = options.prefix;
    this.bridgeNetns = `${options.prefix}-br`;
    this.dir = dir;
    this.ipv6 = options.ipv6 ?? false;
    const subnet = options.subnet4 ?? `10.77.${prefixOctet(options.prefix)}.0/24`;
    const m = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(subnet);
    if (!m) throw new Error(`subnet4 must be an a.b.c.0/24 network, got ${subnet}`);
    this.subnet4Base = m[1]!;
    const nodes = new Map<string, TopoNode>();
    options.nodes.forEach((name, i) => {
      nodes.set(name, new TopoNode(this, name, i + 1));
    });
    this.nodes = nodes;
    this.client = options.client ? new TopoNode(this, CLIENT_NAME, CLIENT_HOST) : undefined;
  }

  /** addr4 is host number `host` in the IPv4 subnet, e.g. addr4(100) for a VIP. */
  addr4(host: number): string {
    return `${this.subnet4Base}.${host}`;
  }

  /** addr6 is host number `host` (written in hex) in the IPv6 ULA /64. */
  addr6(host: number): string {
    return `fd77:0:0:${prefixOctet(this.prefix).toString(16)}::${host.toString(16)}`;
  }

  /** node returns the node called `name` or throws. */
  node(name: string): TopoNode {
    const n = this.nodes.get(name) ?? (name === CLIENT_NAME ? this.client : undefined);
    if (!n) throw new Error(`no node ${name} in topology ${this.prefix}`);
    return n;
  }

  /** all lists the nodes and then the client. */
  all(): TopoNode[] {
    return [...this.nodes.values(), ...(this.client ? [this.client] : [])];
  }

  /** track registers a process so destroy() kills it. */
  track(proc: ManagedProcess): void {
    this.procs.add(proc);
    void proc.exited.then(() => this.procs.delete(proc));
  }

  /** whoHas returns the names of the VRRP nodes that currently hold `address` (`ip -o addr show`). */
  async whoHas(address: string): Promise<string[]> {
    const holders: string[] = [];
    for (const node of this.nodes.values()) {
      if ((await node.addresses()).includes(address)) holders.push(node.name);
    }
    return holders;
  }

  /** waitForVipOn waits until `address` is held by `node` and by no other node. */
  async waitForVipOn(node: string, address: string, timeoutMs: number): Promise<void> {
    let last: string[] = [];
    await waitUntil(
      async () => {
        last = await this.whoHas(address);
        return last.length === 1 && last[0] === node;
      },
      { timeoutMs, what: `${address} on ${node} only` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; holders now: [${last.join(', ')}]`);
    });
  }

  /**
   * destroy removes everything the topology created: tracked processes (SIGTERM, then
   * SIGKILL), isolated namespaces, any other process still in its namespaces, the namespaces
   * (which takes the veths and the bridge with them) and the scratch directory. Idempotent.
   */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    await Promise.all([...this.procs].map((p) => p.stop('SIGTERM', 2000).catch(() => undefined)));
    for (const node of this.all()) await node.destroyIsolation().catch(() => undefined);
    this.destroySync();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** destroySync is the synchronous last resort used on process exit. */
  destroySync(): void {
    for (const proc of this.procs) proc.killGroup('SIGKILL');
    for (const ns of [...this.all().map((n) => n.netns), this.bridgeNetns]) {
      if (netnsWithPrefix(this.prefix).includes(ns)) removeNetnsSync(ns);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const live = new Set<Topology>();
let exitHookInstalled = false;

// If a test file dies without its afterAll (crash, timeout, Ctrl-C), the worker still emits
// 'exit': kill what we started and remove the namespaces synchronously there.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const cleanup = () => {
    for (const topo of live) topo.destroySync();
    for (const pgid of liveGroups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  process.once('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanup();
      process.kill(process.pid, sig);
    });
  }
}

function prefixOctet(prefix: string): number {
  let h = 0;
  for (const ch of prefix) h = (h * 31 + ch.charCodeAt(0)) % 250;
  return h + 1;
}

/**
 * createTopology builds namespaces `${prefix}-br` (bridge br0) and one per node and client,
 * each joined by a veth `v-NAME` (bridge side) / `eth0` (node side), with IPv4 (and IPv6)
 * addresses and lo up. Leftovers from an earlier run with the same prefix are removed first.
 */
export async function createTopology(options: TopologyOptions): Promise<Topology> {
  if (!/^[a-z][a-z0-9]{1,7}$/.test(options.prefix)) {
    throw new Error(
      `topology prefix must be 2..8 of [a-z0-9] starting with a letter, got '${options.prefix}'`,
    );
  }
  for (const name of options.nodes) {
    // `v-${name}` must fit IFNAMSIZ (15 characters).
    if (!/^[a-z][a-z0-9]{0,7}$/.test(name) || name === CLIENT_NAME || name === 'br') {
      throw new Error(`node name must be 1..8 of [a-z0-9] (not 'client' or 'br'), got '${name}'`);
    }
  }
  sweepPrefixSync(options.prefix);
  const dir = await mkdtemp(join(tmpdir(), `keepvip-${options.prefix}-`));
  const topo = new Topology(options, dir);
  live.add(topo);
  installExitHook();
  try {
    await build(topo);
  } catch (err) {
    await topo.destroy();
    throw err;
  }
  return topo;
}

async function build(topo: Topology): Promise<void> {
  const br = topo.bridgeNetns;
  await run('ip', ['netns', 'add', br]);
  await run('ip', ['-n', br, 'link', 'add', 'br0', 'type', 'bridge']);
  // No STP and no forwarding delay: a port is usable the moment it is up, as on a plain switch.
  await run('ip', ['-n', br, 'link', 'set', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
  await run('ip', ['-n', br, 'link', 'set', 'br0', 'up']);
  for (const node of topo.all()) {
    await mkdir(node.dir, { recursive: true });
    await run('ip', ['netns', 'add', node.netns]);
    await run('ip', [
      '-n',
      br,
      'link',
      'add',
      node.bridgePort,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      node.netns,
    ]);
    await run('ip', ['-n', br, 'link', 'set', node.bridgePort, 'master', 'br0', 'up']);
    const ns = ['-n', node.netns];
    await run('ip', [...ns, 'link', 'set', 'lo', 'up']);
    if (topo.ipv6) {
      // DAD would leave the link-local tentative for ~1 s; VRRPv3 over IPv6 needs it usable at once.
      await node.exec('sysctl', ['-qw', 'net.ipv6.conf.eth0.accept_dad=0']);
    }
    await run('ip', [...ns, 'addr', 'add', `${node.addr4}/24`, 'dev', 'eth0']);
    if (node.addr6) await run('ip', [...ns, 'addr', 'add', `${node.addr6}/64`, 'dev', 'eth0', 'nodad']);
    await run('ip', [...ns, 'link', 'set', 'eth0', 'up']);
  }
  if (topo.ipv6) {
    for (const node of topo.all()) {
      node.linkLocal6 = await waitUntil(
        async () => {
          const res = await run('ip', [
            '-n',
            node.netns,
            '-o',
            '-6',
            'addr',
            'show',
            'dev',
            'eth0',
            'scope',
            'link',
          ]);
          if (res.stdout.includes('tentative')) return undefined;
          return /\sinet6\s+(fe80::[^\s/]+)/.exec(res.stdout)?.[1];
        },
        { timeoutMs: 10_000, what: `link-local address on ${node.netns} eth0` },
      );
    }
  }
}

/** leftoverNetns lists namespaces still present for `prefix`; an empty list means destroy() worked. */
export function leftoverNetns(prefix: string): string[] {
  return netnsWithPrefix(prefix);
}

/** processesIn lists the host pids of processes still living in namespace `netns`. */
export function processesIn(netns: string): number[] {
  const res = spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' });
  return (res.stdout ?? '')
    .split(/\s+/)
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
}
