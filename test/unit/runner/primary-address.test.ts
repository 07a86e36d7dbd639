/**
 * Regression test for the fault suite's finding (test/integration/faults/interface.test.ts): the
 * advert source was read once at start, so after the operator changed the interface's primary
 * address the adverts kept the deleted one. The runner re-reads it every second.
 */
import { describe, expect, it } from 'vitest';
import { FakeKernel, runnerOn, settle, stopOn } from './fake-kernel.js';

/** MovingKernel is the fake kernel whose primary address the test changes. */
class MovingKernel extends FakeKernel {
  address = '10.0.0.2';
  override async getPrimaryAddress(): Promise<string> {
    return this.address;
  }
}

describe('VrrpRunner: the primary address changed under a running instance', () => {
  it('adverts and the tie-break follow the new primary address within a second', async () => {
    const kernel = new MovingKernel();
    const { runner, clock } = runnerOn(kernel);
    await runner.start();
    clock.advance(3700); // no peer: MASTER
    await settle();
    const driver = runner.drivers.get('VI_1')!;
    expect(driver.stateName).toBe('MASTER');
    expect(driver.snapshot().masterAddress).toBe('10.0.0.2');

    kernel.address = '10.0.0.11';
    clock.advance(1000);
    await settle();
    expect(driver.params.localAddress).toBe('10.0.0.11');
    expect(driver.snapshot().masterAddress).toBe('10.0.0.11');
    await stopOn(runner, clock);
  });
});
