import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestControl } from '../../src/control/client.js';
import type { LogLine, ManagedProcess, ProcessExit } from './processes.js';
import type { TopoNode } from './topology.js';

/** VrrpPreset names the two VRRP daemons the harness can run: the reference and ours. */
export type VrrpPreset = 'keepalived' | 'keepvip';

/** REPO_ROOT is the keepvip checkout the harness belongs to. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** KEEPVIP_NODE_FLAGS are the node flags of bin/keepvip's #! line: a daemon started here runs as an installed one. */
export const KEEPVIP_NODE_FLAGS: readonly string[] = (
  /^#!\/usr\/bin\/env -S node(.*)$/.exec(
    readFileSync(join(REPO_ROOT, 'bin', 'keepvip'), 'utf8').split('\n')[0] ?? '',
  )?.[1] ?? ''
)
  .split(' ')
  .filter(Boolean);

/** VrrpDaemonPaths are the paths a daemon uses, as seen inside the node. */
export interface VrrpDaemonPaths {
  config: string;
  pid: string;
  vrrpPid: string;
  checkersPid: string;
  bfdPid: string;
  /** control is keepvip's control socket (`--control`), one per node so `keepvip status` reaches the right daemon. */
  control?: string;
}

/** VrrpDaemonOptions says which daemon to run with which configuration text. */
export interface VrrpDaemonOptions {
  /** preset chooses the argv; both are started with keepalived's flags (-f -n -l -D -p). */
  preset: VrrpPreset;
  /** config is the keepalived.conf text. */
  config: string;
  /**
   * isolated runs the daemon in the node's PID/mount namespace (see isolation.ts); the config is
   * then written to the node's own /etc/keepalived/keepalived.conf and pid files go to its /run.
   */
  isolated?: boolean;
  /** extraArgs are appended to the preset's argv (e.g. ['-P'] for VRRP only). */
  extraArgs?: string[];
}

/**
 * vrrpArgv is the command line of a preset. keepalived 2.2.7 gets a pid file per child
 * (-p parent, -r VRRP, -c checkers, -b BFD) so two instances on one host never share
 * /run/keepalived.pid, -G so nothing goes to the host's syslog. keepvip takes keepalived's
 * flags; it runs from this checkout's bin/ under the current node binary.
 */
export function vrrpArgv(preset: VrrpPreset, paths: VrrpDaemonPaths, extraArgs: string[] = []): string[] {
  const common = ['-f', paths.config, '-n', '-l', '-D', '-p', paths.pid];
  if (preset === 'keepalived') {
    return [
      'keepalived',
      ...common,
      '-r',
      paths.vrrpPid,
      '-c',
      paths.checkersPid,
      '-b',
      paths.bfdPid,
      '-G',
      ...extraArgs,
    ];
  }
  return [
    process.execPath,
    ...KEEPVIP_NODE_FLAGS,
    // KV_DAEMON_NODE_FLAGS adds node flags for diagnosis (e.g. `--cpu-prof --cpu-prof-dir=DIR`).
    ...(process.env.KV_DAEMON_NODE_FLAGS ?? '').split(' ').filter(Boolean),
    join(REPO_ROOT, 'bin', 'keepvip'),
    ...common,
    ...(paths.control ? ['--control', paths.control] : []),
    ...extraArgs,
  ];
}

/** VrrpDaemon is a running keepalived or keepvip inside a node. */
export class VrrpDaemon {
  /** node is where the daemon runs. */
  readonly node: TopoNode;
  /** preset is which daemon this is. */
  readonly preset: VrrpPreset;
  /** paths are the daemon's paths inside the node. */
  readonly paths: VrrpDaemonPaths;
  /** configHostPath is where the test can rewrite the config before reload(). */
  readonly configHostPath: string;
  /** proc is the underlying managed process. */
  readonly proc: ManagedProcess;

  constructor(
    node: TopoNode,
    preset: VrrpPreset,
    paths: VrrpDaemonPaths,
    configHostPath: string,
    proc: ManagedProcess,
  ) {
    this.node = node;
    this.preset = preset;
    this.paths = paths;
    this.configHostPath = configHostPath;
    this.proc = proc;
  }

  /** lines are the daemon's log lines so far, each stamped with nowMs() at arrival. */
  get lines(): readonly LogLine[] {
    return this.proc.lines;
  }

  /** waitForLog waits for a log line matching `pattern` (at index >= `since`), e.g. /Entering MASTER STATE/. */
  waitForLog(pattern: RegExp, timeoutMs: number, since = 0): Promise<LogLine> {
    return this.proc.waitForLine(pattern, timeoutMs, since);
  }

  /** rewriteConfig replaces the configuration file (follow with reload()). */
  async rewriteConfig(config: string): Promise<void> {
    await writeFile(this.configHostPath, config);
  }

  /** reload sends SIGHUP, keepalived's reload signal. */
  reload(): Promise<void> {
    return this.proc.signal('SIGHUP');
  }

  /** stop sends SIGTERM and waits (SIGKILL after `timeoutMs`); keepalived then releases its VIPs. */
  stop(timeoutMs = 10_000): Promise<ProcessExit> {
    return this.proc.stop('SIGTERM', timeoutMs);
  }

  /** status asks a keepvip daemon for `keepvip status --json` over its control socket (keepalived has none). */
  async status(): Promise<unknown> {
    if (this.preset !== 'keepvip') throw new Error(`${this.node.name}: ${this.preset} has no control socket`);
    if (!this.paths.control) throw new Error(`${this.node.name}: no control socket path`);
    return requestControl(await this.node.hostPath(this.paths.control), 'status');
  }

  /** crash SIGKILLs the daemon and its children and waits until they are reaped: no shutdown advert, VIPs stay configured. */
  crash(): Promise<void> {
    return this.proc.crash();
  }
}

/** startVrrpDaemon writes the config and starts the daemon in `node`; it returns at once (use waitForLog). */
export async function startVrrpDaemon(node: TopoNode, options: VrrpDaemonOptions): Promise<VrrpDaemon> {
  let paths: VrrpDaemonPaths;
  if (options.isolated) {
    // Inside an isolation /etc/keepalived and /run are the node's own, so keepalived's
    // defaults are safe and seed configs' absolute paths mean what they say.
    await node.isolate();
    paths = {
      config: '/etc/keepalived/keepalived.conf',
      pid: '/run/keepalived.pid',
      vrrpPid: '/run/vrrp.pid',
      checkersPid: '/run/checkers.pid',
      bfdPid: '/run/bfd.pid',
      control: '/run/keepvip/keepvip.sock',
    };
  } else {
    const dir = join(node.dir, options.preset);
    paths = {
      config: join(dir, 'keepalived.conf'),
      pid: join(dir, 'keepalived.pid'),
      vrrpPid: join(dir, 'vrrp.pid'),
      checkersPid: join(dir, 'checkers.pid'),
      bfdPid: join(dir, 'bfd.pid'),
      control: join(dir, 'keepvip.sock'),
    };
  }
  const configHostPath = await node.hostPath(paths.config);
  await mkdir(dirname(configHostPath), { recursive: true });
  await mkdir(dirname(await node.hostPath(paths.pid)), { recursive: true });
  await writeFile(configHostPath, options.config);
  const [file, ...args] = vrrpArgv(options.preset, paths, options.extraArgs);
  const proc = options.isolated
    ? await node.spawnIsolated(options.preset, file!, args)
    : node.spawn(options.preset, file!, args);
  return new VrrpDaemon(node, options.preset, paths, configHostPath, proc);
}

/** SimpleInstanceOptions describes one vrrp_instance for simpleVrrpConfig. */
export interface SimpleInstanceOptions {
  routerId: string;
  instance?: string;
  state?: 'MASTER' | 'BACKUP';
  interface?: string;
  virtualRouterId: number;
  priority: number;
  advertIntSec?: number;
  /** authPass enables VRRPv2 PASS authentication (RFC 2338 type 1) with this password. */
  authPass?: string;
  /** vips are CIDR addresses, e.g. ['10.77.5.100/24']. */
  vips: string[];
  /** instanceExtra is inserted verbatim inside vrrp_instance (track_script, notify, nopreempt...). */
  instanceExtra?: string;
  /** topLevelExtra is inserted verbatim before vrrp_instance (vrrp_script blocks...). */
  topLevelExtra?: string;
}

/** simpleVrrpConfig renders a keepalived.conf with one vrrp_instance, enough for most tests. */
export function simpleVrrpConfig(o: SimpleInstanceOptions): string {
  const dev = o.interface ?? 'eth0';
  const auth = o.authPass ? `  authentication {\n    auth_type PASS\n    auth_pass ${o.authPass}\n  }\n` : '';
  return [
    `global_defs {\n  router_id ${o.routerId}\n}\n`,
    o.topLevelExtra ?? '',
    `vrrp_instance ${o.instance ?? 'VI_1'} {`,
    `  state ${o.state ?? 'BACKUP'}`,
    `  interface ${dev}`,
    `  virtual_router_id ${o.virtualRouterId}`,
    `  priority ${o.priority}`,
    `  advert_int ${o.advertIntSec ?? 1}`,
    auth + `  virtual_ipaddress {`,
    ...o.vips.map((v) => `    ${v} dev ${dev}`),
    '  }',
    o.instanceExtra ?? '',
    '}',
    '',
  ].join('\n');
}
