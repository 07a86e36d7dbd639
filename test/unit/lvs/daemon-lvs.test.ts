import { describe, expect, it } from 'vitest';
import { DaemonLvs } from '../../../src/daemon/lvs.js';
import { silentLogger } from '../../../src/util/logger.js';
import { FakeIpvs, TestClock } from './fake-ipvs.js';
import { lvsConfig } from './helpers.js';

const CONF = `global_defs {\n lvs_sync_daemon eth0 VI_1\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n 10.0.0.1\n }\n}\nvirtual_server 10.0.0.1 80 {\n protocol TCP\n lb_kind DR\n real_server 10.0.0.2 80 {\n }\n}\n`;

describe('DaemonLvs', () => {
  it('a transition heard before start (INIT -> BACKUP while the runner starts) still starts the backup sync daemon', async () => {
    const port = new FakeIpvs();
    const lvs = new DaemonLvs({ config: lvsConfig(CONF), clock: new TestClock(), log: silentLogger, port });
    lvs.onInstanceState('VI_1', 'BACKUP');
    await lvs.start();
    expect(port.log).toContain('start-sync backup eth0 51');
    lvs.onInstanceState('VI_1', 'MASTER');
    await new Promise((r) => setImmediate(r));
    // The runner's STOPPED transition during shutdown does not switch the sync daemon to backup.
    lvs.onInstanceState('VI_1', 'STOPPED');
    await lvs.stop();
    expect(port.log.slice(-4)).toEqual([
      'stop-sync backup',
      'start-sync master eth0 51',
      'delete-service inet tcp [10.0.0.1]:80',
      'stop-sync master',
    ]);
    expect(lvs.status()).toMatchObject({ state: 'stopped' });
  });
});
