/**
 * The dump signals reach the writer: SIGUSR1 / SIGUSR2 through process.on, SIGJSON (SIGRTMIN+2)
 * through the native real-time signal handler (native/src/rtsignal.c). Without that handler a
 * SIGRTMIN+2 from keepalived-exporter would terminate the daemon (the signal's default action).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DumpWriter, installDumpSignals } from '../../../src/control/dump-signals.js';
import { rtSignalNumber, SIGJSON_OFFSET } from '../../../src/kernel/rt-signal.js';
import { silentLogger } from '../../../src/util/logger.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kv-sig-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('dump signals', () => {
  it('SIGJSON is SIGRTMIN+2 = 36 with glibc, as `kill -s RTMIN+2` sends it', () => {
    expect(rtSignalNumber(SIGJSON_OFFSET)).toBe(36);
  });

  it('SIGUSR1, SIGUSR2 and SIGRTMIN+2 each write their dump; the handlers go away on remove', async () => {
    const rendered: string[] = [];
    let done: () => void = () => {};
    const all = new Promise<void>((r) => {
      done = r;
    });
    const source = (kind: string) => () => {
      rendered.push(kind);
      if (rendered.length === 3) queueMicrotask(done);
      return `${kind}\n`;
    };
    const writer = new DumpWriter({
      pidFile: join(dir, 'kv.pid'),
      isDefaultPidFile: false,
      log: silentLogger,
      compatJson: false,
      sources: { data: source('data'), stats: source('stats'), json: source('json') },
    });
    const remove = installDumpSignals(writer, silentLogger);
    try {
      process.kill(process.pid, 'SIGUSR1');
      process.kill(process.pid, 'SIGUSR2');
      process.kill(process.pid, rtSignalNumber(SIGJSON_OFFSET));
      await all;
    } finally {
      remove();
    }
    expect(rendered.sort()).toEqual(['data', 'json', 'stats']);
    expect(readFileSync(join(dir, 'kv.json'), 'utf8')).toBe('json\n');
    expect(readFileSync(join(dir, 'kv.data'), 'utf8')).toBe('data\n');
    expect(readFileSync(join(dir, 'kv.stats'), 'utf8')).toBe('stats\n');
    expect(process.listenerCount('SIGUSR1')).toBe(0);
  });
});
