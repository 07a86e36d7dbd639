/**
 * Shared pieces of the VRRP fault suite (issue 11 item 4): a keepvip pair on one topology, the
 * state transitions each daemon logged, and who holds a VIP. Every test here measures real
 * daemons in real namespaces.
 */
import { rmSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  REPO_ROOT,
  simpleVrrpConfig,
  VrrpDaemon,
  type VrrpDaemonPaths,
  vrrpArgv,
} from '../../helpers/keepalived.js';
import { run } from '../../helpers/netns.js';
import type { TopoNode, Topology } from '../../helpers/topology.js';
import { keepvipInstance } from '../vrrp/status.js';

/**
 * runtimeRoot is this test file's private copy of keepvip (bin/, dist/, package.json, templates/,
 * the native addon; node_modules linked), set by buildDist. The fault tests start daemons again
 * and again for minutes; the shared dist/ is rebuilt by other test runs meanwhile, and a daemon
 * started while it is half written fails to load for reasons that are not keepvip's.
 */
let runtimeRoot: string | undefined;

/** buildDist compiles the current sources into a private runtime copy (runtimeRoot) once per file. */
export async function buildDist(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'keepvip-faults-rt-'));
  await run('npx', ['tsc', '-p', 'tsconfig.json', '--outDir', join(root, 'dist')], {
    timeoutMs: 180_000,
  });
  for (const path of ['bin', 'package.json', 'templates', 'native/build/Release'])
    await cp(join(REPO_ROOT, path), join(root, path), { recursive: true });
  await symlink(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
  runtimeRoot = root;
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
}

/** removeRuntime deletes the private runtime copy (call it in afterAll, after the daemons stopped). */
export async function removeRuntime(): Promise<void> {
  const root = runtimeRoot;
  runtimeRoot = undefined;
  if (root) await rm(root, { recursive: true, force: true });
}

/**
 * startKeepvipDaemon starts keepvip from the private runtime copy in `node` (not isolated), with
 * the harness's paths and flags (startVrrpDaemon's keepvip preset); it returns at once.
 */
export async function startKeepvipDaemon(node: TopoNode, config: string): Promise<VrrpDaemon> {
  const root = runtimeRoot;
  if (!root) throw new Error('buildDist() must run first (beforeAll)');
  const dir = join(node.dir, 'keepvip');
  const paths: VrrpDaemonPaths = {
    config: join(dir, 'keepalived.conf'),
    pid: join(dir, 'keepalived.pid'),
    vrrpPid: join(dir, 'vrrp.pid'),
    checkersPid: join(dir, 'checkers.pid'),
    bfdPid: join(dir, 'bfd.pid'),
    control: join(dir, 'keepvip.sock'),
  };
  await mkdir(dir, { recursive: true });
  await writeFile(paths.config, config);
  const [file, ...args] = vrrpArgv('keepvip', paths);
  const bin = join(REPO_ROOT, 'bin', 'keepvip');
  const argv = args.map((a) => (a === bin ? join(root, 'bin', 'keepvip') : a));
  const proc = node.spawn('keepvip', file!, argv);
  return new VrrpDaemon(node, 'keepvip', paths, paths.config, proc);
}

/** Transition is one `(NAME) Entering X STATE` line a daemon logged, stamped by the harness (nowMs). */
export interface Transition {
  t: number;
  instance: string;
  to: string;
  /** index is the line's index in the daemon's captured output. */
  index: number;
}

/** transitionsOf lists the state changes daemon `d` logged from line `since` on, in order. */
export function transitionsOf(d: VrrpDaemon, since = 0, instance?: string): Transition[] {
  const out: Transition[] = [];
  d.lines.forEach((l, index) => {
    if (index < since) return;
    const m = /\((\S+)\) Entering (MASTER|BACKUP|FAULT|STOP\w*) STATE/.exec(l.text);
    if (m && (instance === undefined || m[1] === instance))
      out.push({ t: l.t, instance: m[1]!, to: m[2]!, index });
  });
  return out;
}

/** PairNodeOptions are one node's part of a one-instance pair. */
export interface PairNodeOptions {
  name: string;
  priority: number;
  state?: 'MASTER' | 'BACKUP';
  instanceExtra?: string;
  topLevelExtra?: string;
  interface?: string;
}

/**
 * pairConfig renders one node's keepalived.conf: VI_1 (VRRPv3, so sub-second advert_int is kept;
 * v2 rounds it to whole seconds) with `vip`/24 on eth0, advert_int `advertIntSec`.
 */
export function pairConfig(n: PairNodeOptions, vrid: number, vip: string, advertIntSec: number): string {
  return simpleVrrpConfig({
    routerId: n.name,
    state: n.state ?? 'BACKUP',
    interface: n.interface,
    virtualRouterId: vrid,
    priority: n.priority,
    advertIntSec,
    vips: [`${vip}/24`],
    instanceExtra: `  version 3\n${n.instanceExtra ?? ''}`,
    topLevelExtra: n.topLevelExtra,
  });
}

/** startKeepvip starts keepvip on topology node `n.name` with the pair configuration. */
export function startKeepvip(
  topo: Topology,
  n: PairNodeOptions,
  vrid: number,
  vip: string,
  advertIntSec: number,
): Promise<VrrpDaemon> {
  return startKeepvipDaemon(topo.node(n.name), pairConfig(n, vrid, vip, advertIntSec));
}

/** stateOf is what keepvip itself says about VI_1 (over its control socket), or 'DOWN' when it does not answer. */
export async function stateOf(d: VrrpDaemon, name = 'VI_1'): Promise<string> {
  try {
    return (await keepvipInstance(d, name)).state;
  } catch {
    return 'DOWN';
  }
}

/** wallMs parses a keepvip transition's ISO wall time into epoch ms (the nowMs() axis, to a millisecond). */
export function wallMs(iso: string): number {
  return Date.parse(iso);
}

/** keepvipTransitions returns VI_1's transition records (with daemon-side wall times) from keepvip status. */
export async function keepvipTransitions(
  d: VrrpDaemon,
  name = 'VI_1',
): Promise<{ from: string; to: string; reason: string; t: number }[]> {
  const inst = (await keepvipInstance(d, name)) as unknown as {
    transitions: { from: string; to: string; reason: string; wallTime: string }[];
  };
  return inst.transitions.map((r) => ({ from: r.from, to: r.to, reason: r.reason, t: wallMs(r.wallTime) }));
}
