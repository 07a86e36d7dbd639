/** The one spawn helper: real programs, the manual clock for timeouts. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { commandLine, runProcess, startProcess } from '../../../src/util/spawn.js';
import { untilArmed } from './process-events.js';

describe('runProcess', () => {
  it('returns exit code and the merged output of a program', async () => {
    const r = await runProcess(
      { file: '/bin/bash', args: ['-c', 'echo out; echo err >&2; exit 3'] },
      { clock: new ManualClock() },
    );
    expect(r).toMatchObject({ exitCode: 3, signal: null, timedOut: false });
    expect(r.output.split('\n').sort()).toEqual(['', 'err', 'out']);
  });

  it('keeps only the tail of a chatty program', async () => {
    const r = await runProcess(
      { file: '/bin/bash', args: ['-c', 'for i in $(seq 10000); do echo line $i; done'] },
      { clock: new ManualClock(), maxOutputBytes: 64 },
    );
    expect(r.output.length).toBeLessThanOrEqual(64);
    expect(r.output).toMatch(/line 10000\n$/);
  });

  it('does not wait for a background child that keeps the pipes open', async () => {
    const r = await runProcess(
      { file: '/bin/bash', args: ['-c', 'sleep 60 & echo $!; exit 3'] },
      { clock: new ManualClock(), timeoutMs: 60_000 },
    );
    expect(r).toMatchObject({ exitCode: 3, timedOut: false });
    process.kill(Number(r.output.trim()), 'SIGKILL');
  });

  it('kills the process group at the timeout (on the injected clock)', async () => {
    const clock = new ManualClock();
    const h = startProcess(
      { file: '/bin/bash', args: ['-c', 'sleep 60; exit 0'] },
      { clock, timeoutMs: 500 },
    );
    await untilArmed(clock);
    clock.advance(499);
    clock.advance(1);
    const r = await h.exited;
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGTERM', durationMs: 500 });
  });

  it('reports a program that cannot start', async () => {
    const r = await runProcess({ file: '/nonexistent/kv', args: [] }, { clock: new ManualClock() });
    expect(r.error).toMatch(/ENOENT/);
    expect(r.exitCode).toBeNull();
  });

  it('sets supplementary groups through setpriv, and only when there are some', () => {
    const call = { file: '/bin/id', args: ['-G'] };
    expect(commandLine(call, { uid: 65534, gid: 65534, groups: [] })).toEqual(call);
    expect(commandLine(call, { uid: 65534, gid: 65534, groups: [27, 100] })).toEqual({
      file: '/usr/bin/setpriv',
      args: ['--reuid=65534', '--regid=65534', '--groups=27,100', '--', '/bin/id', '-G'],
    });
  });
});
