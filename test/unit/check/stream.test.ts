import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readUntil } from '../../../src/check/probes/stream.js';
import { ManualClock } from '../../../src/util/manual-clock.js';

describe('readUntil: a read timeout yields to a reply already waiting (keepalived handles ready sockets before expired timers)', () => {
  it('data that arrives in the turn the timeout fired wins over the timeout', async () => {
    const clock = new ManualClock();
    const s = new PassThrough();
    const got = readUntil(s, { timeoutMs: 2000, clock, maxBytes: 1024, done: (b) => b.includes('\n') });
    clock.advance(2000); // the timeout is due: it waits for the loop's poll
    s.write('HTTP/1.0 200 OK\n'); // the reply the loop reads in that poll
    expect((await got).toString()).toBe('HTTP/1.0 200 OK\n');
  });

  it('without data the timeout fails the read after the poll', async () => {
    const clock = new ManualClock();
    const s = new PassThrough();
    const got = readUntil(s, { timeoutMs: 2000, clock, maxBytes: 1024 });
    clock.advance(2000);
    await expect(got).rejects.toMatchObject({ errno: 'ETIMEDOUT' });
  });
});
