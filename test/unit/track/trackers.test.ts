import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrackFileDef, TrackProcessDef, TrackRef } from '../../../src/config/model.js';
import { createLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { type TrackingView, trackedStates } from '../../../src/runner/tracking.js';
import { FileTracker, parseTrackFileValue } from '../../../src/track/file-tracker.js';
import { effectivePriority } from '../../../src/track/priority.js';
import { ProcessTracker } from '../../../src/track/process-tracker.js';

const log = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) as NodeJS.WriteStream });
const dir = mkdtempSync(join(tmpdir(), 'kv-track-objs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pos = { file: 't', line: 1, col: 1 };

/** FakeProc is a /proc with the processes a test puts there, and exits it fires by hand. */
class FakeProc {
  readonly root = mkdtempSync(join(dir, 'proc-'));
  private readonly exits = new Map<number, () => void>();
  spawn(pid: number, comm: string): void {
    mkdirSync(join(this.root, String(pid)));
    writeFileSync(join(this.root, String(pid), 'stat'), `${pid} (${comm}) S 1 1 1 0`);
    writeFileSync(join(this.root, String(pid), 'cmdline'), `${comm}\0`);
  }
  kill(pid: number): void {
    rmSync(join(this.root, String(pid)), { recursive: true });
    this.exits.get(pid)?.();
  }
  readonly watchExit = (pid: number, onExit: () => void) => {
    this.exits.set(pid, onExit);
    return { close: () => this.exits.delete(pid) };
  };
}

const procDef = (over: Partial<TrackProcessDef> = {}): TrackProcessDef => ({
  name: 'nginx',
  process: 'nginx',
  paramMatch: 'exact',
  fullCommand: false,
  quorum: 1,
  terminateDelayMs: 0,
  forkDelayMs: 0,
  weight: -10,
  weightReverse: false,
  pos,
  ...over,
});

describe('ProcessTracker', () => {
  it('counts matching processes and fails the moment the last one exits', () => {
    const proc = new FakeProc();
    proc.spawn(100, 'nginx');
    proc.spawn(101, 'nginx');
    proc.spawn(102, 'sshd');
    const clock = new ManualClock();
    const t = new ProcessTracker(procDef(), clock, log, { watchExit: proc.watchExit, procRoot: proc.root });
    const changes: boolean[] = [];
    t.onChange((g) => changes.push(g));
    t.start();
    // The first verdict is announced, for priorities computed before the scan.
    expect([t.count, t.good, changes]).toEqual([2, true, [true]]);
    proc.kill(100);
    expect([t.count, changes]).toEqual([1, [true]]);
    proc.kill(101);
    // No clock advance: the exit itself decides.
    expect([t.count, t.good, changes]).toEqual([0, false, [true, false]]);
    proc.spawn(200, 'nginx');
    clock.advance(1000); // the periodic rescan finds the restarted process
    expect([t.count, t.good, changes]).toEqual([1, true, [true, false, true]]);
    t.stop();
  });

  it('terminate_delay: a quorum lost and regained within the delay never counts', () => {
    const proc = new FakeProc();
    proc.spawn(100, 'nginx');
    const clock = new ManualClock();
    const t = new ProcessTracker(procDef({ terminateDelayMs: 500 }), clock, log, {
      watchExit: proc.watchExit,
      procRoot: proc.root,
    });
    t.start();
    proc.kill(100);
    clock.advance(300);
    expect(t.good).toBe(true);
    clock.advance(300);
    expect(t.good).toBe(false);
    t.stop();
  });

  it('pid_file: follows the pid the file names, and a stale pid file is not a running process', () => {
    const proc = new FakeProc();
    proc.spawn(300, 'nginx');
    proc.spawn(301, 'nginx');
    const pidFile = join(proc.root, 'nginx.pid');
    writeFileSync(pidFile, '300\n');
    const clock = new ManualClock();
    const t = new ProcessTracker(procDef({ process: '', pidFile }), clock, log, {
      watchExit: proc.watchExit,
      procRoot: proc.root,
    });
    t.start();
    expect([t.count, t.good]).toEqual([1, true]);
    proc.kill(300);
    expect(t.good).toBe(false);
    t.stop();
  });
});

describe('FileTracker (track_file)', () => {
  it('parses like strtol', () => {
    expect(parseTrackFileValue(' -12\n')).toBe(-12);
    expect(parseTrackFileValue('7 apples')).toBe(7);
    expect(parseTrackFileValue('none')).toBe(0);
  });

  it('init_file writes the value, and a change is read at once', async () => {
    const file = join(dir, 'prio');
    const def: TrackFileDef = {
      name: 'f',
      file,
      weight: 3,
      weightReverse: false,
      initFile: { value: 2, overwrite: false },
      pos,
    };
    const t = new FileTracker(def, log);
    const seen: number[] = [];
    let wake: (() => void) | undefined;
    t.onChange((v) => {
      seen.push(v);
      if (v === -4) wake?.();
    });
    t.start();
    try {
      expect(t.value).toBe(2);
      // Resolves when the tracker reports the new value (its file watch fired), not on a timer.
      const changed = new Promise<void>((r) => (wake = r));
      writeFileSync(file, '-4\n');
      await changed;
      expect(seen).toEqual([2, -4]);
    } finally {
      t.stop();
    }
  });
});

describe('trackedStates: what bears on an instance', () => {
  const ref = (name: string, weight?: number): TrackRef => ({
    name,
    pos,
    ...(weight === undefined ? {} : { weight }),
  });
  const view: TrackingView = {
    script: (n) =>
      n === 'chk_nginx'
        ? {
            def: {
              name: n,
              script: 'x',
              intervalMs: 1,
              timeoutMs: 1,
              weight: -5,
              weightReverse: false,
              fall: 1,
              rise: 1,
              initFail: false,
              pos,
            },
            good: false,
          }
        : undefined,
    file: (n) =>
      n === 'f'
        ? { def: { name: n, file: '/x', weight: 2, weightReverse: false, pos }, value: 3 }
        : undefined,
    process: (n) => (n === 'p' ? { def: procDef({ name: n }), good: false } : undefined),
    interfaceUp: (n) => n !== 'eth1',
  };
  it('applies overrides, interface weight 0, track_file value x weight and process weights (seed 001 arithmetic)', () => {
    const lists = {
      trackScripts: [ref('chk_nginx'), ref('missing')],
      trackInterfaces: [ref('eth1', -20)],
      trackFiles: [ref('f')],
      trackProcesses: [ref('p', -30)],
    };
    const states = trackedStates(lists, view);
    expect(states.map((s) => s.name)).toEqual(['script chk_nginx', 'interface eth1', 'file f', 'process p']);
    // 100 - 5 (script) - 20 (interface) + 6 (file 3 x 2) - 30 (process) = 51
    expect(effectivePriority(100, states)).toEqual({ priority: 51, fault: false, faultBy: [] });
  });
});
