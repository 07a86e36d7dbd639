import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { VrrpScript } from '../../../src/config/model.js';
import { createLogger } from '../../../src/util/logger.js';
import { systemClock } from '../../../src/util/clock.js';
import { insecureReason, scriptInsecurity } from '../../../src/track/script-security.js';
import { ScriptTracker } from '../../../src/track/script-tracker.js';

const log = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) as NodeJS.WriteStream });
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

async function until(cond: () => boolean, ms: number): Promise<number> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - start;
}

describe('ScriptTracker', () => {
  it('a run that outlives its timeout is a failure, and the whole process group is killed', async () => {
    const t = new ScriptTracker(
      script({ script: 'sleep 5; exit 0', intervalMs: 10_000, timeoutMs: 200 }),
      systemClock,
      log,
    );
    const changes: boolean[] = [];
    t.onChange((g) => changes.push(g));
    t.start();
    try {
      // `sleep` holds bash's output pipe: unless the group is killed the run would last 5 s.
      const tookMs = await until(() => t.lastRun !== undefined, 3000);
      console.log(`timed-out run ended after ${Math.round(tookMs)} ms`);
      expect(t.lastRun!.timedOut).toBe(true);
      expect(tookMs).toBeLessThan(2000);
      expect(changes).toEqual([false]);
    } finally {
      t.stop();
    }
  });

  it('a run still going when the next is due is skipped, not stacked', async () => {
    const t = new ScriptTracker(
      script({ script: 'sleep 0.35', intervalMs: 100, timeoutMs: 5000 }),
      systemClock,
      log,
    );
    t.start();
    try {
      await new Promise((r) => setTimeout(r, 800));
      console.log(`runs ${t.runs}, skipped ${t.skippedRuns}`);
      expect(t.runs).toBeLessThanOrEqual(3);
      expect(t.skippedRuns).toBeGreaterThanOrEqual(3);
    } finally {
      t.stop();
    }
  });

  it('fall 2: a watch-triggered failure is confirmed at once by a second real run', async () => {
    const down = join(dir, 'down');
    const t = new ScriptTracker(
      script({ script: `[[ -f ${down} ]] && exit 1 || exit 0`, intervalMs: 60_000, fall: 2, rise: 1 }),
      systemClock,
      log,
    );
    t.start();
    try {
      await until(() => t.runs === 1 && t.lastRun !== undefined, 3000);
      expect(t.good).toBe(true);
      writeFileSync(down, '');
      t.runNow();
      const tookMs = await until(() => !t.good, 3000);
      console.log(`fall 2 verdict after the watch: ${Math.round(tookMs)} ms, ${t.runs} runs`);
      expect(t.runs).toBe(3);
      expect(t.lastRun!.trigger).toBe('watch');
      rmSync(down);
      t.runNow();
      await until(() => t.good, 3000);
    } finally {
      t.stop();
    }
  });

  it('init_fail starts failed; a script refused by script security never runs and counts as failing', async () => {
    expect(new ScriptTracker(script({ initFail: true }), systemClock, log).good).toBe(false);
    const t = new ScriptTracker(script({}), systemClock, log, { refused: 'x is writable by uid 1000' });
    t.start();
    await new Promise((r) => setTimeout(r, 50));
    expect(t.runs).toBe(0);
    expect(t.good).toBe(false);
    t.stop();
  });
});

describe('script security (keepalived check_script_secure)', () => {
  it('refuses a script writable by a non-root user, or in such a directory', () => {
    const safeDir = join(dir, 'safe');
    mkdirSync(safeDir, { mode: 0o755 });
    const ok = join(safeDir, 'check.sh');
    writeFileSync(ok, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    expect(insecureReason(ok)).toBeUndefined();
    const worldWritable = join(safeDir, 'ww.sh');
    writeFileSync(worldWritable, '#!/bin/sh\nexit 0\n');
    chmodSync(worldWritable, 0o777);
    expect(insecureReason(worldWritable)).toMatch(/writable by every user/);
    expect(scriptInsecurity(`${worldWritable} arg`)).toMatch(/ww.sh/);
    // With a shell string the shell and the leading absolute command are both checked.
    expect(scriptInsecurity(`${worldWritable} && exit 0 || exit 1`)).toMatch(/ww.sh/);
    expect(scriptInsecurity('killall -0 nginx && exit 0 || exit 1')).toBeUndefined();
  });
});
