import { spawn } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fifoLine, NotifyFifo } from '../../../src/notify/fifo.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';

const run = () => ({ clock: new ManualClock() });

describe('notify FIFO', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-fifo-unit-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('formats lines as keepalived does', () => {
    expect(fifoLine('INSTANCE', 'VI_1', 'MASTER', 100)).toBe('INSTANCE "VI_1" MASTER 100\n');
    expect(fifoLine('GROUP', 'VG_1', 'BACKUP', 0)).toBe('GROUP "VG_1" BACKUP 0\n');
  });

  it('creates the FIFO, starts the reader script with its path, and the reader gets every line', async () => {
    const path = join(dir, 'notify.fifo');
    const out = join(dir, 'read.log');
    // The reader exits after two lines, so the test waits for its exit, not for a timer.
    const fifo = NotifyFifo.open(path, `/bin/bash -c 'head -n 2 "$0" > ${out}'`, silentLogger, run());
    expect(fifo).toBeDefined();
    expect(lstatSync(path).isFIFO()).toBe(true);
    fifo!.write(fifoLine('INSTANCE', 'VI_1', 'BACKUP', 100));
    fifo!.write(fifoLine('INSTANCE', 'VI_1', 'MASTER', 100));
    const ended = await fifo!.reader!.exited;
    fifo!.close();
    expect(ended.exitCode).toBe(0);
    const text = await readFile(out, 'utf8');
    expect(text).toBe('INSTANCE "VI_1" BACKUP 100\nINSTANCE "VI_1" MASTER 100\n');
  });

  it('never blocks when the reader is gone: lines beyond the pipe buffer are dropped and counted', () => {
    const path = join(dir, 'noreader.fifo');
    const warnings: string[] = [];
    const clock = new ManualClock();
    const fifo = NotifyFifo.open(
      path,
      undefined,
      { ...silentLogger, warn: (m: string) => warnings.push(m) },
      { clock },
    )!;
    // 64 KiB pipe buffer / ~28 bytes per line: 5000 lines overflow it.
    for (let i = 0; i < 5000; i++) fifo.write(fifoLine('INSTANCE', 'VI_1', 'MASTER', i % 256));
    expect(fifo.dropped).toBeGreaterThan(0);
    expect(fifo.written + fifo.dropped).toBe(5000);
    expect(warnings).toHaveLength(1); // drops are logged at most every 10 s
    clock.advance(10_000);
    fifo.write(fifoLine('INSTANCE', 'VI_1', 'MASTER', 1));
    expect(warnings).toHaveLength(2);
    fifo.close();
    console.log(`[fifo] no reader: ${fifo.written} written, ${fifo.dropped} dropped`);
  });

  it('a reader that dies mid-stream does not stall or kill the writer (no SIGPIPE: we hold the read end)', async () => {
    const path = join(dir, 'dying.fifo');
    const fifo = NotifyFifo.open(path, undefined, silentLogger, run())!;
    // The line waits in the pipe (we hold both ends) until head opens the FIFO and reads it.
    fifo.write(fifoLine('INSTANCE', 'VI_1', 'MASTER', 1));
    const reader = spawn('head', ['-n', '1', path], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((r) => reader.on('exit', r));
    for (let i = 0; i < 10; i++) fifo.write(fifoLine('INSTANCE', 'VI_1', 'BACKUP', 1));
    fifo.close();
    expect(fifo.written).toBe(11);
  });

  it('refuses a path that exists and is not a FIFO', async () => {
    const errors: string[] = [];
    const f = NotifyFifo.open(
      dir,
      undefined,
      { ...silentLogger, error: (m: string) => errors.push(m) },
      run(),
    );
    expect(f).toBeUndefined();
    expect(errors[0]).toMatch(/is not a FIFO/);
  });
});
