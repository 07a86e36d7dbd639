/** ScriptTracker driven by the manual clock: real scripts, timers fired by hand, no sleeping. */
import { rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { VrrpScript } from '../../../src/config/model.js';
import { phaseFraction, ScriptTracker } from '../../../src/track/script-tracker.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';

const dir = mkdtempSync(join(tmpdir(), 'kv-track-script-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const script = (over: Partial<VrrpScript>): VrrpScript => ({
  name: 'chk',
  script: 'true',
  intervalMs: 1000,
  timeoutMs: 1000,
  weight: -5,
  weightReverse: false,
  fall: 1,
  rise: 1,
  initFail: false,
  pos: { file: 't', line: 1, col: 1 },
  ...over,
});

describe('ScriptTracker', () => {
  it('a run that outlives its timeout is a failure, and the whole process group is killed', async () => {
    const clock = new ManualClock();
    const t = new ScriptTracker(
      script({ script: 'sleep 30; exit 0', intervalMs: 10_000, timeoutMs: 200 }),
      clock,
      silentLogger,
    );
    const changes: boolean[] = [];
    t.onChange((g) => changes.push(g));
    t.start();
    // `sleep` is bash's child: unless the group is killed the run would last 30 s.
    clock.advance(200);
    await t.whenIdle();
    t.stop();
    expect(t.lastRun).toMatchObject({ timedOut: true, durationMs: 200 });
    expect(changes).toEqual([false]);
  });

  it('scripts keep their own phase within the interval, so fifty of them do not start in one turn', () => {
    const clock = new ManualClock();
    const trackers = Array.from(
      { length: 50 },
      (_, i) =>
        new ScriptTracker(
          script({ name: `chk_${i + 1}`, script: 'exit 0', intervalMs: 1000 }),
          clock,
          silentLogger,
        ),
    );
    const phases = trackers.map((t) => phaseFraction(t.def.name));
    // Spread over the interval: no tenth of a second holds more than a fifth of the scripts.
    const perTenth = Array.from(
      { length: 10 },
      (_, k) => phases.filter((f) => Math.floor(f * 10) === k).length,
    );
    expect(Math.max(...perTenth)).toBeLessThanOrEqual(10);
    expect(phaseFraction('chk_1')).toBe(phaseFraction('chk_1'));
  });

  it('a run still going when the next is due is skipped, not stacked', async () => {
    const clock = new ManualClock();
    const t = new ScriptTracker(
      script({ script: 'sleep 30', intervalMs: 100, timeoutMs: 1000 }),
      clock,
      silentLogger,
    );
    t.start();
    // Ticks keep the script's phase within the interval: three of them fall in the next 400 ms.
    for (let i = 0; i < 4; i++) clock.advance(100);
    expect({ runs: t.runs, skipped: t.skippedRuns }).toEqual({ runs: 1, skipped: 3 });
    clock.advanceTo(1000); // the timeout ends the first run
    await t.whenIdle();
    clock.advance(100); // the next tick after the run ended starts a run again
    expect(t.runs).toBe(2);
    t.stop();
    clock.advance(1000);
    await t.whenIdle();
  });

  it('stop ends a run in progress with its process group', async () => {
    const clock = new ManualClock();
    const t = new ScriptTracker(
      script({ script: 'sleep 60; exit 0', intervalMs: 100, timeoutMs: 60_000 }),
      clock,
      silentLogger,
    );
    t.start();
    t.stop();
    await t.whenIdle(); // SIGTERM to the group: bash and sleep end now, not in 60 s
    clock.advance(1000);
    expect(t.runs).toBe(1);
  });

  it('grandchild keeping pipes open does not stall the tracker', async () => {
    const clock = new ManualClock();
    // The background sleep inherits bash's stdout; the run must end when bash exits, not in 60 s.
    const t = new ScriptTracker(
      script({ script: 'sleep 60 & echo "child $!"; exit 0', intervalMs: 10_000, timeoutMs: 10_000 }),
      clock,
      silentLogger,
    );
    t.start();
    await t.whenIdle(); // no clock advance: the timeout never fires
    t.stop();
    expect(t.lastRun).toMatchObject({ timedOut: false, exitCode: 0 });
    expect(t.good).toBe(true);
    const child = /child (\d+)/.exec(t.lastRun!.output);
    expect(child, `output kept up to the exit: ${JSON.stringify(t.lastRun!.output)}`).not.toBeNull();
    process.kill(Number(child![1]), 'SIGKILL'); // the grandchild is ours to clean up
  });

  it('`CMD && exit 0 || exit 1` runs CMD without bash and reports the status bash would (0 or 1)', async () => {
    const clock = new ManualClock();
    const check = join(dir, 'parent-and-3.sh');
    writeFileSync(check, '#!/bin/sh\ncat /proc/$PPID/comm\nexit 3\n', { mode: 0o755 });
    const t = new ScriptTracker(
      script({ script: `${check} && exit 0 || exit 1`, intervalMs: 10_000, fall: 1 }),
      clock,
      silentLogger,
    );
    t.start();
    await t.whenIdle();
    t.stop();
    expect(t.lastRun).toMatchObject({ timedOut: false, exitCode: 1 });
    expect(t.good).toBe(false);
    // The check's parent is the tracker's process itself: no bash in between.
    expect(t.lastRun!.output.trim()).not.toBe('bash');
    expect(t.lastRun!.output.trim()).not.toBe('');
  });

  it('fall 2: a watch-triggered failure is confirmed at once by a second real run', async () => {
    const clock = new ManualClock();
    const down = join(dir, 'down');
    const t = new ScriptTracker(
      script({ script: `[[ -f ${down} ]] && exit 1 || exit 0`, intervalMs: 60_000, fall: 2, rise: 1 }),
      clock,
      silentLogger,
    );
    t.start();
    await t.whenIdle();
    expect({ runs: t.runs, good: t.good }).toEqual({ runs: 1, good: true });
    writeFileSync(down, '');
    t.runNow();
    await t.whenIdle();
    expect({ runs: t.runs, good: t.good, trigger: t.lastRun!.trigger }).toEqual({
      runs: 3,
      good: false,
      trigger: 'watch',
    });
    rmSync(down);
    t.runNow();
    await t.whenIdle();
    expect(t.good).toBe(true);
    t.stop();
  });

  it('init_fail starts failed; a script refused by script security never runs and counts as failing', () => {
    const clock = new ManualClock();
    expect(new ScriptTracker(script({ initFail: true }), clock, silentLogger).good).toBe(false);
    const t = new ScriptTracker(script({}), clock, silentLogger, { refused: 'x is writable by uid 1000' });
    t.start();
    clock.advance(5000);
    expect(t.runs).toBe(0);
    expect(t.good).toBe(false);
    t.stop();
  });
});
