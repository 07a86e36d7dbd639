/**
 * The addon's starter (kernel/spawn.ts, native/src/spawn.c) with real programs: the shared
 * contract of every starter, and what the clone child sets up by itself.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeStarter } from '../../../src/kernel/spawn.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { runProcess, startProcess } from '../../../src/util/spawn.js';
import { spawnContract, usingStarter } from '../util/spawn-contract.js';

spawnContract('the addon (clone CLONE_VM | CLONE_VFORK)', nativeStarter);

const isRoot = process.getuid?.() === 0;
const run = (script: string, identity?: { uid: number; gid: number; groups?: number[] }) => {
  const h = startProcess({ file: '/bin/bash', args: ['-c', script] }, { clock: new ManualClock(), identity });
  return h.exited;
};

describe('nativeStarter', () => {
  usingStarter(nativeStarter);

  it('resets what Node changed: SIGPIPE default, no blocked signal', async () => {
    const r = await run("grep -E '^Sig(Blk|Ign)' /proc/$$/status");
    // Node ignores SIGPIPE (bit 13); the child must start with no signal ignored or blocked.
    expect(r.output).toMatch(/SigBlk:\s+0000000000000000/);
    expect(r.output).toMatch(/SigIgn:\s+0000000000000000/);
  });

  it('passes no descriptor but 0, 1 and 2', async () => {
    expect(readdirSync('/proc/self/fd').length).toBeGreaterThan(3);
    const h = startProcess({ file: '/bin/sleep', args: ['5'] }, { clock: new ManualClock() });
    // The start returns when the child releases our memory in execve, just before the kernel
    // closes the close-on-exec descriptors (begin_new_exec), so /proc/PID/fd can still show them
    // for a moment; the program's name is set after that (setup_new_exec): wait for it.
    const started = Date.now();
    while (readFileSync(`/proc/${h.pid}/comm`, 'utf8').trim() !== 'sleep' && Date.now() - started < 2000);
    const fds = readdirSync(`/proc/${h.pid}/fd`).sort();
    h.stop();
    await h.exited;
    expect(fds).toEqual(['0', '1', '2']);
  });

  it('fails EACCES for a file that is not executable, ENOENT for a missing command', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kv-spawn-')), 'not-executable');
    writeFileSync(file, 'echo no\n', { mode: 0o644 });
    const a = await runProcess({ file, args: [] }, { clock: new ManualClock() });
    rmSync(dirname(file), { recursive: true });
    expect(a.error).toBe(`spawn ${file} EACCES`);
    const b = await runProcess({ file: 'kv-no-such-command', args: [] }, { clock: new ManualClock() });
    expect(b.error).toBe('spawn kv-no-such-command ENOENT');
  });

  it.skipIf(!isRoot)('sets uid, gid and supplementary groups itself (no setpriv)', async () => {
    const r = await run('echo $(id -u) $(id -g) $(id -G)', { uid: 65534, gid: 65534, groups: [27, 100] });
    expect(r).toMatchObject({ exitCode: 0 });
    expect(r.output.trim().split(' ').slice(0, 2)).toEqual(['65534', '65534']);
    expect(new Set(r.output.trim().split(' ').slice(2).map(Number))).toEqual(new Set([27, 100, 65534]));
  });

  it.skipIf(!isRoot)('clears the supplementary groups for a user with none', async () => {
    const r = await run('id -G', { uid: 65534, gid: 65534, groups: [] });
    expect(r.output.trim()).toBe('65534');
  });
});
