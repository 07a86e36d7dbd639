/**
 * vrrp_sync_group fan-out through the real VrrpRunner on the manual clock (runner/sync-groups.ts):
 * a member that becomes MASTER takes the others along at once, a member leaving MASTER for
 * BACKUP takes them back, a member's fault faults the group, and the group's notify runs once
 * per group state, not once per member.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/config/load.js';
import type { VrrpSyncGroup } from '../../../src/config/model.js';
import type { LinkInfo } from '../../../src/kernel/port.js';
import type { NotifyState } from '../../../src/notify/notify-scripts.js';
import { Notifier } from '../../../src/notify/notifier.js';
import { VrrpRunner } from '../../../src/runner/vrrp-runner.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { encodeAdvert } from '../../../src/vrrp/codec.js';
import { encodeIpv4Datagram } from '../../../src/vrrp/ipv4.js';
import { IPPROTO_VRRP } from '../../../src/vrrp/packet.js';
import { FakeKernel, settle, stopOn } from './fake-kernel.js';

const GROUP = `global_defs {
  router_id t
  vrrp_version 3
}
vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
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
vrrp_instance VI_2 {
  state BACKUP
  interface eth0
  virtual_router_id 8
  priority 50
  advert_int 1
  virtual_ipaddress {
    10.0.0.8/32
  }
TRACK}
`;

/** GroupNotifier records the group notifications instead of running scripts. */
class GroupNotifier extends Notifier {
  readonly group: NotifyState[] = [];
  override groupTransition(_g: VrrpSyncGroup, state: NotifyState): void {
    this.group.push(state);
  }
}

/** LinksKernel reports eth1 without carrier. */
class LinksKernel extends FakeKernel {
  override async getLink(name: string): Promise<LinkInfo> {
    return { name, index: name === 'eth1' ? 3 : 2, up: true, carrier: name !== 'eth1' };
  }
}

function groupRunner(track = '') {
  const config = loadConfigText(GROUP.replace('TRACK', track), 'test.conf').config!;
  const clock = new ManualClock(0);
  const kernel = new LinksKernel();
  const notifier = new GroupNotifier(config, silentLogger, { clock, prober: null });
  const runner = new VrrpRunner({ config, kernel, clock, log: silentLogger, notifier });
  return { runner, clock, kernel, notifier };
}

/** advert is the peer's VRRPv3 advert for VRID 7 at `priority`. */
function advert(priority: number): Buffer {
  const payload = encodeAdvert(
    { version: 3, vrid: 7, priority, advertIntervalMs: 1000, addresses: ['10.0.0.7'], authType: 0 },
    { family: 'inet', srcAddress: '10.0.0.1', dstAddress: '224.0.0.18' },
  );
  return encodeIpv4Datagram({
    srcAddress: '10.0.0.1',
    dstAddress: '224.0.0.18',
    ttl: 255,
    protocol: IPPROTO_VRRP,
    payload,
  });
}

describe('vrrp_sync_group fan-out', () => {
  it('one member becoming MASTER takes the other along at once, and back to BACKUP; group notify once per state', async () => {
    const { runner, clock, kernel, notifier } = groupRunner();
    await runner.start();
    const [vi1, vi2] = [runner.drivers.get('VI_1')!, runner.drivers.get('VI_2')!];
    // VI_1 (priority 100) times out at 3609 ms; VI_2 (priority 50) alone would wait until 3804 ms.
    clock.advanceTo(3610);
    expect(vi1.stateName).toBe('MASTER');
    // A timer takeover's work after its advert (here the group fan-out) follows in the next turn.
    await new Promise((r) => setImmediate(r));
    expect(vi2.stateName).toBe('MASTER');
    expect(vi2.transitions.at(-1)!.atMs - vi1.transitions.at(-1)!.atMs).toBeLessThan(1);
    // A better peer for VRID 7 only: VI_1 yields, VI_2 follows it to BACKUP.
    kernel.sockets[0]!.deliver({ family: 'inet', data: advert(200) });
    expect(vi1.stateName).toBe('BACKUP');
    expect(vi2.stateName).toBe('BACKUP');
    await settle();
    // Six member transitions (INIT->BACKUP, ->MASTER, ->BACKUP each); three group states.
    expect(notifier.group).toEqual(['BACKUP', 'MASTER', 'BACKUP']);
    await stopOn(runner, clock);
  });

  it("a member's fault faults the whole group", async () => {
    const { runner, clock } = groupRunner('  track_interface {\n    eth1\n  }\n');
    await runner.start();
    expect(runner.drivers.get('VI_2')!.stateName).toBe('FAULT');
    expect(runner.drivers.get('VI_1')!.stateName).toBe('FAULT');
    expect(runner.status().instances.find((i) => i.name === 'VI_1')!.faults).toEqual([
      'sync group G member VI_2',
    ]);
    clock.advanceTo(10_000);
    expect(runner.drivers.get('VI_1')!.stateName).toBe('FAULT');
    await stopOn(runner, clock);
  });
});
