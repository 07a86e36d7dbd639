/**
 * VIP addresses over rtnetlink against the real kernel, checked with `ip -d addr show`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVethPair, failure, deleteNamespaces, isRoot, NsAgent, run } from './harness.js';

const NS_A = 'kvk-addr-a';
const NS_B = 'kvk-addr-b';
const IF_A = 'kvkaddra0';
const IF_B = 'kvkaddrb0';

if (!isRoot) console.warn('SKIPPED kernel address tests: they need root to build network namespaces');

const V4 = {
  address: '10.203.0.100',
  family: 'inet',
  prefixLength: 24,
  dev: IF_A,
  brd: '+',
  label: `${IF_A}:vip`,
};
const V4_LINK = { address: '10.203.9.9', family: 'inet', prefixLength: 32, dev: IF_A, scope: 'link' };
const V4_HOST = {
  address: '10.203.8.8',
  family: 'inet',
  prefixLength: 32,
  dev: IF_A,
  scope: 'host',
  brd: '10.203.8.255',
};
const V6 = { address: 'fd00:203::100', family: 'inet6', prefixLength: 64, dev: IF_A };

/** showAddr returns `ip -d addr show dev IF_A` in the namespace. */
function showAddr(): Promise<string> {
  return run('ip', '-n', NS_A, '-d', 'addr', 'show', 'dev', IF_A);
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe.skipIf(!isRoot)('addresses over rtnetlink', () => {
  let a: NsAgent | undefined;

  beforeAll(async () => {
    await createVethPair({
      nsA: NS_A,
      nsB: NS_B,
      ifA: IF_A,
      ifB: IF_B,
      v4A: '10.203.0.1/24',
      v4B: '10.203.0.2/24',
    });
    // DAD back on, so IFA_F_NODAD on the VIP is what keeps it from being tentative.
    await run('ip', 'netns', 'exec', NS_A, 'sysctl', '-qw', `net.ipv6.conf.${IF_A}.accept_dad=1`);
    a = await NsAgent.start(NS_A);
  });

  afterAll(async () => {
    await a?.stop();
    await deleteNamespaces(NS_A, NS_B);
  });

  it('adds IPv4 VIPs with prefix, broadcast, label and scope', async () => {
    await a!.call('addAddress', V4);
    await a!.call('addAddress', V4_LINK);
    await a!.call('addAddress', V4_HOST);
    const out = await showAddr();
    expect(out).toMatch(
      /inet 10\.203\.0\.100\/24 brd 10\.203\.0\.255 scope global secondary kvkaddra0:vip\n/,
    );
    expect(out).toMatch(/inet 10\.203\.9\.9\/32 scope link kvkaddra0\n/);
    expect(out).toMatch(/inet 10\.203\.8\.8\/32 brd 10\.203\.8\.255 scope host kvkaddra0\n/);
  });

  it('adds an IPv6 VIP with IFA_F_NODAD, usable at once', async () => {
    await a!.call('addAddress', V6);
    const out = await showAddr();
    expect(out).toMatch(/inet6 fd00:203::100\/64 scope global nodad\s*\n/);
    expect(out).not.toMatch(/fd00:203::100\/64.*tentative/);
  });

  it('re-adding an existing VIP is a no-op', async () => {
    for (const vip of [V4, V4_LINK, V4_HOST, V6]) await a!.call('addAddress', vip);
    const out = await showAddr();
    for (const address of ['10.203.0.100/', '10.203.9.9/', '10.203.8.8/', 'fd00:203::100/']) {
      expect(count(out, address)).toBe(1);
    }
  });

  it('listAddresses reports what is installed, with label, brd, scope and flags', async () => {
    const list = await a!.call<Record<string, unknown>[]>('listAddresses', IF_A);
    expect(list.map((x) => x.address)).toEqual(
      expect.arrayContaining(['10.203.0.1', '10.203.0.100', '10.203.9.9', '10.203.8.8', 'fd00:203::100']),
    );
    expect(list.every((x) => x.dev === IF_A)).toBe(true);
    expect(list.find((x) => x.address === '10.203.0.100')).toMatchObject({
      family: 'inet',
      prefixLength: 24,
      brd: '10.203.0.255',
      scope: 'global',
      label: `${IF_A}:vip`,
      flags: { secondary: true },
    });
    expect(list.find((x) => x.address === '10.203.9.9')).toMatchObject({ scope: 'link', prefixLength: 32 });
    expect(list.find((x) => x.address === 'fd00:203::100')).toMatchObject({
      family: 'inet6',
      prefixLength: 64,
      flags: { nodad: true },
    });
    const all = await a!.call<Record<string, unknown>[]>('listAddresses');
    expect(all.some((x) => x.dev === 'lo' && x.address === '127.0.0.1')).toBe(true);
  });

  it('deletes VIPs, and deleting an absent VIP is a no-op', async () => {
    for (const vip of [V4, V4_LINK, V4_HOST, V6]) await a!.call('deleteAddress', vip);
    let out = await showAddr();
    for (const address of ['10.203.0.100/', '10.203.9.9/', '10.203.8.8/', 'fd00:203::100/']) {
      expect(out).not.toContain(address);
    }
    expect(out).toContain('inet 10.203.0.1/24'); // the interface's own address stays
    for (const vip of [V4, V6]) await a!.call('deleteAddress', vip);
    out = await showAddr();
    expect(out).toContain('inet 10.203.0.1/24');
  });

  it('rejects a label that does not begin with the interface name, before asking the kernel', async () => {
    const error = await failure(a!.call('addAddress', { ...V4, label: 'eth0:vip' }));
    expect(error.code).toBe('E_ADDRESS_LABEL');
    expect(error.message).toContain(`must begin with the interface name "${IF_A}"`);
    expect(await showAddr()).not.toContain('10.203.0.100/');
  });

  it('keeps the errno of kernel refusals: ENODEV for a missing interface, EACCES with IPv6 disabled', async () => {
    const missing = await failure(a!.call('addAddress', { ...V4, dev: 'kvknosuch0', label: undefined }));
    expect(missing).toMatchObject({ code: 'E_SYSCALL', errno: 'ENODEV' });
    await run('ip', 'netns', 'exec', NS_A, 'sysctl', '-qw', `net.ipv6.conf.${IF_A}.disable_ipv6=1`);
    try {
      const refused = await failure(a!.call('addAddress', V6));
      expect(refused).toMatchObject({ code: 'E_SYSCALL', errno: 'EACCES' });
    } finally {
      await run('ip', 'netns', 'exec', NS_A, 'sysctl', '-qw', `net.ipv6.conf.${IF_A}.disable_ipv6=0`);
    }
  });
});
