import { spawn } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/util/logger.js';
import { fifoLine, NotifyFifo } from '../../../src/notify/fifo.js';

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
    const fifo = NotifyFifo.open(path, `/bin/bash -c 'cat "$0" > ${out}'`, silentLogger);
    expect(fifo).toBeDefined();
    expect(lstatSync(path).isFIFO()).toBe(true);
    fifo!.write(fifoLine('INSTANCE', 'VI_1', 'BACKUP', 100));
    fifo!.write(fifoLine('INSTANCE', 'VI_1', 'MASTER', 100));
    const deadline = Date.now() + 5000;
    let text = '';
    while (Date.now() < deadline) {
      text = await readFile(out, 'utf8').catch(() => '');
      if (text.split('\n').length >= 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    fifo!.close();
    expect(text).toBe('INSTANCE "VI_1" BACKUP 100\nINSTANCE "VI_1" MASTER 100\n');
  });

  it('never blocks when the reader is gone: lines beyond the pipe buffer are dropped and counted', () => {
    const path = join(dir, 'noreader.fifo');
    const warnings: string[] = [];
    const fifo = NotifyFifo.open(path, undefined, {
      ...silentLogger,
      warn: (m: string) => warnings.push(m),
    })!;
    const t0 = Date.now();
    // 64 KiB pipe buffer / ~28 bytes per line: 5000 lines overflow it.
    for (let i = 0; i < 5000; i++) fifo.write(fifoLine('INSTANCE', 'VI_1', 'MASTER', i % 256));
    const ms = Date.now() - t0;
    fifo.close();
    expect(fifo.dropped).toBeGreaterThan(0);
    expect(fifo.written + fifo.dropped).toBe(5000);
    expect(warnings).toHaveLength(1);
    expect(ms).toBeLessThan(2000);
    console.log(`[fifo] no reader: ${fifo.written} written, ${fifo.dropped} dropped in ${ms} ms`);
  });

  it('a reader that dies mid-stream does not stall or kill the writer (no SIGPIPE: we hold the read end)', async () => {
    const path = join(dir, 'dying.fifo');
    const fifo = NotifyFifo.open(path, undefined, silentLogger)!;
    const reader = spawn('head', ['-n', '1', path], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((r) => setTimeout(r, 100));
    fifo.write(fifoLine('INSTANCE', 'VI_1', 'MASTER', 1));
    await new Promise((r) => reader.on('exit', r));
    for (let i = 0; i < 10; i++) fifo.write(fifoLine('INSTANCE', 'VI_1', 'BACKUP', 1));
    fifo.close();
    expect(fifo.written).toBe(11);
  });

  it('refuses a path that exists and is not a FIFO', async () => {
    const errors: string[] = [];
    const f = NotifyFifo.open(dir, undefined, { ...silentLogger, error: (m: string) => errors.push(m) });
    expect(f).toBeUndefined();
    expect(errors[0]).toMatch(/is not a FIFO/);
  });
});
