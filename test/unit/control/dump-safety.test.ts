/**
 * Dump safety, named after keepalived's CVEs: CVE-2018-19044 (a dump followed a symlink another
 * user planted at its fixed /tmp path, overwriting any file) and CVE-2018-19045 (dumps were
 * created mode 0666, readable by everyone). Plus: a dump failure never stops the daemon.
 */
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkPrivateDir, writeCompatFile, writePrivateFile } from '../../../src/control/dump-files.js';
import { DumpWriter } from '../../../src/control/dump-signals.js';
import { compatJsonPath, dumpPath } from '../../../src/control/dumps.js';
import type { Logger } from '../../../src/util/logger.js';

const isRoot = process.geteuid?.() === 0;
if (!isRoot)
  console.warn('dump-safety: not root, the "file owned by another user" cases are skipped (they need chown)');

function memoryLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (m: string) => {
    lines.push(`${level}: ${m}`);
  };
  return { lines, error: add('error'), warn: add('warn'), info: add('info'), debug: add('debug') };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kv-dump-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('CVE-2018-19044: no symlink is followed', () => {
  it('a symlink planted at the compat path (/tmp/keepalived.json) is refused and its target untouched', () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    const shared = join(dir, 'tmp');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    symlinkSync(victim, join(shared, 'keepalived.json'));
    expect(() => writeCompatFile(join(shared, 'keepalived.json'), '[]\n')).toThrow(/symlink/);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(join(shared, 'keepalived.json')).isSymbolicLink()).toBe(true);
  });

  it('a symlink at a private dump path is replaced, never written through', () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    const priv = join(dir, 'run');
    mkdirSync(priv, { mode: 0o700 });
    symlinkSync(victim, join(priv, 'keepvip.data'));
    writePrivateFile(join(priv, 'keepvip.data'), 'dump\n');
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(join(priv, 'keepvip.data')).isFile()).toBe(true);
    expect(readFileSync(join(priv, 'keepvip.data'), 'utf8')).toBe('dump\n');
  });

  it('a private dump directory that is a symlink, or writable by others, is refused', () => {
    mkdirSync(join(dir, 'real'), { mode: 0o700 });
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    expect(() => checkPrivateDir(join(dir, 'link'))).toThrow(/symlink/);
    mkdirSync(join(dir, 'open'));
    chmodSync(join(dir, 'open'), 0o777);
    expect(() => writePrivateFile(join(dir, 'open', 'keepvip.stats'), 'x')).toThrow(/writable by others/);
    expect(readdirSync(join(dir, 'open'))).toEqual([]);
  });

  it.skipIf(!isRoot)('a compat file owned by another user is left alone (logged by the writer)', () => {
    const shared = join(dir, 'tmp');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    writeFileSync(join(shared, 'keepalived.json'), 'theirs\n');
    chownSync(join(shared, 'keepalived.json'), 65534, 65534);
    expect(() => writeCompatFile(join(shared, 'keepalived.json'), '[]\n')).toThrow(/owned by uid 65534/);
    expect(readFileSync(join(shared, 'keepalived.json'), 'utf8')).toBe('theirs\n');
  });
});

describe('CVE-2018-19045: dumps are not readable by others', () => {
  it('private and compat dumps are created 0600 even under umask 0', () => {
    const old = process.umask(0);
    try {
      mkdirSync(join(dir, 'run'), { mode: 0o700 });
      writePrivateFile(join(dir, 'run', 'keepvip.data'), 'secret\n');
      const shared = join(dir, 'tmp');
      mkdirSync(shared, { mode: 0o1777 });
      chmodSync(shared, 0o1777);
      writeCompatFile(join(shared, 'keepalived.json'), '[]\n');
      expect(statSync(join(dir, 'run', 'keepvip.data')).mode & 0o777).toBe(0o600);
      expect(statSync(join(shared, 'keepalived.json')).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });

  it('an existing world-readable dump is replaced by a new inode (a reader holding the old one sees nothing new)', () => {
    mkdirSync(join(dir, 'run'), { mode: 0o700 });
    const path = join(dir, 'run', 'keepvip.stats');
    writeFileSync(path, 'old\n', { mode: 0o644 });
    const before = statSync(path).ino;
    writePrivateFile(path, 'new\n');
    expect(statSync(path).ino).not.toBe(before);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});

describe('a dump failure never stops the daemon', () => {
  it('an unwritable target is logged and write() returns', () => {
    const log = memoryLog();
    const pid = join(dir, 'gone', 'kv.pid');
    const w = new DumpWriter({
      pidFile: pid,
      isDefaultPidFile: false,
      log,
      dumpDir: join(dir, 'missing-parent', 'x', 'dumps'),
      compatJson: false,
      sources: { data: () => 'd', stats: () => 's', json: () => '[]' },
    });
    // The pid file's directory does not exist: fallback dir is created 0700 and used.
    expect(w.write('stats')).toEqual([join(dir, 'missing-parent', 'x', 'dumps', 'kv.stats')]);
    expect(log.lines.some((l) => l.startsWith('warn: Statistics:'))).toBe(true);
  });

  it('a renderer that throws is logged as an error, nothing is written', () => {
    const log = memoryLog();
    const w = new DumpWriter({
      pidFile: join(dir, 'kv.pid'),
      isDefaultPidFile: false,
      log,
      compatJson: false,
      sources: {
        data: () => {
          throw new Error('boom');
        },
        stats: () => '',
        json: () => '',
      },
    });
    expect(w.write('data')).toEqual([]);
    expect(log.lines.join('\n')).toMatch(/error: Data dump not written: rendering failed: Error: boom/);
  });

  it('the JSON dump goes beside the pid file and to the compat path; a planted compat symlink only costs that copy', () => {
    const log = memoryLog();
    const shared = join(dir, 'tmp');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    symlinkSync('/etc/passwd', join(shared, 'keepalived.json'));
    const w = new DumpWriter({
      pidFile: join(dir, 'kv.pid'),
      isDefaultPidFile: false,
      log,
      compatJson: join(shared, 'keepalived.json'),
      sources: { data: () => '', stats: () => '', json: () => '[]\n' },
    });
    expect(w.write('json')).toEqual([join(dir, 'kv.json')]);
    expect(log.lines.join('\n')).toMatch(
      /error: JSON state not written to .*keepalived\.json: .* is a symlink/,
    );
  });
});

describe('dump paths', () => {
  it('default pid file -> /run/keepvip/, another -> beside it, compat -> $TMPDIR or /tmp', () => {
    expect(dumpPath('/run/keepvip.pid', true, 'data')).toBe('/run/keepvip/keepvip.data');
    expect(dumpPath('/run/keepvip.pid', true, 'json')).toBe('/run/keepvip/keepalived.json');
    expect(dumpPath('/run/kv-a.pid', false, 'stats')).toBe('/run/kv-a.stats');
    expect(compatJsonPath({})).toBe('/tmp/keepalived.json');
    expect(compatJsonPath({ TMPDIR: '/var/tmp/x' })).toBe('/var/tmp/x/keepalived.json');
    expect(compatJsonPath({ TMPDIR: 'relative' })).toBe('/tmp/keepalived.json');
  });
});
