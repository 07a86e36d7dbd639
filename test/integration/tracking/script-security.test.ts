/**
 * keepalived's check_script_secure on real files. The verdicts depend on who owns the files:
 * only when the test runs as root are the files it creates root's, which is why this is an
 * integration test (the unit project runs without root).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { VrrpScript } from '../../../src/config/model.js';
import { ScriptTracker } from '../../../src/track/script-tracker.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { insecureReason, scriptInsecurity, scriptPolicy } from '../../../src/util/script-security.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('SKIPPED script security: needs root (files must be owned by root)');

describe.skipIf(!isRoot)('script security (keepalived check_script_secure)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kv-script-security-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

  it('scriptPolicy: refused as root under enable_script_security, allowed as another user', () => {
    const worldWritable = join(dir, 'ww2.sh');
    writeFileSync(worldWritable, '#!/bin/sh\nexit 0\n');
    chmodSync(worldWritable, 0o777);
    expect(scriptPolicy(worldWritable, undefined, true).refused).toMatch(/running it as root is unsafe/);
    expect(scriptPolicy(worldWritable, undefined, false)).toEqual({ identity: undefined });
    const asNobody = scriptPolicy(worldWritable, { user: 'nobody' }, true);
    expect(asNobody.refused).toBeUndefined();
    expect(asNobody.identity).toMatchObject({ uid: 65534 });
    expect(scriptPolicy('/bin/true', { user: 'no-such-user-kv' }, false).refused).toMatch(/does not exist/);
  });

  it('a vrrp_script runs as its script user (uid and gid)', async () => {
    const def: VrrpScript = {
      name: 'as_nobody',
      script: '[ "$(id -u):$(id -g)" = 65534:65534 ]',
      intervalMs: 60_000,
      timeoutMs: 5000,
      weight: -5,
      weightReverse: false,
      fall: 1,
      rise: 1,
      initFail: true,
      pos: { file: 't', line: 1, col: 1 },
    };
    const { identity } = scriptPolicy(def.script, { user: 'nobody' }, true);
    const t = new ScriptTracker(def, new ManualClock(), silentLogger, { identity });
    t.start();
    await t.whenIdle();
    t.stop();
    expect(t.lastRun).toMatchObject({ exitCode: 0 });
    expect(t.good).toBe(true);
  });
});
