/**
 * `keepvip realserver up|down|status` in a network namespace of its own: the VIPs land on lo as
 * /32 and /128, net.ipv4.conf.all.arp_ignore/arp_announce are raised to 1/2 (the kernel reads
 * max(all, interface)), `up` twice changes nothing, `down` undoes exactly what `up` did (an
 * address that was there before and a sysctl changed since are left alone).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  integrationSkipReason,
  netnsExec,
  removeNetnsSync,
  run,
  sweepPrefixSync,
} from '../../helpers/netns.js';
import { REPO_ROOT } from '../../helpers/uml.js';
import { ensureDist } from '../../helpers/dist.js';

const skip = integrationSkipReason();
if (skip) console.warn(`SKIP realserver tests: ${skip}`);

const NS = 'kvrs-rs1';

describe.skipIf(!!skip)('keepvip realserver', () => {
  let dir: string;
  let state: string;
  const keepvip = (...args: string[]) =>
    netnsExec(NS, 'node', [join(REPO_ROOT, 'bin/keepvip'), 'realserver', ...args, '--state', state], {
      reject: false,
    });
  const sysctl = async (name: string) =>
    (await netnsExec(NS, 'cat', [`/proc/sys/net/ipv4/conf/${name}`])).stdout.trim();
  const lo = async () => (await netnsExec(NS, 'ip', ['-o', 'addr', 'show', 'dev', 'lo'])).stdout;

  beforeAll(async () => {
    await ensureDist();
    sweepPrefixSync('kvrs');
    await run('ip', ['netns', 'add', NS]);
    await netnsExec(NS, 'ip', ['link', 'set', 'lo', 'up']);
    await netnsExec(NS, 'ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']);
    await netnsExec(NS, 'ip', ['link', 'set', 'eth0', 'up']);
    dir = mkdtempSync(join(tmpdir(), 'kvrs-'));
    state = join(dir, 'realserver.json');
  });
  afterAll(() => {
    removeNetnsSync(NS);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('up puts the VIPs on lo and raises the ARP sysctls; up again changes nothing', async () => {
    // An address that was already on lo must survive `down`.
    await netnsExec(NS, 'ip', ['addr', 'add', '10.9.9.9/32', 'dev', 'lo']);
    expect(await sysctl('all/arp_ignore')).toBe('0');
    const up = await keepvip('up', '--vip', '192.168.23.20', '--vip', 'fd00::20', '--vip', '10.9.9.9');
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await lo()).toMatch(/inet 192\.168\.23\.20\/32/);
    expect(await lo()).toMatch(/inet6 fd00::20\/128/);
    expect(await sysctl('all/arp_ignore')).toBe('1');
    expect(await sysctl('all/arp_announce')).toBe('2');
    const recorded = JSON.parse(readFileSync(state, 'utf8'));
    expect(recorded.addresses).toEqual(['192.168.23.20/32', 'fd00::20/128']);
    const again = await keepvip('up', '--vip', '192.168.23.20', '--vip', 'fd00::20');
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('192.168.23.20/32 already on lo (added by keepvip)');
    expect(JSON.parse(readFileSync(state, 'utf8'))).toEqual(recorded);
    const st = await keepvip('status', '--vip', '192.168.23.20');
    expect(st.exitCode, st.stdout).toBe(0);
    expect(st.stdout).toContain('arp_ignore: >= 1 on every interface');
  });

  it('down undoes exactly what up did', async () => {
    const down = await keepvip('down');
    expect(down.exitCode, down.stderr).toBe(0);
    const addrs = await lo();
    expect(addrs).not.toMatch(/192\.168\.23\.20/);
    expect(addrs).not.toMatch(/fd00::20/);
    expect(addrs).toMatch(/10\.9\.9\.9\/32/);
    expect(await sysctl('all/arp_ignore')).toBe('0');
    expect(await sysctl('all/arp_announce')).toBe('0');
    const st = await keepvip('status', '--vip', '192.168.23.20');
    expect(st.exitCode).toBe(1);
  });

  it('a sysctl changed by someone else after up is left alone by down', async () => {
    expect((await keepvip('up', '--vip', '192.168.23.20')).exitCode).toBe(0);
    await netnsExec(NS, 'sh', ['-c', 'echo 3 > /proc/sys/net/ipv4/conf/all/arp_announce']);
    const down = await keepvip('down', '--vip', '192.168.23.20');
    expect(down.stdout).toContain('changed since keepvip set 2; left alone');
    expect(await sysctl('all/arp_announce')).toBe('3');
    expect(await sysctl('all/arp_ignore')).toBe('0');
  });
});
