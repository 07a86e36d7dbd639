/**
 * A detached daemon (keepvip without -n) writes its logs to syslog, as keepalived does: its
 * stdout and stderr are /dev/null, so before this it wrote them nowhere. The daemon is started
 * from the sources (through tsx) exactly as an operator would, `keepvip -f CONF -p PID`, with
 * `--syslog-socket` pointing at a stand-in syslog socket; it has no VRRP instance, so it sends
 * nothing on any network.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SyslogReceiver } from '../../unit/util/syslog-receiver.js';

const ROOT = resolve(__dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'kv-syslog-daemon-'));
let daemonPid: number | undefined;
afterAll(() => {
  if (daemonPid !== undefined) {
    try {
      process.kill(daemonPid, 'SIGKILL');
    } catch {
      // already stopped
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** writeEntry writes the tsx entry that runs src/cli/main.ts with this process's argv. */
function writeEntry(): string {
  const entry = join(dir, 'keepvip.mts');
  writeFileSync(
    entry,
    `import { main } from ${JSON.stringify(join(ROOT, 'src/cli/main.ts'))};\nawait main(process.argv);\n`,
  );
  return entry;
}

describe('logging of a detached daemon', () => {
  it('a detached daemon writes its logs to syslog (facility from -S)', async () => {
    const socket = join(dir, 'log.sock');
    const rx = await SyslogReceiver.start(socket);
    const conf = join(dir, 'keepalived.conf');
    const pidFile = join(dir, 'keepvip.pid');
    writeFileSync(conf, 'global_defs {\n  router_id syslog-test\n}\n');
    const entry = join(dir, 'keepvip.mts');
    writeFileSync(
      entry,
      `import { main } from ${JSON.stringify(join(ROOT, 'src/cli/main.ts'))};\nawait main(process.argv);\n`,
    );
    const env = { ...process.env };
    delete env.INVOCATION_ID;
    delete env.JOURNAL_STREAM;
    try {
      // Returns at once: the parent exits 0 and the daemon goes on detached.
      execFileSync(
        process.execPath,
        ['--import', 'tsx', entry, '-f', conf, '-p', pidFile, '-S', '2', '--syslog-socket', socket],
        { cwd: ROOT, env, stdio: 'inherit' },
      );
      const started = await rx.waitFor(/Starting Keepvip/);
      // local2 = 18: info is <18*8+6> = <150>.
      expect(started).toMatch(/^<150>.*Keepvip_vrrp\[\d+\]: Starting Keepvip v/);
      for (let i = 0; i < 500 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 10));
      daemonPid = Number(readFileSync(pidFile, 'utf8'));
      process.kill(daemonPid, 'SIGTERM');
      expect(await rx.waitFor(/Stopped Keepvip/)).toMatch(/^<150>/);
      console.log(
        `[syslog] detached daemon ${daemonPid}: ${rx.lines.length - 1} lines to syslog, first: ${started}`,
      );
      daemonPid = undefined;
    } finally {
      rx.stop();
    }
  });

  it('under systemd (INVOCATION_ID) it stays in the foreground and writes journal lines with levels to stdout', async () => {
    const conf = join(dir, 'journal.conf');
    const pidFile = join(dir, 'journal.pid');
    writeFileSync(conf, 'global_defs {\n  router_id journal-test\n}\n');
    const child = spawn(process.execPath, ['--import', 'tsx', writeEntry(), '-f', conf, '-p', pidFile], {
      cwd: ROOT,
      env: { ...process.env, INVOCATION_ID: 'kv-test-invocation' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const started = new Promise<void>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/Starting Keepvip/.test(out)) resolve();
      });
    });
    await started;
    // The control socket comes after the signal handlers: then SIGTERM is a graceful stop.
    const sock = pidFile.replace(/\.pid$/, '.sock');
    for (let i = 0; i < 1000 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(0);
    expect(out).toMatch(/^<6>Starting Keepvip v/m);
    expect(out).toMatch(/^<6>Stopped Keepvip$/m);
  });
});
