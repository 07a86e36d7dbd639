/**
 * A netlink receive queue overrun (ENOBUFS) is survived: the regression test for the abort at
 * scale (issue 11), where the netlink package's binding hit std::terminate ("Error in native
 * callback") on POLLERR when a hundred instances asked for their interface at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVethPair, deleteNamespaces, isRoot, NsAgent } from './harness.js';

const NS_A = 'kvk-nlov-a';
const NS_B = 'kvk-nlov-b';
const IF_A = 'kvknlova0';
const IF_B = 'kvknlovb0';

if (!isRoot) console.warn('SKIPPED netlink overrun test: it needs root to build network namespaces');

describe.skipIf(!isRoot)('netlink overrun', () => {
  let a: NsAgent | undefined;

  beforeAll(async () => {
    await createVethPair({
      nsA: NS_A,
      nsB: NS_B,
      ifA: IF_A,
      ifB: IF_B,
      v4A: '10.205.0.1/24',
      v4B: '10.205.0.2/24',
    });
    a = await NsAgent.start(NS_A);
  });

  afterAll(async () => {
    await a?.stop();
    await deleteNamespaces(NS_A, NS_B);
  });

  it('ENOBUFS fails the pending requests, reaches onError, and the socket keeps working', async () => {
    const r = await a!.call<{ errors: string[]; rejected: Record<string, number>; afterName: string }>(
      'overrun',
      IF_A,
      500,
    );
    console.log(`[netlink-overrun] 500 concurrent RTM_GETLINK on a 32 KiB queue: ${JSON.stringify(r)}`);
    expect(r.errors).toContain('ENOBUFS');
    expect(r.rejected.ENOBUFS).toBeGreaterThan(0);
    expect(r.afterName).toBe(IF_A);
  });
});
