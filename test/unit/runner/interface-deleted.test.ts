/**
 * Regression test for the fault suite's finding (test/integration/faults/interface.test.ts): the
 * VRRP interface deleted and re-created left the instance on a socket bound to the old index
 * (ENODEV on every advert, deaf to the peer: a dual master). RTM_DELLINK now fails the
 * interface's sockets, so the instance is in FAULT until a socket is reopened with back-off.
 */
import { describe, expect, it } from 'vitest';
import type { LinkInfo } from '../../../src/kernel/port.js';
import { FakeKernel, runnerOn, settle } from './fake-kernel.js';

/** LinkKernel is the fake kernel with a link watch the test drives. */
class LinkKernel extends FakeKernel {
  onLink: ((link: LinkInfo) => void) | undefined;
  override watchLinks(onChange?: (link: LinkInfo) => void): { close(): void } {
    this.onLink = onChange;
    return { close: () => undefined };
  }
}

describe('VrrpRunner: the VRRP interface deleted and re-created', () => {
  it('RTM_DELLINK fails the socket (FAULT); a socket reopened on the new interface clears it', async () => {
    const kernel = new LinkKernel();
    const { runner, clock } = runnerOn(kernel);
    await runner.start();
    clock.advance(3700); // no peer: MASTER
    await settle();
    expect(runner.drivers.get('VI_1')!.stateName).toBe('MASTER');
    const first = kernel.sockets[0]!;

    // While the interface is gone the reopen fails (if_nametoindex: ENODEV).
    kernel.failOpens = 1;
    kernel.onLink!({ name: 'eth0', index: 2, up: false, carrier: false, deleted: true });
    expect(first.closed).toBe(true);
    expect(runner.drivers.get('VI_1')!.stateName).toBe('FAULT');
    await clock.advanceSettled(250); // first retry: still no interface
    expect(runner.drivers.get('VI_1')!.stateName).toBe('FAULT');
    // Re-created (a new index) and up: carrier is back, but the socket is still the broken one.
    kernel.onLink!({ name: 'eth0', index: 4, up: true, carrier: true });
    expect(runner.drivers.get('VI_1')!.stateName).toBe('FAULT');
    await clock.advanceSettled(500); // the next retry opens a socket on the new interface
    expect(kernel.sockets).toHaveLength(2);
    expect(kernel.sockets[1]!.closed).toBe(false);
    expect(runner.drivers.get('VI_1')!.stateName).not.toBe('FAULT');

    // A deletion of some other interface leaves the socket alone.
    kernel.onLink!({ name: 'eth1', index: 3, up: false, carrier: false, deleted: true });
    expect(kernel.sockets[1]!.closed).toBe(false);
    await runner.stop();
  });
});
