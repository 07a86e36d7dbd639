import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HarnessTimeoutError, sleep } from './wait.js';

/** UML_KERNEL is Debian's user-mode-linux kernel (package user-mode-linux). */
export const UML_KERNEL = '/usr/bin/linux.uml';
/** UML_MODULES holds the guest kernel's modules (ip_vs and its schedulers among them). */
export const UML_MODULES = '/usr/lib/uml/modules';
/** IPVS_MODULES are ip_vs and every scheduler the UML kernel ships, for `bootGuest({ modules })`. */
export const IPVS_MODULES = [
  'ip_vs',
  'ip_vs_rr',
  'ip_vs_wrr',
  'ip_vs_lc',
  'ip_vs_wlc',
  'ip_vs_lblc',
  'ip_vs_lblcr',
  'ip_vs_dh',
  'ip_vs_sh',
  'ip_vs_sed',
  'ip_vs_nq',
  'ip_vs_fo',
  'ip_vs_ovf',
  'ip_vs_mh',
];

const HERE = dirname(fileURLToPath(import.meta.url));
const INIT = resolve(HERE, 'uml/init.sh');
/** REPO_ROOT is the repository, visible at the same path inside the guest (init.sh gives it back when it is under a shadowed /tmp). */
export const REPO_ROOT = resolve(HERE, '../..');
const TSX_LOADER = resolve(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs');

/** umlSkipReason says why a UML guest cannot run here (no linux.uml, no modules, not root), or undefined. */
export function umlSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'user-mode-linux needs Linux';
  if (process.getuid?.() !== 0) return 'user-mode-linux guests need root (hostfs root file system)';
  if (!existsSync(UML_KERNEL)) return `${UML_KERNEL} is missing (apt-get install user-mode-linux)`;
  if (!existsSync(UML_MODULES) || readdirSync(UML_MODULES).length === 0)
    return `${UML_MODULES} has no module tree`;
  if (!existsSync(INIT)) return `${INIT} is missing`;
  return undefined;
}

/** GuestOptions tunes one boot. */
export interface GuestOptions {
  /** mem is the guest's memory (UML `mem=`), default 768M. */
  mem?: string;
  /** modules are loaded with modprobe before the guest reports ready (e.g. IPVS_MODULES). */
  modules?: string[];
  /** tmpfs lists extra guest directories to shadow with a tmpfs (writes there never reach the host). */
  tmpfs?: string[];
  /** timeoutMs is the hard limit for the whole guest's life; it is killed after. Default 10 min. */
  timeoutMs?: number;
  /** bootTimeoutMs bounds the boot until the agent is ready (default 180 s: ~3 s on an idle host, a minute on a loaded one). */
  bootTimeoutMs?: number;
  /** name labels the guest's job directory. */
  name?: string;
}

/** StepOptions tunes one step run in the guest. */
export interface StepOptions {
  /**
   * lang is how the script runs: `bash` (default), `node` (an ES module) or `tsx` (TypeScript
   * through the repository's tsx loader: import the sources by absolute path, e.g.
   * `${REPO_ROOT}/src/kernel/ipvs/client.ts`, no build needed).
   */
  lang?: 'bash' | 'node' | 'tsx';
  /** timeoutMs is the step's limit inside the guest (coreutils timeout), default 5 min. */
  timeoutMs?: number;
  /** env is added to the step's environment. */
  env?: Record<string, string>;
}

/** StepResult is what one step left behind. */
export interface StepResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** UmlStepError is thrown by `guest.check` for a step that exited non-zero. */
export class UmlStepError extends Error {
  readonly result: StepResult;
  constructor(what: string, result: StepResult) {
    super(`guest step ${what} exited ${result.exitCode}: ${result.stderr || result.stdout}`);
    this.result = result;
  }
}

const liveGuests = new Set<UmlGuest>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const cleanup = () => {
    for (const g of liveGuests) g.killSync();
  };
  process.once('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanup();
      process.kill(process.pid, sig);
    });
  }
}

/**
 * UmlGuest is one running user-mode-linux kernel. Its job directory `dir` is the same path on
 * the host and in the guest (the guest's /tmp, /run, /var/log... are tmpfs); `resultsDir`
 * (`dir/results`) is the working directory of every step and the place to leave files for
 * the host. Steps may run concurrently (`run` without awaiting); `shutdown` powers it off.
 */
export class UmlGuest {
  /** dir is the job directory, shared at the same path by host and guest. */
  readonly dir: string;
  /** resultsDir is `dir/results`: steps' working directory ($KV_RESULTS in the guest). */
  readonly resultsDir: string;
  /** pid is the linux.uml process id (and its process group). */
  readonly pid: number;
  /** console collects the guest console (kernel messages and the agent's own output). */
  console = '';
  /** exited resolves when the linux.uml process ends. */
  readonly exited: Promise<number | null>;
  private nextStep = 1;
  private alive = true;
  private readonly hardTimer: NodeJS.Timeout;

  private constructor(dir: string, options: GuestOptions) {
    this.dir = dir;
    this.resultsDir = join(dir, 'results');
    const args = [
      `mem=${options.mem ?? '768M'}`,
      'rootfstype=hostfs',
      'rootflags=/',
      'rw',
      `init=${INIT}`,
      // The mconsole socket and pid file go to the job directory, not ~/.uml.
      `uml_dir=${dir}`,
      'umid=uml',
      'con=null',
      'con0=fd:0,fd:1',
      'loglevel=4',
      `KV_JOB=${dir}`,
      `KV_REPO=${REPO_ROOT}`,
      `KV_MODULES=${(options.modules ?? []).join(',')}`,
      `KV_TMPFS=${(options.tmpfs ?? []).join(':')}`,
      `KV_TSX=file://${TSX_LOADER}`,
      // The guest's own watchdog, a little after the host's kill, in case the host side is gone.
      `KV_TIMEOUT=${Math.ceil((options.timeoutMs ?? 600_000) / 1000) + 30}`,
    ];
    const child = spawn(UML_KERNEL, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error(`spawn ${UML_KERNEL} failed`);
    this.pid = child.pid;
    const append = (b: Buffer) => {
      if (this.console.length < 1_000_000) this.console += b.toString('utf8');
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    this.exited = new Promise((res) => {
      child.once('exit', (code) => {
        this.alive = false;
        liveGuests.delete(this);
        clearTimeout(this.hardTimer);
        // UML's helper processes share the group; make sure none outlives the kernel.
        this.killGroup();
        res(code);
      });
    });
    this.hardTimer = setTimeout(() => this.killSync(), options.timeoutMs ?? 600_000);
    this.hardTimer.unref();
    liveGuests.add(this);
  }

  /** boot starts a guest and resolves once its agent is ready (modules loaded, mounts done). */
  static async boot(options: GuestOptions = {}): Promise<UmlGuest> {
    const reason = umlSkipReason();
    if (reason) throw new Error(`cannot boot a UML guest: ${reason}`);
    installExitHook();
    const dir = mkdtempSync(`/tmp/kv-uml-${options.name ?? 'guest'}-`);
    const guest = new UmlGuest(dir, options);
    const bootTimeoutMs = options.bootTimeoutMs ?? 180_000;
    const deadline = Date.now() + bootTimeoutMs;
    while (!existsSync(join(dir, 'ready'))) {
      const bootErr = join(dir, 'boot.err');
      if (existsSync(bootErr) || !guest.alive || Date.now() > deadline) {
        const why = existsSync(bootErr) ? readFileSync(bootErr, 'utf8').trim() : 'no ready file';
        await guest.destroy();
        throw new HarnessTimeoutError(
          'UML guest boot',
          bootTimeoutMs,
          `${why}\n${guest.console.slice(-3000)}`,
        );
      }
      await sleep(20);
    }
    return guest;
  }

  /** run executes one script in the guest and resolves with its exit code and output (never throws on a non-zero exit). */
  async run(script: string, options: StepOptions = {}): Promise<StepResult> {
    if (!this.alive) throw new Error('UML guest is not running');
    const n = this.nextStep++;
    const steps = join(this.dir, 'steps');
    const ext = options.lang === 'node' ? 'mjs' : options.lang === 'tsx' ? 'mts' : 'sh';
    writeFileSync(join(steps, `${n}.${ext}`), script);
    if (options.env) {
      const lines = Object.entries(options.env).map(([k, v]) => `${k}=${shellQuote(v)}`);
      writeFileSync(join(steps, `${n}.env`), `${lines.join('\n')}\n`);
    }
    const timeoutMs = options.timeoutMs ?? 300_000;
    writeFileSync(join(steps, `${n}.go`), `${Math.ceil(timeoutMs / 1000)}\n`);
    const rcFile = join(steps, `${n}.rc`);
    while (!existsSync(rcFile)) {
      if (!this.alive) throw new Error(`UML guest died during step ${n}\n${this.console.slice(-3000)}`);
      await sleep(20);
    }
    const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
    return {
      exitCode: Number(read(rcFile).trim()),
      stdout: read(join(steps, `${n}.out`)),
      stderr: read(join(steps, `${n}.err`)),
    };
  }

  /** check runs a step like `run` and throws UmlStepError when it exits non-zero. */
  async check(script: string, options: StepOptions = {}): Promise<StepResult> {
    const r = await this.run(script, options);
    if (r.exitCode !== 0) throw new UmlStepError(script.split('\n')[0] ?? '', r);
    return r;
  }

  /**
   * compile builds TypeScript sources of the repository (and what they import) with tsc into
   * `dir/build`, mirroring src/ (`src/kernel/ipvs/client.ts` -> `dir/build/kernel/ipvs/client.js`),
   * so `node` steps import plain ES modules: much faster in the slow guest than tsx. Returns
   * the build directory; npm packages resolve through a node_modules link to the repository's.
   */
  async compile(entries: string[]): Promise<string> {
    const out = join(this.dir, 'build');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
    if (!existsSync(join(this.dir, 'node_modules')))
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(this.dir, 'node_modules'));
    const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    const args = [
      tsc,
      '--outDir',
      out,
      '--rootDir',
      join(REPO_ROOT, 'src'),
      '--module',
      'NodeNext',
      '--moduleResolution',
      'NodeNext',
      '--target',
      'ES2022',
      '--lib',
      'ES2023',
      '--types',
      'node',
      '--skipLibCheck',
      '--strict',
      ...entries.map((e) => resolve(REPO_ROOT, e)),
    ];
    // tsc emits even when files it pulls in have type errors (the typecheck reports those).
    const r = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
    for (const e of entries) {
      const js = join(out, e.replace(/^src\//, '').replace(/\.ts$/, '.js'));
      if (!existsSync(js)) throw new Error(`tsc did not emit ${js}: ${r.stdout}${r.stderr}`);
    }
    return out;
  }

  /** readResult reads a file a step left in resultsDir. */
  readResult(name: string): string {
    return readFileSync(join(this.resultsDir, name), 'utf8');
  }

  /** shutdown asks the agent to power off (after running steps end) and kills the guest if it does not within `ms`. */
  async shutdown(ms = 20_000): Promise<void> {
    if (this.alive && !existsSync(join(this.dir, 'steps'))) {
      // The agent never got as far as its steps directory (a failed or timed-out boot).
      this.killSync();
    } else if (this.alive) {
      writeFileSync(join(this.dir, 'steps', 'halt'), '');
      const timer = new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), ms).unref());
      if ((await Promise.race([this.exited, timer])) === 'timeout') this.killSync();
    }
    await this.exited;
    // The kernel process can exit before its host helper processes (one per guest process, in
    // the same process group) are gone: kill what is left and wait until the group is empty.
    for (let waited = 0; this.groupAlive() && waited < 5_000; waited += 10) {
      this.killGroup();
      await sleep(10);
    }
  }

  private groupAlive(): boolean {
    try {
      process.kill(-this.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** destroy shuts the guest down and removes its job directory (kept when KV_UML_KEEP is set). */
  async destroy(): Promise<void> {
    await this.shutdown();
    if (!process.env.KV_UML_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }

  /** killSync kills the guest's whole process group at once (timeouts, exit hooks). */
  killSync(): void {
    this.killGroup();
  }

  private killGroup(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** bootGuest boots a UML guest (see UmlGuest). */
export function bootGuest(options: GuestOptions = {}): Promise<UmlGuest> {
  return UmlGuest.boot(options);
}

/**
 * runScenario boots a guest, runs the steps one after another (stopping at the first failure
 * unless `keepGoing`), powers it off and returns every step's result plus the files it left in
 * resultsDir.
 */
export async function runScenario(
  steps: (string | ({ script: string } & StepOptions))[],
  options: GuestOptions & { keepGoing?: boolean } = {},
): Promise<{ steps: StepResult[]; files: Map<string, string>; console: string }> {
  const guest = await bootGuest(options);
  try {
    const results: StepResult[] = [];
    for (const s of steps) {
      const step = typeof s === 'string' ? { script: s } : s;
      const r = await guest.run(step.script, step);
      results.push(r);
      if (r.exitCode !== 0 && !options.keepGoing) break;
    }
    const files = new Map<string, string>();
    for (const f of readdirSync(guest.resultsDir, { withFileTypes: true })) {
      if (f.isFile()) files.set(f.name, readFileSync(join(guest.resultsDir, f.name), 'utf8'));
    }
    return { steps: results, files, console: guest.console };
  } finally {
    await guest.destroy();
  }
}

function shellQuote(v: string): string {
  return `'${v.replaceAll("'", "'\\''")}'`;
}
