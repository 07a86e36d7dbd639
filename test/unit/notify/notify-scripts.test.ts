import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandsFor, NotifyQueue } from '../../../src/notify/notify-scripts.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { fileAppears, groupMembers, untilArmed, writeForker } from '../util/process-events.js';

describe('commandsFor: keepalived argument conventions', () => {
  const notify = {
    master: '/etc/keepalived/notify.sh master',
    backup: '/etc/keepalived/notify.sh backup',
    any: '/usr/local/bin/vrrp-event',
  };
  it('notify_master runs with its own arguments only, then notify with four appended', () => {
    expect(commandsFor(notify, 'INSTANCE', 'VI_1', 'MASTER', 100)).toEqual([
      { file: '/etc/keepalived/notify.sh', args: ['master'], viaShell: false },
      { file: '/usr/local/bin/vrrp-event', args: ['INSTANCE', 'VI_1', 'MASTER', '100'] },
    ]);
  });
  it('a state without its own script runs only notify; groups say GROUP', () => {
    expect(commandsFor(notify, 'GROUP', 'VG_1', 'FAULT', 0)).toEqual([
      { file: '/usr/local/bin/vrrp-event', args: ['GROUP', 'VG_1', 'FAULT', '0'] },
    ]);
  });
  it('split-brain events go to notify only, never to notify_master', () => {
    const calls = commandsFor({ ...notify, master: '/x' }, 'INSTANCE', 'VI_1', 'SPLIT_BRAIN', 150);
    expect(calls).toEqual([
      { file: '/usr/local/bin/vrrp-event', args: ['INSTANCE', 'VI_1', 'SPLIT_BRAIN', '150'] },
    ]);
  });
  it('a notify string with shell syntax gets the four words as "$@"', () => {
    const [call] = commandsFor({ any: 'logger -t kv "$0" && true' }, 'INSTANCE', 'VI_1', 'BACKUP', 90);
    expect(call).toEqual({
      file: '/bin/bash',
      args: ['-c', 'logger -t kv "$0" && true "$@"', 'notify', 'INSTANCE', 'VI_1', 'BACKUP', '90'],
    });
  });
  it('nothing configured, nothing to run', () => {
    expect(commandsFor({}, 'INSTANCE', 'VI_1', 'STOP', 0)).toEqual([]);
  });
});

describe('NotifyQueue runs real scripts in transition order', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-notify-unit-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serialises one instance (scripts of random length) and runs instances in parallel', async () => {
    const out = join(dir, 'order.log');
    // Each run sleeps a random few ms before appending: run concurrently, they would interleave.
    const script = join(dir, 'notify.sh');
    await writeFile(script, `#!/bin/bash\nsleep 0.0$((RANDOM % 5))\necho "$*" >> ${out}\n`, { mode: 0o755 });
    const q = new NotifyQueue(silentLogger, 5000, new ManualClock());
    const states = ['MASTER', 'BACKUP'] as const;
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      for (const inst of ['VI_1', 'VI_2']) {
        void q.enqueue(
          `INSTANCE/${inst}`,
          commandsFor({ any: script }, 'INSTANCE', inst, states[i % 2]!, 100 + i),
        );
      }
    }
    await q.drain();
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    for (const inst of ['VI_1', 'VI_2']) {
      const mine = lines.filter((l) => l.includes(` ${inst} `));
      expect(mine).toEqual(
        Array.from({ length: 20 }, (_, i) => `INSTANCE ${inst} ${states[i % 2]} ${100 + i}`),
      );
    }
    console.log(`[notify-scripts] 40 runs over 2 instances in ${Date.now() - started} ms`);
  });

  it('kills a hanging script at its timeout and still runs the next one', async () => {
    const out = join(dir, 'hang.log');
    const hang = join(dir, 'hang.sh');
    const next = join(dir, 'next.sh');
    await writeFile(hang, `#!/bin/bash\nsleep 60\necho never >> ${out}\n`, { mode: 0o755 });
    await writeFile(next, `#!/bin/bash\necho next "$@" >> ${out}\n`, { mode: 0o755 });
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (m: string) => warnings.push(m) };
    const clock = new ManualClock();
    const q = new NotifyQueue(log, 300, clock);
    void q.enqueue('INSTANCE/VI_1', [{ file: hang, args: [] }]);
    const done = q.enqueue('INSTANCE/VI_1', [{ file: next, args: ['ok'] }]);
    await untilArmed(clock);
    clock.advance(300);
    await done;
    expect(await readFile(out, 'utf8')).toBe('next ok\n');
    expect(warnings.some((w) => /timed out after 300 ms; killed/.test(w))).toBe(true);
  });

  it('a notify script that forks 200 children and hangs is killed with its process group', async () => {
    const ready = join(dir, 'forker.ready');
    const forker = join(dir, 'forker.sh');
    writeForker(forker, ready);
    const clock = new ManualClock();
    const q = new NotifyQueue(silentLogger, 15_000, clock);
    const done = q.enqueue('INSTANCE/VI_1', [{ file: forker, args: [] }]);
    await fileAppears(ready);
    const pgid = Number(readFileSync(ready, 'utf8'));
    const before = groupMembers(pgid).length;
    expect(before).toBeGreaterThanOrEqual(201);
    clock.advance(15_000); // the notify timeout: SIGTERM to the group
    await done; // the script itself is gone: the queue moves on
    clock.advance(1000); // the grace: SIGKILL to whatever ignored SIGTERM
    // kill(2) returns before the kernel has torn the processes down: look again on the next
    // turns of the event loop (no timer), a bounded number of times.
    let left = groupMembers(pgid);
    for (let i = 0; i < 5000 && left.length > 0; i++) {
      await new Promise((r) => setImmediate(r));
      left = groupMembers(pgid);
    }
    console.log(`[notify-scripts] process group of ${before} killed; ${left.length} left`);
    expect(left).toEqual([]);
  });
});
