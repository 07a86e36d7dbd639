/**
 * Links over rtnetlink against the real kernel: getLink, getPrimaryAddress and watchLinks
 * reporting carrier changes when the peer end of a veth goes down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentEvent,
  createVethPair,
  failure,
  deleteNamespaces,
  isRoot,
  NsAgent,
  run,
} from './harness.js';

const NS_A = 'kvk-link-a';
const NS_B = 'kvk-link-b';
const IF_A = 'kvklinka0';
const IF_B = 'kvklinkb0';

if (!isRoot) console.warn('SKIPPED kernel link tests: they need root to build network namespaces');

type Link = { index: number; name: string; mac: string; up: boolean; carrier: boolean; mtu: number };

describe.skipIf(!isRoot)('links over rtnetlink', () => {
  let a: NsAgent | undefined;

  beforeAll(async () => {
    await createVethPair({
      nsA: NS_A,
      nsB: NS_B,
      ifA: IF_A,
      ifB: IF_B,
      v4A: '10.204.0.1/24',
      v4B: '10.204.0.2/24',
    });
    a = await NsAgent.start(NS_A);
  });

  afterAll(async () => {
    await a?.stop();
    await deleteNamespaces(NS_A, NS_B);
  });

  it('getLink reports index, name, MAC, admin state, carrier and MTU as ip link does', async () => {
    const [expected] = JSON.parse(await run('ip', '-n', NS_A, '-j', 'link', 'show', 'dev', IF_A)) as {
      ifindex: number;
      address: string;
      mtu: number;
    }[];
    const link = await a!.call<Link>('getLink', IF_A);
    expect(link).toEqual({
      index: expected!.ifindex,
      name: IF_A,
      mac: expected!.address,
      up: true,
      carrier: true,
      mtu: expected!.mtu,
    });
    const missing = await failure(a!.call('getLink', 'kvknosuch0'));
    expect(missing).toMatchObject({ code: 'E_SYSCALL', errno: 'ENODEV' });
  });

  it('getPrimaryAddress picks the first primary IPv4 address and the link-local IPv6 address', async () => {
    await run('ip', '-n', NS_A, 'addr', 'add', '10.204.0.50/24', 'dev', IF_A); // becomes secondary
    expect(await a!.call('getPrimaryAddress', IF_A, 'inet')).toBe('10.204.0.1');
    const [info] = JSON.parse(
      await run('ip', '-n', NS_A, '-j', '-6', 'addr', 'show', 'dev', IF_A, 'scope', 'link'),
    ) as {
      addr_info: { local: string }[];
    }[];
    expect(await a!.call('getPrimaryAddress', IF_A, 'inet6')).toBe(info!.addr_info[0]!.local);
    expect(await a!.call('getPrimaryAddress', 'lo', 'inet6')).toBeNull();
  });

  // The kernel's linkwatch delays a carrier-up event by up to a second (non-urgent events are
  // batched at 1 HZ), so the bound is the kernel's second plus a loaded machine's slack; the
  // figures are printed.
  it('watchLinks reports carrier loss and return on the peer end', async () => {
    await a!.call('watchLinks');
    const linkEvent = (after: number, carrier: boolean) => (e: AgentEvent) =>
      e.event === 'link' &&
      (e.receivedAt as number) >= after &&
      (e.link as Link).name === IF_A &&
      (e.link as Link).carrier === carrier;

    let t0 = performance.now();
    await run('ip', '-n', NS_B, 'link', 'set', IF_B, 'down');
    const down = await a!.waitFor(linkEvent(t0, false), 5_000);
    expect((down.link as Link).up).toBe(true); // our side is still administratively up
    const downMs = (down.receivedAt as number) - t0;

    t0 = performance.now();
    await run('ip', '-n', NS_B, 'link', 'set', IF_B, 'up');
    const up = await a!.waitFor(linkEvent(t0, true), 5_000);
    const upMs = (up.receivedAt as number) - t0;
    console.log(
      `[links] carrier loss seen after ${downMs.toFixed(1)} ms, return after ${upMs.toFixed(1)} ms`,
    );
  });

  it('watchLinks reports our own admin down and the removal of the link', async () => {
    const t0 = performance.now();
    await run('ip', '-n', NS_A, 'link', 'set', IF_A, 'down');
    await a!.waitFor(
      (e) =>
        e.event === 'link' &&
        (e.receivedAt as number) >= t0 &&
        (e.link as Link).name === IF_A &&
        !(e.link as Link).up,
      1_000,
    );
    const t1 = performance.now();
    await run('ip', '-n', NS_A, 'link', 'del', IF_A);
    await a!.waitFor(
      (e) =>
        e.event === 'link' &&
        (e.receivedAt as number) >= t1 &&
        (e.link as Link & { deleted?: boolean }).deleted === true,
      1_000,
    );
  });
});
