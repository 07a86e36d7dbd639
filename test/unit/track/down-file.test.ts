import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testedPaths, watchPaths } from '../../../src/track/down-file.js';

describe('testedPaths: the files a script string tests', () => {
  const cases: [string, string[]][] = [
    ['[[ -f /etc/keepalived/down ]] && exit 1 || exit 0', ['/etc/keepalived/down']],
    ['[ -e "/run/maint" ] && exit 1', ['/run/maint']],
    ['test -f /a/b || exit 1', ['/a/b']],
    ['[[ ! -f /etc/keepalived/up ]] && exit 1 || exit 0', ['/etc/keepalived/up']],
    ['killall -0 nginx && exit 0 || exit 1', []],
    ['[[ -f $HOME/down ]]', []],
    ['[ -f relative/down ]', []],
  ];
  for (const [script, want] of cases) {
    it(script, () => expect(testedPaths(script)).toEqual(want));
  }
});

describe('watchPaths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kv-track-watch-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports creation and removal of the named file, not of its neighbours', async () => {
    const target = join(dir, 'down');
    const seen: string[] = [];
    const errors: string[] = [];
    let wake: (() => void) | undefined;
    // Resolves at the next event the watch reports (an inotify event, not a timer).
    const nextEvent = () => new Promise<void>((r) => (wake = r));
    const w = watchPaths(
      [target],
      (p) => {
        seen.push(p);
        wake?.();
      },
      (d) => errors.push(d),
    );
    try {
      let event = nextEvent();
      writeFileSync(join(dir, 'other'), 'x');
      writeFileSync(target, '');
      await event;
      expect(seen.every((p) => p === target)).toBe(true);
      seen.length = 0;
      event = nextEvent();
      rmSync(target);
      await event;
      expect(seen).toContain(target);
      expect(errors).toEqual([]);
    } finally {
      w.close();
    }
  });

  it('says so when the directory does not exist', () => {
    const errors: string[] = [];
    const w = watchPaths(
      [join(dir, 'missing', 'down')],
      () => {},
      (d) => errors.push(d),
    );
    w.close();
    expect(errors).toEqual([join(dir, 'missing')]);
  });
});
