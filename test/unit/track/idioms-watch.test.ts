/**
 * watchIdioms (track/idiom-watch.ts) against real processes and files, unprivileged: a child
 * process under a name of its own is watched through a real pidfd (the native addon) and real
 * /proc, a pid file and a tested file through real inotify; the clock is a ManualClock, so the
 * rescan runs only when the test advances it. Also scriptWatchNotes for --config-test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VrrpScript } from '../../../src/config/model.js';
import { pidfdExitWatcher } from '../../../src/kernel/pidfd.js';
import {
  IDIOM_RESCAN_MS,
  type IdiomWatch,
  scriptWatchNotes,
  watchIdioms,
} from '../../../src/track/idiom-watch.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';

const pos = { file: 'keepalived.conf', line: 3, col: 1 };
const def = (name: string, script: string): VrrpScript =>
  ({ name, script, intervalMs: 1000, pos }) as unknown as VrrpScript;

let dir: string;
let program: string;
const NAME = `kvw${process.pid % 100000}`;
const children: ChildProcess[] = [];
const watches: IdiomWatch[] = [];
const log = silentLogger;

function startNamed(): ChildProcess {
  const child = spawn(program, ['300'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

/** until turns the event loop (real I/O events, no timers) until cond holds, advancing the manual clock by 1 ms a turn. */
async function until(clock: ManualClock, cond: () => boolean, turns = 5000): Promise<void> {
  for (let i = 0; i < turns && !cond(); i++) {
    await new Promise((r) => setImmediate(r));
    clock.advance(1);
  }
  expect(cond()).toBe(true);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kvidw-'));
  program = join(dir, NAME);
  copyFileSync('/bin/sleep', program);
});
afterEach(() => {
  for (const w of watches.splice(0)) w.close();
  for (const c of children.splice(0)) c.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('watchIdioms', () => {
  it('killall -0 NAME: a watched process that exits triggers one run; a new one is found by the rescan', async () => {
    const clock = new ManualClock(0);
    const a = startNamed();
    const b = startNamed();
    let triggers = 0;
    const w = watchIdioms(def('chk', `killall -0 ${NAME} && exit 0 || exit 1`), () => triggers++, {
      clock,
      log,
      watchExit: pidfdExitWatcher,
    });
    watches.push(w);
    expect(w.describe()).toEqual([`process ${NAME}: 2 pids (killall -0 ${NAME})`]);
    expect(triggers).toBe(0);
    a.kill('SIGKILL');
    b.kill('SIGKILL');
    // Both exits seen (they may come in one burst or two): at least one run asked for.
    await until(clock, () => triggers >= 1 && /: 0 pids/.test(w.describe()[0] ?? ''));
    expect(w.describe()).toEqual([`process ${NAME}: 0 pids (killall -0 ${NAME})`]);
    const afterExit = triggers;
    startNamed();
    clock.advance(IDIOM_RESCAN_MS);
    expect(triggers).toBeGreaterThan(afterExit);
    expect(w.describe()).toEqual([`process ${NAME}: 1 pid (killall -0 ${NAME})`]);
  });

  it('kill -0 $(cat FILE): writing the pid file triggers, and the pid in it is watched', async () => {
    const clock = new ManualClock(0);
    const pidFile = join(dir, 'daemon.pid');
    let triggers = 0;
    const w = watchIdioms(def('chk', `kill -0 $(cat ${pidFile})`), () => triggers++, {
      clock,
      log,
      watchExit: pidfdExitWatcher,
    });
    watches.push(w);
    expect(w.describe()).toEqual([`pid file ${pidFile}: 0 pids (kill -0 $(cat ${pidFile}))`]);
    const child = startNamed();
    writeFileSync(pidFile, `${child.pid}\n`);
    await until(clock, () => triggers >= 1);
    expect(w.describe()[0]).toMatch(/: 1 pid /);
    const before = triggers;
    child.kill('SIGKILL');
    await until(clock, () => triggers > before);
    unlinkSync(pidFile);
  });

  it('[ -f FILE ]: creating and removing the file trigger runs', async () => {
    const clock = new ManualClock(0);
    const down = join(dir, 'down');
    let triggers = 0;
    const w = watchIdioms(def('chk', `[[ -f ${down} ]] && exit 1 || exit 0`), () => triggers++, {
      clock,
      log,
      watchExit: pidfdExitWatcher,
    });
    watches.push(w);
    expect(w.describe()).toEqual([`file ${down}`]);
    writeFileSync(down, '');
    await until(clock, () => triggers >= 1);
    const before = triggers;
    unlinkSync(down);
    await until(clock, () => triggers > before);
  });

  it('ps | grep NAME watches the program, not a shell or grep whose command line names it', () => {
    const clock = new ManualClock(0);
    const shell = spawn('bash', ['-c', `sleep 300; : ${NAME}`], { stdio: 'ignore' });
    children.push(shell);
    startNamed();
    const w = watchIdioms(def('chk', `ps -ef | grep ${NAME} | grep -v grep`), () => {}, {
      clock,
      log,
      watchExit: pidfdExitWatcher,
    });
    watches.push(w);
    expect(w.describe()).toEqual([`process ${NAME} (pattern) (full command): 1 pid (ps -ef | grep ${NAME})`]);
  });

  it('a script with no idiom gets no watch and never triggers', () => {
    const clock = new ManualClock(0);
    let triggers = 0;
    const w = watchIdioms(def('chk', '/bin/true'), () => triggers++, {
      clock,
      log,
      watchExit: pidfdExitWatcher,
    });
    watches.push(w);
    clock.advance(10 * IDIOM_RESCAN_MS);
    expect(w.idioms).toEqual([]);
    expect(w.describe()).toEqual([]);
    expect(triggers).toBe(0);
  });
});

describe('scriptWatchNotes', () => {
  it('names only the scripts without a watch, at their position', () => {
    const script = join(dir, 'check.sh');
    writeFileSync(script, '#!/bin/sh\ncurl -sf http://127.0.0.1/ >/dev/null\n');
    const notes = scriptWatchNotes({
      vrrpScripts: [
        def('chk_nginx', 'killall -0 nginx && exit 0 || exit 1'),
        def('chk_http', script),
        def('chk_missing', '/nonexistent/check.sh'),
      ],
    });
    expect(notes.map((n) => [n.pos.line, n.message.split(':')[0]])).toEqual([
      [3, 'vrrp_script chk_http gets no event watch'],
      [3, 'vrrp_script chk_missing gets no event watch (/nonexistent/check.sh not read'],
    ]);
    expect(notes[0]!.message).toMatch(/runs only every 1 s$/);
  });
});
