/**
 * Notify scripts and FIFO scripts follow keepalived's script rules as track scripts do: they run
 * as `script_user`, and with `enable_script_security` a script that would run as root while
 * another user can modify it is not run. Needs root (setuid, and files owned by root).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Notifier } from '../../../src/notify/notifier.js';
import { silentLogger } from '../../../src/util/logger.js';
import { resolveScriptUser } from '../../../src/util/script-security.js';
import { notifierConfig } from './notifier-config.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('SKIPPED notify script_user tests: need root to change user');

const dir = mkdtempSync(join(tmpdir(), 'kv-notify-user-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** waitForFile resolves with a file's text once it has `lines` lines (bounded). */
async function waitForLines(path: string, lines: number): Promise<string[]> {
  for (let i = 0; i < 500; i++) {
    const text = (() => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return '';
      }
    })();
    const got = text.split('\n').filter(Boolean);
    if (got.length >= lines) return got;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${path} did not get ${lines} line(s)`);
}

function notifierFor(globals: string, notify: string, logs: string[]) {
  const config = notifierConfig(dir, `  router_id u1\n${globals}`, `  ${notify}`);
  const log = { ...silentLogger, error: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };
  return { n: new Notifier(config, log, { prober: null, mailTransport: null }), config };
}

describe.skipIf(!isRoot)('notify scripts and script_user', () => {
  chmodSync(dir, 0o755);
  const out = join(dir, 'out');
  mkdirSync(out, { mode: 0o777 });
  chmodSync(out, 0o777);
  const whoami = join(dir, 'whoami.sh');
  writeFileSync(whoami, `#!/bin/bash\necho "$(id -u) $(id -g) [$(id -G)] $*" >> ${out}/who.log\n`, {
    mode: 0o755,
  });

  it('notify script runs as script_user', async () => {
    const logs: string[] = [];
    const { n, config } = notifierFor(
      '  script_user nobody',
      `notify ${whoami}\n  notify_master "${whoami} master"`,
      logs,
    );
    n.instanceTransition(config.vrrpInstances[0]!, 'MASTER', 100);
    await n.drain();
    const lines = await waitForLines(join(out, 'who.log'), 2);
    expect(lines).toEqual(['65534 65534 [65534] master', '65534 65534 [65534] INSTANCE VI_1 MASTER 100']);
    expect(logs).toEqual([]);
    rmSync(join(out, 'who.log'));
  });

  it("notify script runs with script_user's supplementary groups", async () => {
    let id: ReturnType<typeof resolveScriptUser>;
    try {
      id = resolveScriptUser({ user: 'postgres' });
    } catch {
      console.warn('SKIPPED supplementary groups: no user "postgres" with a supplementary group here');
      return;
    }
    if ((id.groups ?? []).length === 0) {
      console.warn('SKIPPED supplementary groups: "postgres" has none here');
      return;
    }
    const logs: string[] = [];
    const { n, config } = notifierFor('  script_user postgres', `notify ${whoami}`, logs);
    n.instanceTransition(config.vrrpInstances[0]!, 'BACKUP', 90);
    await n.drain();
    const [line] = await waitForLines(join(out, 'who.log'), 1);
    const groups = /\[(.*)\]/.exec(line!)![1]!.split(' ').map(Number).sort();
    expect(line).toMatch(new RegExp(`^${id.uid} ${id.gid} `));
    expect(groups).toEqual([id.gid, ...id.groups!].sort());
    console.log(`[script-user] postgres notify script: ${line}`);
    rmSync(join(out, 'who.log'));
  });

  it('FIFO script runs as script_user', async () => {
    const fifo = join(dir, 'notify.fifo');
    const reader = join(dir, 'reader.sh');
    // The reader records who it is and the first line it reads, then exits.
    writeFileSync(reader, `#!/bin/bash\nread -r line < "$1"\necho "$(id -u) $line" >> ${out}/fifo.log\n`, {
      mode: 0o755,
    });
    const logs: string[] = [];
    const { n, config } = notifierFor(
      `  script_user nobody\n  notify_fifo ${fifo}\n  notify_fifo_script ${reader}`,
      '',
      logs,
    );
    n.instanceTransition(config.vrrpInstances[0]!, 'MASTER', 100);
    const [line] = await waitForLines(join(out, 'fifo.log'), 1);
    await n.drain();
    expect(line).toBe('65534 INSTANCE "VI_1" MASTER 100');
  });

  it('enable_script_security refuses a notify script others can modify, as root', async () => {
    const unsafe = join(out, 'unsafe.sh'); // in a world-writable directory, run as root
    writeFileSync(unsafe, `#!/bin/bash\necho ran >> ${out}/unsafe.log\n`, { mode: 0o755 });
    const logs: string[] = [];
    const { n, config } = notifierFor(
      '  enable_script_security',
      `notify ${unsafe}\n  notify_backup ${whoami}`,
      logs,
    );
    n.instanceTransition(config.vrrpInstances[0]!, 'BACKUP', 100);
    n.instanceTransition(config.vrrpInstances[0]!, 'BACKUP', 100);
    await n.drain();
    expect(logs.filter((l) => l.startsWith('SECURITY VIOLATION'))).toEqual([
      `SECURITY VIOLATION - notify script ${unsafe} is not run: ${out} is writable by every user, so running it as root is unsafe`,
    ]);
    expect(() => readFileSync(join(out, 'unsafe.log'))).toThrow(/ENOENT/);
    // The safe notify_backup (root-owned, in root-owned directories) still runs, as root.
    expect(await waitForLines(join(out, 'who.log'), 2)).toEqual(['0 0 [0] ', '0 0 [0] ']);
  });
});
