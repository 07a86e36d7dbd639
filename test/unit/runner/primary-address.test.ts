/**
 * Regression test for the fault suite's finding (test/integration/faults/interface.test.ts): the
 * advert source was read once at start, so after the operator changed the interface's primary
 * address the adverts kept the deleted one. The runner re-reads it every second.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/config/load.js';
import { Notifier } from '../../../src/notify/notifier.js';
import { VrrpRunner } from '../../../src/runner/vrrp-runner.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { FakeKernel, settle } from './fake-kernel.js';

/** MovingKernel is the fake kernel whose primary address the test changes. */
class MovingKernel extends FakeKernel {
  address = '10.0.0.2';
  override async getPrimaryAddress(): Promise<string> {
    return this.address;
  }
}

const CONFIG = `global_defs {
  router_id t
  vrrp_version 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 7
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.0.0.7/32
  }
}
`;

describe('VrrpRunner: the primary address changed under a running instance', () => {
  it('adverts and the tie-break follow the new primary address within a second', async () => {
    const config = loadConfigText(CONFIG, 'test.conf').config!;
    const clock = new ManualClock(1000);
    const kernel = new MovingKernel();
    const runner = new VrrpRunner({
      config,
      kernel,
      clock,
      log: silentLogger,
      notifier: new Notifier(config, silentLogger, { clock, prober: null }),
    });
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
    await runner.stop();
  });
});
