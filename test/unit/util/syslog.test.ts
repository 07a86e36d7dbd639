/** Syslog output through logger(1) to a real Unix datagram socket. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, logTarget } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { parseFacility, SyslogWriter, syslogLine } from '../../../src/util/syslog.js';
import { SyslogReceiver } from './syslog-receiver.js';

const dir = mkdtempSync(join(tmpdir(), 'kv-syslog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('log destination', () => {
  it('-l is the console; under systemd the journal; otherwise syslog, as keepalived', () => {
    expect(logTarget(true, { INVOCATION_ID: 'x' })).toBe('console');
    expect(logTarget(false, { INVOCATION_ID: 'abc' })).toBe('journal');
    expect(logTarget(false, { JOURNAL_STREAM: '8:1234' })).toBe('journal');
    expect(logTarget(false, {})).toBe('syslog');
  });

  it('reads keepalived -S values', () => {
    expect(['0', '7', 'local3', 'daemon', 'USER', 'LOG_LOCAL1'].map(parseFacility)).toEqual([
      'local0',
      'local7',
      'local3',
      'daemon',
      'user',
      'local1',
    ]);
    expect(parseFacility('8')).toBeUndefined();
    expect(parseFacility('nonsense')).toBeUndefined();
  });

  it('journal lines carry the sd-daemon level prefix', () => {
    const out: string[] = [];
    const log = createLogger({ journal: true, stream: { write: (s: string) => out.push(s) } as never });
    log.warn('(VI_1) Entering FAULT STATE');
    expect(out).toEqual(['<4>(VI_1) Entering FAULT STATE\n']);
    expect(syslogLine('error', 'a\nb')).toBe('<3>a b\n');
  });

  it('a batching logger writes the lines of one callback in one write, in order, before the next callback', async () => {
    const out: string[] = [];
    const log = createLogger({
      journal: true,
      batch: true,
      stream: { write: (s: string) => out.push(s) } as never,
    });
    log.info('(VI_1) Entering MASTER STATE');
    log.info('(VI_1) setting VIPs.');
    log.debug('not shown without detail');
    expect(out).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(out).toEqual(['<6>(VI_1) Entering MASTER STATE\n<6>(VI_1) setting VIPs.\n']);
    log.error('next');
    await new Promise((r) => setImmediate(r));
    expect(out).toEqual(['<6>(VI_1) Entering MASTER STATE\n<6>(VI_1) setting VIPs.\n', '<3>next\n']);
  });
});

describe('batched console lines', () => {
  it('the lines of one callback share one time stamp; the next callback reads the clock again', async () => {
    const out: string[] = [];
    const log = createLogger({ batch: true, stream: { write: (s: string) => out.push(s) } as never });
    for (let i = 0; i < 3; i++) log.info(`line ${i}`);
    await new Promise((r) => setTimeout(r, 5));
    log.info('later');
    await new Promise((r) => setImmediate(r));
    const stamps = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => l.slice(0, 23));
    expect(stamps).toHaveLength(4);
    expect(new Set(stamps.slice(0, 3)).size).toBe(1);
    expect(stamps[3]! > stamps[0]!).toBe(true);
    expect(out[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} Keepvip: line 0\n/);
  });
});

describe('SyslogWriter', () => {
  it('delivers each message with its facility and level, tagged with the daemon pid', async () => {
    const socket = join(dir, 'log.sock');
    const rx = await SyslogReceiver.start(socket);
    const w = new SyslogWriter({
      tag: 'Keepvip_vrrp',
      pid: 4242,
      facility: 'local3',
      socket,
      clock: new ManualClock(),
    });
    try {
      const log = createLogger({ syslog: w });
      log.info('(VI_1) Entering MASTER STATE');
      log.error('(VI_1) cannot send');
      // local3 = 19: info is <19*8+6> = <158>, error <155>.
      expect(await rx.waitFor(/Entering MASTER/)).toMatch(
        /^<158>.*Keepvip_vrrp\[4242\]: \(VI_1\) Entering MASTER STATE$/,
      );
      expect(await rx.waitFor(/cannot send/)).toMatch(/^<155>/);
    } finally {
      w.close();
      rx.stop();
    }
  });
});
