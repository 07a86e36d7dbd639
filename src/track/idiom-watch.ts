/**
 * IdiomWatch watches what a vrrp_script's check idioms look at (track/idioms.ts) and calls
 * onTrigger the moment one changes, so the script runs at once instead of at its next interval;
 * ScriptTracker.runNow then repeats the run milliseconds apart until fall/rise decide. The
 * script still decides: a trigger only makes it run sooner.
 *
 * - processes (killall -0, pidof, pgrep): every matching process gets a pidfd exit watch; /proc
 *   is rescanned every IDIOM_RESCAN_MS for new ones (a restarted nginx: the script runs at once,
 *   so `rise` starts counting, and its next death is seen too);
 * - pid files (kill -0 $(cat F)): F's directory is watched (inotify) and the pid in F gets a
 *   pidfd;
 * - systemd units (systemctl is-active U): /run/systemd/units/invocation:U (created and
 *   removed as the unit starts and stops), U's cgroup.events, and the pids of its cgroup;
 * - files ([ -f F ]): F's directory (inotify), as the down-file watch does.
 *
 * A process that exits is a zombie until its parent reaps it, and `kill -0` or `killall -0`
 * still find a zombie; so a trigger for an exit waits (polling /proc every ZOMBIE_POLL_MS, at
 * most ZOMBIE_WAIT_MS) until the exited pids are gone, then fires once for the whole burst
 * (nginx's master and its workers die together).
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigNote } from '../config/config-test.js';
import type { KeepvipConfig, VrrpScript } from '../config/model.js';
import type { ExitWatcher } from '../kernel/pidfd.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { type FileWatch, watchPaths } from './down-file.js';
import {
  describeIdiom,
  type Idiom,
  looksLikeScript,
  recogniseScript,
  SCRIPT_FILE_MAX_BYTES,
  scriptFileOf,
} from './idioms.js';
import { parseCmdline, parseProcStat, TASK_COMM_LEN } from './process-match.js';

/** IDIOM_RESCAN_MS: how often /proc, pid files and unit cgroups are read again for new pids. */
export const IDIOM_RESCAN_MS = 1000;
/** ZOMBIE_POLL_MS: while an exited process is still a zombie, /proc is looked at this often. */
export const ZOMBIE_POLL_MS = 1;
/** ZOMBIE_WAIT_MS: the longest a trigger waits for exited processes to be reaped. */
export const ZOMBIE_WAIT_MS = 50;
/** SYSTEMD_UNITS_DIR is where systemd keeps `invocation:UNIT` links of running units. */
export const SYSTEMD_UNITS_DIR = '/run/systemd/units';
/** CGROUP_ROOT is the cgroup v2 mount; system units live under system.slice. */
export const CGROUP_ROOT = '/sys/fs/cgroup';

/** IdiomWatchDeps are the seams: clock, log, exit watches, and where /proc and friends are. */
export interface IdiomWatchDeps {
  clock: Clock;
  log: Logger;
  watchExit: ExitWatcher;
  procRoot?: string;
  /** readScriptFile reads a script file a vrrp_script runs (default: small text files only). */
  readScriptFile?: (path: string) => string | undefined;
}

/** IdiomWatch is the running watch of one script. */
export interface IdiomWatch {
  /** idioms are what was recognised (empty: the script gets no watch). */
  readonly idioms: readonly Idiom[];
  /** scriptFile is the script file that was read, if any. */
  readonly scriptFile: string | undefined;
  /** describe lists the watches for `keepvip status`: `process nginx: 3 pids (killall -0 nginx)`. */
  describe(): string[];
  /** triggers counts the runs the watch asked for. */
  readonly triggers: number;
  close(): void;
}

/** readSmallScript reads a file when it is a small text file (see looksLikeScript), else undefined. */
export function readSmallScript(path: string): string | undefined {
  try {
    if (statSync(path).size > SCRIPT_FILE_MAX_BYTES) return undefined;
    const content = readFileSync(path);
    return looksLikeScript(content) ? content.toString('utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** recogniseVrrpScript is recogniseScript with the file reader keepvip uses. */
export function recogniseVrrpScript(
  def: Pick<VrrpScript, 'script'>,
  readFile: (path: string) => string | undefined = readSmallScript,
): { idioms: Idiom[]; scriptFile?: string } {
  return recogniseScript(def.script, readFile);
}

/**
 * scriptWatchNotes says, for `keepvip --config-test`, which vrrp_scripts get no watch: they run
 * only every interval, so a failure costs up to fall x interval to notice.
 */
export function scriptWatchNotes(
  config: Pick<KeepvipConfig, 'vrrpScripts'>,
  readFile: (path: string) => string | undefined = readSmallScript,
): ConfigNote[] {
  const notes: ConfigNote[] = [];
  for (const def of config.vrrpScripts) {
    const file = scriptFileOf(def.script);
    const content = file === undefined ? undefined : readFile(file);
    const { idioms } = recogniseScript(def.script, () => content);
    if (idioms.length > 0) continue;
    const unread =
      file !== undefined && content === undefined
        ? ` (${file} not read: missing, or not a small text file)`
        : '';
    notes.push({
      pos: def.pos,
      message: `vrrp_script ${def.name} gets no event watch${unread}: no killall -0, pidof, pgrep, ps -C, ps | grep, kill -0 $(cat FILE), systemctl is-active or [ -f FILE ] found, so it runs only every ${def.intervalMs / 1000} s`,
    });
  }
  return notes;
}

/** CHECK_TOOLS are the programs a check script itself runs, never watched by a command-line pattern. */
const CHECK_TOOLS = new Set([
  'sh',
  'bash',
  'dash',
  'ash',
  'busybox',
  'grep',
  'egrep',
  'fgrep',
  'pgrep',
  'ps',
  'awk',
  'wc',
  'timeout',
]);

/** STAT_BUFFER holds one /proc/PID/stat line (a few hundred bytes; the name is at most 15). */
const STAT_BUFFER = Buffer.alloc(1024);

/**
 * readProcStat reads /proc/PID/stat with one open/read/close into a fixed buffer: a third of
 * readFileSync's cost, which stats the file and grows its buffer (proc files have no size).
 * Undefined when the process is gone.
 */
export function readProcStat(procRoot: string, pid: number | string): ReturnType<typeof parseProcStat> {
  let fd: number | undefined;
  try {
    fd = openSync(join(procRoot, String(pid), 'stat'), 'r');
    const n = readSync(fd, STAT_BUFFER, 0, STAT_BUFFER.length, 0);
    return parseProcStat(STAT_BUFFER.toString('latin1', 0, n));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

interface Watched {
  pids: Map<number, { close(): void }>;
}

/** watchIdioms starts the watches of one script; onTrigger runs the script now. */
export function watchIdioms(def: VrrpScript, onTrigger: () => void, deps: IdiomWatchDeps): IdiomWatch {
  const procRoot = deps.procRoot ?? '/proc';
  const { idioms, scriptFile } = recogniseVrrpScript(def, deps.readScriptFile ?? readSmallScript);
  const processes = idioms.filter((i) => i.kind === 'process');
  const pidFiles = idioms.filter((i) => i.kind === 'pid-file');
  const units = idioms.filter((i) => i.kind === 'unit');
  const files = idioms.filter((i) => i.kind === 'file');
  const byIdiom = new Map<Idiom, Watched>(idioms.map((i) => [i, { pids: new Map() }]));
  let closed = false;
  let triggers = 0;
  let rescanTimer: TimerHandle | undefined;
  let settleTimer: TimerHandle | undefined;
  let settleSince = 0;
  const exited = new Set<number>();
  let fileWatch: FileWatch | undefined;

  const trigger = (why: string) => {
    if (closed) return;
    triggers++;
    deps.log.debug(`VRRP_Script(${def.name}) run now: ${why}`);
    onTrigger();
  };

  const isGone = (pid: number): boolean => {
    const stat = readProcStat(procRoot, pid);
    // Gone, or the pid already belongs to a new process: either way no longer our zombie.
    return stat === undefined || stat.state !== 'Z';
  };

  /** settle fires one trigger once every exited pid is reaped (or ZOMBIE_WAIT_MS passed). */
  const settle = () => {
    settleTimer = undefined;
    if (closed) return;
    for (const pid of exited) if (isGone(pid)) exited.delete(pid);
    const now = deps.clock.nowMs();
    if (exited.size > 0 && now - settleSince < ZOMBIE_WAIT_MS) {
      settleTimer = deps.clock.at(now + ZOMBIE_POLL_MS, settle);
      return;
    }
    const waited = now - settleSince;
    const zombies = [...exited];
    exited.clear();
    // Watch what appeared since the last scan (new nginx workers after a reload), so their
    // exits, which may come after this run, trigger runs too.
    scan();
    trigger(
      zombies.length > 0
        ? `a watched process exited (pids ${zombies.join(' ')} still zombies after ${waited.toFixed(1)} ms)`
        : `a watched process exited${waited >= 0.5 ? ` (reaped after ${waited.toFixed(1)} ms)` : ''}`,
    );
  };

  const onExit = (w: Watched, pid: number) => {
    const h = w.pids.get(pid);
    if (!h) return;
    h.close();
    w.pids.delete(pid);
    exited.add(pid);
    if (settleTimer === undefined) {
      settleSince = deps.clock.nowMs();
      settle();
    }
  };

  /** follow gives each pid an exit watch; returns how many were new. */
  const follow = (w: Watched, pids: Iterable<number>): number => {
    let fresh = 0;
    for (const pid of pids) {
      if (w.pids.has(pid)) continue;
      try {
        const h = deps.watchExit(pid, () => onExit(w, pid));
        if (h) {
          w.pids.set(pid, h);
          fresh++;
        }
      } catch (err) {
        deps.log.warn(`VRRP_Script(${def.name}): cannot watch pid ${pid}: ${(err as Error).message}`);
      }
    }
    return fresh;
  };

  const readPid = (path: string): number | undefined => {
    try {
      const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
      return Number.isInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  };

  const unitCgroup = (unit: string) => join(CGROUP_ROOT, 'system.slice', unit);
  const unitPids = (unit: string): number[] => {
    try {
      return readFileSync(join(unitCgroup(unit), 'cgroup.procs'), 'utf8')
        .split('\n')
        .filter((l) => /^\d+$/.test(l))
        .map(Number);
    } catch {
      return [];
    }
  };

  const patterns = new Map(
    processes.map((i) => [i, i.match === 'regex' || i.full ? safeRegex(i.name) : undefined] as const),
  );
  /**
   * matches tests a process by its name (from /proc/PID/stat), reading /proc/PID/cmdline only
   * when needed: for pgrep -f, and for an exact name of 15 characters or more, which the
   * kernel's name truncates.
   */
  const matches = (i: Extract<Idiom, { kind: 'process' }>, comm: string, pid: number): boolean => {
    const re = patterns.get(i);
    if (!i.full) {
      if (i.match === 'regex') return re?.test(comm) ?? comm.includes(i.name);
      if (comm !== i.name.slice(0, TASK_COMM_LEN - 1)) return false;
      if (i.name.length < TASK_COMM_LEN - 1) return true;
    }
    // A whole-command-line pattern (pgrep -f, ps | grep) also matches the check's own shell,
    // grep and ps while they run: watching those would make every run trigger the next.
    if (i.full && CHECK_TOOLS.has(comm)) return false;
    try {
      const argv = parseCmdline(readFileSync(join(procRoot, String(pid), 'cmdline'), 'utf8'));
      if (i.full) return re?.test(argv.join(' ')) ?? argv.join(' ').includes(i.name);
      return argv[0] !== undefined && argv[0].slice(argv[0].lastIndexOf('/') + 1) === i.name;
    } catch {
      return false; // exited while we looked
    }
  };

  /** scan finds the pids of every idiom; returns how many were not watched before. */
  const scan = (): number => {
    let fresh = 0;
    if (processes.length > 0) {
      let entries: string[] = [];
      try {
        entries = readdirSync(procRoot).filter((e) => /^\d+$/.test(e));
      } catch {
        entries = [];
      }
      const self = process.pid;
      for (const e of entries) {
        const pid = Number(e);
        if (pid === self) continue;
        // One read of /proc/PID/stat per process for all idioms; pids already watched are skipped.
        const todo = processes.filter((i) => !byIdiom.get(i)!.pids.has(pid));
        if (todo.length === 0) continue;
        const stat = readProcStat(procRoot, e);
        if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
        for (const i of todo) if (matches(i, stat.comm, pid)) fresh += follow(byIdiom.get(i)!, [pid]);
      }
    }
    for (const i of pidFiles) {
      const pid = readPid(i.path);
      if (pid !== undefined) fresh += follow(byIdiom.get(i)!, [pid]);
    }
    for (const i of units) fresh += follow(byIdiom.get(i)!, unitPids(i.unit));
    return fresh;
  };

  const start = () => {
    if (idioms.length === 0) return;
    scan();
    const paths = [
      ...files.map((i) => i.path),
      ...pidFiles.map((i) => i.path),
      ...units.flatMap((i) => [
        join(SYSTEMD_UNITS_DIR, `invocation:${i.unit}`),
        join(unitCgroup(i.unit), 'cgroup.events'),
      ]),
    ];
    const unitPaths = new Set(units.flatMap((i) => [SYSTEMD_UNITS_DIR, unitCgroup(i.unit)]));
    if (paths.length > 0) {
      fileWatch = watchPaths(
        paths,
        (path) => {
          scan();
          trigger(`${path} changed`);
        },
        (dir, err) => {
          // A unit that is not running has no cgroup; systemd may not run at all.
          const log = unitPaths.has(dir) ? deps.log.debug.bind(deps.log) : deps.log.warn.bind(deps.log);
          log(`VRRP_Script(${def.name}): cannot watch ${dir}: ${err.message}`);
        },
      );
    }
    if (processes.length + pidFiles.length + units.length > 0) {
      const every = (at: number) => {
        rescanTimer = deps.clock.at(at, () => {
          if (closed) return;
          if (scan() > 0) trigger('a watched process started');
          every(at + IDIOM_RESCAN_MS);
        });
      };
      every(deps.clock.nowMs() + IDIOM_RESCAN_MS);
    }
  };

  start();
  return {
    idioms,
    scriptFile,
    get triggers() {
      return triggers;
    },
    describe: () =>
      idioms.map((i) => {
        const n = byIdiom.get(i)!.pids.size;
        const pids = i.kind === 'file' ? '' : `: ${n} pid${n === 1 ? '' : 's'}`;
        const from = i.kind === 'file' ? '' : ` (${i.source})`;
        return `${describeIdiom(i)}${pids}${from}${scriptFile ? ` in ${scriptFile}` : ''}`;
      }),
    close() {
      closed = true;
      rescanTimer?.cancel();
      settleTimer?.cancel();
      fileWatch?.close();
      for (const w of byIdiom.values()) {
        for (const h of w.pids.values()) h.close();
        w.pids.clear();
      }
    },
  };
}

function safeRegex(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern);
  } catch {
    return undefined;
  }
}
