/**
 * VrrpRunner on the manual clock with a fake kernel port: the receive path from bytes (each drop
 * reason counted), reload keeping, restarting and removing instances, and the multicast-group
 * defect of issue 11 (a reload changing vrrp_mcast_group4 left the instance on a socket that
 * never joined the new group, so the backup went deaf and became MASTER).
 */
import { describe, expect, it } from 'vitest';
import type { KeepvipConfig } from '../../../src/config/model.js';
import { loadConfigText } from '../../../src/config/load.js';
import { Notifier } from '../../../src/notify/notifier.js';
import { VrrpRunner } from '../../../src/runner/vrrp-runner.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { encodeAdvert } from '../../../src/vrrp/codec.js';
import { encodeIpv4Datagram } from '../../../src/vrrp/ipv4.js';
import { IPPROTO_VRRP } from '../../../src/vrrp/packet.js';
import { FakeKernel, settle } from './fake-kernel.js';

function configOf(
  o: { group4?: string; instances?: { name: string; vrid: number; priority?: number }[] } = {},
): KeepvipConfig {
  const instances = o.instances ?? [{ name: 'VI_1', vrid: 7 }];
  const text = [
    `global_defs {\n  router_id t\n  vrrp_version 3\n${o.group4 ? `  vrrp_mcast_group4 ${o.group4}\n` : ''}}`,
    ...instances.map(
      (i) =>
        `vrrp_instance ${i.name} {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${i.vrid}\n  priority ${i.priority ?? 100}\n  advert_int 1\n  virtual_ipaddress {\n    10.0.0.${i.vrid}/32\n  }\n}`,
    ),
    '',
  ].join('\n');
  const loaded = loadConfigText(text, 'test.conf');
  if (!loaded.config) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded.config;
}

function runnerFor(config: KeepvipConfig) {
  const clock = new ManualClock(1000);
  const kernel = new FakeKernel();
  const runner = new VrrpRunner({
    config,
    kernel,
    clock,
    log: silentLogger,
    notifier: new Notifier(config, silentLogger, { clock, prober: null }),
  });
  return { runner, clock, kernel };
}

/** advertBytes is a whole IPv4 VRRPv3 datagram from the peer, as the socket delivers it. */
function advertBytes(vrid: number, priority: number, o: { ttl?: number; dst?: string } = {}): Buffer {
  const dst = o.dst ?? '224.0.0.18';
  const payload = encodeAdvert(
    { version: 3, vrid, priority, advertIntervalMs: 1000, addresses: [`10.0.0.${vrid}`], authType: 0 },
    { family: 'inet', srcAddress: '10.0.0.1', dstAddress: dst },
  );
  return encodeIpv4Datagram({
    srcAddress: '10.0.0.1',
    dstAddress: dst,
    ttl: o.ttl ?? 255,
    protocol: IPPROTO_VRRP,
    payload,
  });
}

describe('VrrpRunner', () => {
  it('receive path: a good advert reaches its instance; each bad packet is counted by reason', async () => {
    const { runner, clock, kernel } = runnerFor(configOf());
    await runner.start();
    const socket = kernel.sockets[0]!;
    socket.deliver({ family: 'inet', data: advertBytes(7, 200) });
    expect(runner.drivers.get('VI_1')!.counters.advertsReceived).toBe(1);
    socket.deliver({ family: 'inet', data: advertBytes(9, 200) }); // no instance with VRID 9
    socket.deliver({ family: 'inet', data: advertBytes(7, 200).subarray(0, 10) }); // truncated
    socket.deliver({ family: 'inet', data: advertBytes(7, 200, { ttl: 64 }) }); // RFC 5798 7.1: TTL must be 255
    const bad = advertBytes(7, 200);
    bad[bad.length - 1]! ^= 0xff; // corrupt the VIP: the checksum no longer matches
    socket.deliver({ family: 'inet', data: bad });
    const drops = { ...runner.drops, ...runner.drivers.get('VI_1')!.counters.drops };
    expect(Object.keys(drops).sort()).toEqual(expect.arrayContaining(['unknown-vrid', 'ttl', 'checksum']));
    expect(Object.values(drops).reduce((a, b) => a + b, 0)).toBe(4);
    clock.advance(1);
    await runner.stop();
  });

  it('reload keeps unchanged instances, restarts changed ones, removes and adds', async () => {
    const { runner, clock } = runnerFor(
      configOf({
        instances: [
          { name: 'VI_1', vrid: 1 },
          { name: 'VI_2', vrid: 2 },
          { name: 'VI_3', vrid: 3 },
        ],
      }),
    );
    await runner.start();
    const kept = runner.drivers.get('VI_1');
    const result = await runner.reload(
      configOf({
        instances: [
          { name: 'VI_1', vrid: 1 },
          { name: 'VI_2', vrid: 2, priority: 150 },
          { name: 'VI_4', vrid: 4 },
        ],
      }),
    );
    expect(result).toEqual({ kept: ['VI_1'], restarted: ['VI_2'], added: ['VI_4'], removed: ['VI_3'] });
    expect(runner.drivers.get('VI_1')).toBe(kept);
    expect([...runner.drivers.keys()].sort()).toEqual(['VI_1', 'VI_2', 'VI_4']);
    clock.advance(1);
    await runner.stop();
  });

  it('a reload that changes vrrp_mcast_group4 moves the instance to a socket joined to the new group (issue 11)', async () => {
    const { runner, clock, kernel } = runnerFor(configOf());
    await runner.start();
    expect(kernel.sockets.map((s) => s.groups)).toEqual([['224.0.0.18']]);
    await runner.reload(configOf({ group4: '224.0.0.50' }));
    const open = kernel.sockets.filter((s) => !s.closed);
    expect(open.map((s) => s.groups)).toEqual([['224.0.0.50']]);
    // The peer advertises to the new group: the backup hears it on the new socket and stays BACKUP.
    for (let i = 0; i < 10; i++) {
      open[0]!.deliver({ family: 'inet', data: advertBytes(7, 200, { dst: '224.0.0.50' }) });
      clock.advance(1000);
      await settle(1);
    }
    expect(runner.drivers.get('VI_1')!.stateName).toBe('BACKUP');
    await runner.stop();
  });

  it('a VRRP socket that fails puts its instances in FAULT until it is reopened with back-off (issue 11)', async () => {
    const { runner, clock, kernel } = runnerFor(configOf());
    await runner.start();
    clock.advance(3700); // no peer: MASTER
    await settle();
    expect(runner.drivers.get('VI_1')!.stateName).toBe('MASTER');
    kernel.failOpens = 2;
    kernel.sockets[0]!.fail(new Error('recvfrom failed: ENETDOWN'));
    expect(runner.drivers.get('VI_1')!.stateName).toBe('FAULT');
    await clock.advanceSettled(250); // first retry fails
    await clock.advanceSettled(500); // second retry fails
    expect(runner.drivers.get('VI_1')!.stateName).toBe('FAULT');
    await clock.advanceSettled(1000); // third retry opens it
    expect(kernel.sockets.filter((s) => !s.closed)).toHaveLength(1);
    expect(runner.drivers.get('VI_1')!.stateName).not.toBe('FAULT');
    await runner.stop();
  });
});
