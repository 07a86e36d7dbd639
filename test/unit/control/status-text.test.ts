/** The status text (`keepvip status`, `--watch`): what moved a priority, the IPVS table with verdicts, redraw on change only. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StatusWatch, watchFrame } from '../../../src/cli/status.js';
import { startControlServer } from '../../../src/control/server.js';
import {
  formatStatus,
  priorityMoves,
  type StatusDocument,
  trackContribution,
} from '../../../src/control/status-text.js';
import { silentLogger } from '../../../src/util/logger.js';
import type { CheckSnapshot } from '../../../src/check/snapshot.js';
import type { LvsStatus } from '../../../src/lvs/status.js';
import { CHECKS, LVS_STATUS, snapshot } from './fixture.js';

function doc(lvs: LvsStatus | undefined = LVS_STATUS, checkers?: CheckSnapshot): StatusDocument {
  const s = snapshot();
  return {
    pid: 42,
    version: '0.1.0',
    instances: s.instances,
    drops: s.drops,
    lvs,
    ...(checkers ? { checkers } : {}),
  };
}

describe('status text', () => {
  it('names what moved the priority', () => {
    const text = formatStatus(doc());
    expect(text).toContain(
      'VI_1: MASTER  vrid 51 v2 on eth0  priority 130 (base 150) moved by -20 script chk_nginx  master 10.0.0.1',
    );
    expect(text).toContain('VI_2: BACKUP  vrid 52 v3 on eth0  priority 100 (base 100)  master -');
  });

  const cases: [string, Parameters<typeof trackContribution>[0], number][] = [
    ['a failing object with a negative weight subtracts it', { name: 's', good: false, weight: -20 }, -20],
    ['a good object with a negative weight adds nothing', { name: 's', good: true, weight: -20 }, 0],
    ['a good object with a positive weight adds it', { name: 's', good: true, weight: 10 }, 10],
    ['reverse flips the sign', { name: 's', good: true, weight: 10, reverse: true }, -10],
    ['weight 0 never moves the priority (it faults)', { name: 's', good: false, weight: 0 }, 0],
    ['a track_file adds value x weight', { name: 'file f', good: true, weight: -5, value: 3 }, -15],
  ];
  for (const [name, track, expected] of cases)
    it(name, () => {
      expect(trackContribution(track)).toBe(expected);
    });

  it('priorityMoves lists only objects that move it', () => {
    const i = doc().instances[0]!;
    expect(
      priorityMoves({ ...i, tracks: [...i.tracks, { name: 'interface eth1', good: true, weight: 0 }] }),
    ).toEqual(['-20 script chk_nginx']);
  });

  it('shows the IPVS table with each real server verdict and weight', () => {
    const text = formatStatus(doc());
    expect(text).toContain('IPVS:\n  TCP [10.0.0.100]:80 wlc');
    expect(text).toContain('    -> [10.0.1.1]:80 dr weight 5 active 3 inactive 7  alive');
    expect(text).toContain('    -> [10.0.1.2]:80 dr weight 0 active 0 inactive 1  DOWN (HTTP status 500)');
    expect(text).toContain(
      '  FWM 7 rr  QUORUM LOST\n    -> [10.0.1.3]:443 dr weight 1 active 1 inactive 0  no verdict',
    );
  });

  it('says nothing about IPVS on a node without virtual servers, and why a table is not programmed', () => {
    expect(formatStatus({ ...doc(), lvs: undefined })).not.toContain('IPVS');
    expect(
      formatStatus(doc({ state: 'not-configured', reconciles: 0, operations: 0, virtualServers: [] })),
    ).not.toContain('IPVS');
    expect(
      formatStatus(doc({ ...LVS_STATUS, state: 'not-programmed', reason: 'no IPVS in this kernel' })),
    ).toContain(
      'IPVS (not programmed: no IPVS in this kernel; the table it would program):\n  TCP [10.0.0.100]:80 wlc',
    );
  });

  it('lists each real server with its checkers, last result and latency', () => {
    expect(formatStatus(doc(LVS_STATUS, CHECKS))).toContain(
      'Real servers:\n  [10.0.1.2]:tcp:80 of [10.0.0.100]:tcp:80: DOWN weight 0 (HTTP status 500)\n    HTTP_GET 10.0.1.2:80: down, last failed 2.5 ms (HTTP status 500)',
    );
  });
});

describe('status --watch', () => {
  it('redraws only when the status text changes', async () => {
    const frames = ['a', 'a', 'b', 'b', 'a'];
    const writes: string[] = [];
    const w = new StatusWatch(
      async () => frames.shift()!,
      { write: (t) => writes.push(t), isTTY: true },
      'hdr',
    );
    const drawn = [];
    for (let k = 0; k < 5; k++) drawn.push(await w.tick());
    expect(drawn).toEqual([true, false, true, false, true]);
    expect(writes).toEqual(['\x1b[H\x1b[2Jhdr\n\na\n', '\x1b[H\x1b[2Jhdr\n\nb\n', '\x1b[H\x1b[2Jhdr\n\na\n']);
  });

  it('a frame is the daemon status through the control socket, or why it did not answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-watch-'));
    try {
      const path = join(dir, 'keepvip.sock');
      expect(await watchFrame(path)).toMatch(/^keepvip status --watch: cannot reach the daemon at .*ENOENT/);
      const server = await startControlServer(path, { status: () => doc() }, silentLogger);
      expect(await watchFrame(path)).toBe(formatStatus(doc()));
      server.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
