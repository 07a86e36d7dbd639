/**
 * Differential test of `keepvip --config-test` against real keepalived 2.2.7 over the seed
 * configurations and test/fixtures/broken/*.conf (one mistake each).
 *
 * keepalived -t cannot answer "can it run" by itself: it exits 5 for every reported problem,
 * warnings such as "Unknown keyword" included, and 6 for the script-security warning. So the
 * oracle is: `keepalived -t` exits 0, or keepalived really started (`--vrrp` and, when there
 * are virtual servers, `--check` separately) without "exited with permanent error CONFIG" or
 * a crash. Everything runs in a network namespace that has the interfaces the files name, so
 * "interface doesn't exist" does not blur the comparison. This kernel may lack IPVS, so the
 * checker run counts as started once it reaches "Initializing ipvs" (config fully read).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConfigTest } from '../../src/config/config-test.js';
import { SEED_CONFIGS } from '../helpers/seeds.js';

const NS = 'kvcfgdiff';
const SEEDS = SEED_CONFIGS;
const BROKEN = join(import.meta.dirname, '../fixtures/broken');
/** Interfaces named by the seed files and fixtures, created as veth ends inside NS. */
const IFACES = ['eth0', 'ens33', 'eno16777736'];

/**
 * DELIBERATE_DIFFERENCES: where keepvip reads a file differently from keepalived 2.2.7 on purpose.
 * Both still run these files; keepvip keeps the 1.x meaning that keepalived 2.2.7 drops.
 */
const DELIBERATE_DIFFERENCES: Record<string, string> = {
  'nb-get-retry-1x.conf':
    "1.x `nb_get_retry N`: keepalived 2.2.7 says 'Unknown keyword' and keeps retry 1; keepvip reads it as `retry N` with a deprecation warning",
  'lvs-id-1x.conf':
    "1.x `lvs_id NAME`: keepalived 2.2.7 says 'Unknown keyword' and keeps the host name as router_id; keepvip reads it as `router_id NAME` with a deprecation warning",
  'persistence-timeout-zero-1x.conf':
    "1.x `persistence_timeout 0`: keepalived 2.2.7 says 'persistence_timeout invalid'; keepvip reads it as no persistence with a warning",
  '002-dir1-dr-wlc.conf': 'uses both 1.x keywords above',
  '004-lvs01-dr-rr.conf': 'uses both 1.x keywords above',
};

const seedFiles = readdirSync(SEEDS)
  .filter((f) => f.endsWith('.conf') && f !== '001-nginx-upstream.conf' && f !== '003-nginx.conf')
  .map((f) => join(SEEDS, f));
const brokenFiles = readdirSync(BROKEN)
  .filter((f) => f.endsWith('.conf'))
  .map((f) => join(BROKEN, f));

let work = '';

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: 'pipe' });
}

beforeAll(() => {
  spawnSync('ip', ['netns', 'del', NS]);
  sh('ip', ['netns', 'add', NS]);
  IFACES.forEach((name, i) => {
    sh('ip', ['-n', NS, 'link', 'add', name, 'type', 'veth', 'peer', 'name', `kvd-p${i}`]);
    sh('ip', ['-n', NS, 'link', 'set', name, 'up']);
    sh('ip', ['-n', NS, 'link', 'set', `kvd-p${i}`, 'up']);
  });
  work = mkdtempSync(join(tmpdir(), 'kvcfgdiff-'));
});

afterAll(() => {
  spawnSync('ip', ['netns', 'del', NS]);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** keepalivedTest runs `keepalived -t -f FILE` in the namespace and returns its exit code and output. */
function keepalivedTest(file: string): { code: number; output: string } {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'keepalived', '-t', '-l', '-D', '-f', file], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** keepalivedStarts runs keepalived (one child kind) until it says it started or that it gave up. */
function keepalivedStarts(
  file: string,
  child: '--vrrp' | '--check',
): Promise<{ started: boolean; log: string }> {
  const id = `${basename(file)}${child}`;
  const pid = (n: string) => join(work, `${id}.${n}.pid`);
  const proc: ChildProcess = spawn(
    'ip',
    [
      'netns',
      'exec',
      NS,
      'keepalived',
      '-n',
      '-l',
      '-D',
      child,
      '-f',
      file,
      '-p',
      pid('k'),
      '-r',
      pid('v'),
      '-c',
      pid('c'),
      '-b',
      pid('b'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  return new Promise((resolve) => {
    let done = false;
    const finish = (started: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const exited = () => resolve({ started, log });
      if (proc.exitCode !== null) exited();
      else proc.once('exit', exited);
    };
    const onData = (b: Buffer) => {
      log += b.toString();
      if (/permanent error CONFIG|segmentation fault|SIGSEGV/.test(log)) finish(false);
      else if (/Startup complete|Initializing ipvs/.test(log)) finish(true);
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', () => finish(!/permanent error CONFIG|segmentation fault|SIGSEGV/.test(log)));
    // No verdict within the time: it is still running, so it started.
    const timer = setTimeout(() => finish(true), 8_000);
  });
}

/** keepalivedCanRun is the oracle described at the top of the file. */
async function keepalivedCanRun(file: string): Promise<{ canRun: boolean; why: string }> {
  const t = keepalivedTest(file);
  if (t.code === 0) return { canRun: true, why: 'keepalived -t exit 0' };
  const vrrp = await keepalivedStarts(file, '--vrrp');
  if (!vrrp.started)
    return { canRun: false, why: `keepalived -t exit ${t.code}; --vrrp: ${lastLines(vrrp.log)}` };
  if (/^\s*virtual_server\b/m.test(readFileSync(file, 'utf8'))) {
    const check = await keepalivedStarts(file, '--check');
    if (!check.started)
      return { canRun: false, why: `keepalived -t exit ${t.code}; --check: ${lastLines(check.log)}` };
  }
  return {
    canRun: true,
    why: `keepalived -t exit ${t.code} (${t.output.trim().split('\n').join(' | ')}) but it starts`,
  };
}

function lastLines(log: string): string {
  return log
    .split('\n')
    .filter((l) => /error|fault|Unknown|invalid|must|VRID/i.test(l))
    .slice(-3)
    .join(' | ');
}

function ours(file: string): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = runConfigTest({ file, out: (l) => lines.push(l) });
  return { code, lines };
}

describe('keepvip --config-test agrees with keepalived 2.2.7 on whether a configuration can run', () => {
  it('has at least 30 broken fixtures', () => {
    expect(brokenFiles.length).toBeGreaterThanOrEqual(30);
  });

  for (const file of [...seedFiles, ...brokenFiles]) {
    const name = basename(file);
    it(name, async () => {
      const oracle = await keepalivedCanRun(file);
      const mine = ours(file);
      const context = `${name}: keepalived ${oracle.canRun ? 'runs' : 'refuses'} (${oracle.why}); keepvip exit ${mine.code}:\n${mine.lines.join('\n')}`;
      expect(mine.code === 0, context).toBe(oracle.canRun);
      if (name in DELIBERATE_DIFFERENCES) {
        // The difference is in meaning, and keepvip says so.
        expect(
          mine.lines.some((l) => l.includes('warning:') && /1\.x/.test(l)),
          context,
        ).toBe(true);
      }
      if (name.startsWith('00') === false) {
        // Every broken fixture gets at least one finding, anchored at a line of that file.
        expect(
          mine.lines.some((l) => l.startsWith(`${file}:`) && /: (error|warning): /.test(l)),
          context,
        ).toBe(true);
      }
    });
  }

  it('a missing main file: keepalived -t exits 0 (it only logs "Config files missing"); keepvip exits 3', () => {
    const missing = join(work, 'does-not-exist.conf');
    expect(keepalivedTest(missing).code).toBe(0);
    const lines: string[] = [];
    expect(runConfigTest({ file: missing, out: (l) => lines.push(l) })).toBe(3);
    expect(lines[0]).toContain('ENOENT');
  });
});
