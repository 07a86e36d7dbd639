/** Pure parts: fall/rise counting of health checks and the unified diff. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../../src/nginx/diff.js';
import { INITIAL_HEALTH, type MemberHealth, recordCheck } from '../../../src/nginx/health.js';

describe('recordCheck (fall / rise)', () => {
  const run = (results: boolean[], fall: number, rise: number) => {
    let h: MemberHealth = INITIAL_HEALTH;
    const flips: string[] = [];
    results.forEach((ok, i) => {
      const r = recordCheck(h, ok, { fall, rise });
      h = r.health;
      if (r.changed) flips.push(`${i}:${h.up ? 'up' : 'down'}`);
    });
    return flips;
  };
  it.each([
    ['fall 1 takes a member down on the first failure', [false], 1, 1, ['0:down']],
    ['fall 2 needs two failures in a row', [false, true, false, false], 2, 1, ['3:down']],
    ['rise 2 needs two successes in a row', [false, true, false, true, true], 1, 2, ['0:down', '4:up']],
    ['success while up resets nothing', [true, true, true], 1, 1, []],
    ['flapping never reaches fall 3', [false, false, true, false, false, true], 3, 1, []],
  ])('%s', (_name, results, fall, rise, want) => {
    expect(run(results, fall, rise)).toEqual(want);
  });
});

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\n', 'a\n', { from: 'a', to: 'b' })).toBe('');
  });

  it('shows one changed line with three lines of context', () => {
    const before = 'l1\nl2\nl3\nl4\nserver a;\nl6\nl7\nl8\nl9\n';
    const after = before.replace('server a;', 'server a down;');
    expect(unifiedDiff(before, after, { from: 'old', to: 'new' })).toBe(
      '--- old\n+++ new\n@@ -2,7 +2,7 @@\n l2\n l3\n l4\n-server a;\n+server a down;\n l6\n l7\n l8\n',
    );
  });

  it('creates a file from nothing', () => {
    expect(unifiedDiff('', 'x\ny\n', { from: 'f', to: 'f' })).toBe('--- f\n+++ f\n@@ -0,0 +1,2 @@\n+x\n+y\n');
  });

  it('agrees with GNU diff -u on a multi-hunk change', () => {
    const a = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    const b = [...a];
    b[3] = 'changed 3';
    b.splice(20, 2);
    b.splice(30, 0, 'inserted');
    const before = `${a.join('\n')}\n`;
    const after = `${b.join('\n')}\n`;
    const dir = mkdtempSync(join(tmpdir(), 'kvng-diff-'));
    try {
      writeFileSync(join(dir, 'a'), before);
      writeFileSync(join(dir, 'b'), after);
      const gnu = spawnSync('diff', ['-u', '--label', 'a', '--label', 'b', join(dir, 'a'), join(dir, 'b')], {
        encoding: 'utf8',
      }).stdout;
      expect(unifiedDiff(before, after, { from: 'a', to: 'b' })).toBe(gnu);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
