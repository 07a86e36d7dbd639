/**
 * Regression test for the fault suite's finding (test/integration/faults/interface.test.ts): the
 * advert source was read once at start, so after the operator changed the interface's primary
 * address the adverts kept the deleted one. The runner re-reads it when an address of the
 * interface changes (RTM_NEWADDR / RTM_DELADDR), and not for its own VIPs.
 */
import { describe, expect, it } from 'vitest';
import { FakeKernel, runnerOn, settle, stopOn } from './fake-kernel.js';

/** MovingKernel is the fake kernel whose primary address the test changes. */
class MovingKernel extends FakeKernel {
  address = '10.0.0.2';
  reads = 0;
  override async getPrimaryAddress(): Promise<string> {
    this.reads++;
    return this.address;
  }
}

describe('VrrpRunner: the primary address changed under a running instance', () => {
  it('adverts and the tie-break follow the new primary address when the kernel reports the change', async () => {
    const kernel = new MovingKernel();
    const { runner, clock } = runnerOn(kernel);
    await runner.start();
    clock.advance(3700); // no peer: MASTER
    await settle();
    const driver = runner.drivers.get('VI_1')!;
    expect(driver.stateName).toBe('MASTER');
    expect(driver.snapshot().masterAddress).toBe('10.0.0.2');

    // A VIP added or removed (every failover) re-reads nothing.
    const reads = kernel.reads;
    kernel.emitAddress('eth0', '10.0.0.7', true);
    kernel.emitAddress('eth0', '10.0.0.7', false);
    clock.advance(1000);
    await settle();
    expect(kernel.reads).toBe(reads);
    expect(driver.params.localAddress).toBe('10.0.0.2');

    // Another interface's address is not ours to follow either.
    kernel.emitAddress('eth1', '192.168.1.1', true);
    clock.advance(1000);
    await settle();
    expect(kernel.reads).toBe(reads);

    kernel.address = '10.0.0.11';
    kernel.emitAddress('eth0', '10.0.0.2', false);
    kernel.emitAddress('eth0', '10.0.0.11', true);
    clock.advance(10);
    await settle();
    expect(kernel.reads).toBe(reads + 1); // one re-read for the burst
    expect(driver.params.localAddress).toBe('10.0.0.11');
    expect(driver.snapshot().masterAddress).toBe('10.0.0.11');
    await stopOn(runner, clock);
  });
});
