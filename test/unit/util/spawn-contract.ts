/**
 * What every ProcessStarter must give startProcess, run with real programs: Node's child_process
 * here (spawn.test.ts), the addon's clone starter in test/unit/kernel/spawn.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { type ProcessStarter, runProcess, startProcess, useProcessStarter } from '../../../src/util/spawn.js';
import { untilArmed } from './process-events.js';

/** usingStarter installs `starter` for the enclosing describe block and restores the previous one after it. */
export function usingStarter(starter: ProcessStarter): void {
  let previous: ProcessStarter;
  beforeAll(() => {
    previous = useProcessStarter(starter);
  });
  afterAll(() => {
    useProcessStarter(previous);
  });
}

/** spawnContract is the shared suite, with `starter` installed for its duration. */
export function spawnContract(name: string, starter: ProcessStarter): void {
  describe(`startProcess with ${name}`, () => {
    usingStarter(starter);

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

    it('gives a piped stdin and keeps the environment it is given', async () => {
      const h = startProcess(
        // sh, not bash: bash reads ~/.bashrc when its stdin is a socket (Node's 'pipe' is a socketpair).
        { file: '/bin/sh', args: ['-c', 'read line; echo "$line $KV_TEST"'] },
        { clock: new ManualClock(), stdin: 'pipe', env: { KV_TEST: 'env-ok', PATH: '/usr/bin:/bin' } },
      );
      h.stdin?.end('piped\n');
      const r = await h.exited;
      expect(r).toMatchObject({ exitCode: 0 });
      expect(r.output).toBe('piped env-ok\n');
    });

    it('starts the program in its own session and process group', async () => {
      const h = startProcess(
        { file: 'bash', args: ['-c', 'ps -o pid=,pgid=,sid= -p $$'] },
        { clock: new ManualClock() },
      );
      const r = await h.exited;
      const [pid, pgid, sid] = r.output.trim().split(/\s+/).map(Number);
      expect(pid).toBe(h.pid);
      expect(pgid).toBe(h.pid);
      expect(sid).toBe(h.pid);
    });

    it('reports a signal by its name and a program found along PATH', async () => {
      const r = await runProcess(
        { file: 'bash', args: ['-c', 'kill -USR1 $$'] },
        { clock: new ManualClock() },
      );
      expect(r).toMatchObject({ exitCode: null, signal: 'SIGUSR1' });
    });
  });
}
