import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateFileTest, fileStat, parseFileTestScript } from '../../../src/track/file-test.js';
import { ScriptTracker } from '../../../src/track/script-tracker.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';

const dir = mkdtempSync(join(tmpdir(), 'kv-filetest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'file'), 'x');
writeFileSync(join(dir, 'empty'), '');
mkdirSync(join(dir, 'sub'));
symlinkSync(join(dir, 'file'), join(dir, 'link'));
symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));

/** bashExit is what bash itself answers for the script. */
function bashExit(script: string): number {
  try {
    execFileSync('/bin/bash', ['-c', script], { stdio: 'ignore' });
    return 0;
  } catch (e) {
    return (e as { status: number }).status;
  }
}

describe('file-test scripts answered in-process', () => {
  const paths = ['file', 'empty', 'sub', 'link', 'dangling', 'missing'].map((p) => join(dir, p));
  const forms = [
    (op: string, p: string) => `[[ -${op} ${p} ]] && exit 1 || exit 0`,
    (op: string, p: string) => `[ -${op} "${p}" ] && exit 3 || exit 7`,
    (op: string, p: string) => `test -${op} '${p}'`,
    (op: string, p: string) => `! [[ -${op} ${p} ]]`,
    (op: string, p: string) => `[[ -${op} ${p} ]] || exit 2`,
    (op: string, p: string) => `  ! test -${op} ${p} && exit 0 || exit 1 ;`,
  ];
  it('gives the exit status bash gives, for every form, test and kind of path', () => {
    let cases = 0;
    for (const form of forms)
      for (const op of ['f', 'e', 'd', 's'])
        for (const p of paths) {
          const script = form(op, p);
          const t = parseFileTestScript(script);
          expect(t, script).toBeDefined();
          expect(evaluateFileTest(t!, fileStat(p)), script).toBe(bashExit(script));
          cases++;
        }
    expect(cases).toBe(144);
  });

  it('leaves everything else to bash', () => {
    for (const script of [
      'killall -0 nginx',
      '[[ -f $DOWN ]] && exit 1 || exit 0',
      '[[ -f /etc/keepalived/down* ]] && exit 1 || exit 0',
      '[[ -f relative/down ]] && exit 1 || exit 0',
      '[[ -f /etc/down ]] && exit 1 || exit 0; killall -0 nginx',
      '[[ -x /etc/down ]]',
      '[[ -f /etc/down ]] && exit 300 || exit 0',
      '[[ -f /etc/down ]] && echo down',
    ])
      expect(parseFileTestScript(script), script).toBeUndefined();
  });

  it('the seed down-file script follows the file without starting a process', async () => {
    const down = join(dir, 'down');
    const clock = new ManualClock();
    const t = new ScriptTracker(
      {
        name: 'chk_down',
        script: `[[ -f ${down} ]] && exit 1 || exit 0`,
        intervalMs: 1000,
        timeoutMs: 1000,
        weight: -20,
        rise: 1,
        fall: 1,
        pos: { file: 't', line: 1, col: 1 },
      } as never,
      clock,
      silentLogger,
    );
    expect(t.fileTest).toMatchObject({ op: 'f', path: down, exitWhenTrue: 1, exitWhenFalse: 0 });
    t.start();
    await t.whenIdle();
    expect(t.good).toBe(true);
    writeFileSync(down, '');
    clock.advance(2000);
    await t.whenIdle();
    expect(t.good).toBe(false);
    expect(t.lastRun).toMatchObject({ exitCode: 1, timedOut: false });
    t.stop();
  });
});
