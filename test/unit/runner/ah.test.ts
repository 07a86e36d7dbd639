/**
 * auth_type AH in the runner (issue 11 item 2) on the manual clock with a fake kernel port: an AH
 * instance sends its adverts wrapped in AH on the interface's protocol-51 socket (verifiable with
 * its key), accepts a peer's AH advert, and counts what it refuses by reason: a wrong key
 * (`ah-icv`), a replayed sequence number (`ah-seq`), and Auth Type 2 arriving on the plain VRRP
 * socket without an AH header (`auth-type`).
 */
import { describe, expect, it } from 'vitest';
import type { KernelPort, PacketSocket } from '../../../src/kernel/port.js';
import { loadConfigText } from '../../../src/config/load.js';
import { Notifier } from '../../../src/notify/notifier.js';
import { VrrpRunner } from '../../../src/runner/vrrp-runner.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { ahKey, decodeAhDatagram, encodeAhDatagram } from '../../../src/vrrp/ah.js';
import { internetChecksum } from '../../../src/vrrp/checksum.js';
import { encodeAdvert } from '../../../src/vrrp/codec.js';
import { encodeIpv4Datagram } from '../../../src/vrrp/ipv4.js';
import { IPPROTO_VRRP } from '../../../src/vrrp/packet.js';
import { FakeKernel, settle } from './fake-kernel.js';

/** AhKernel adds the protocol-51 socket to the fake kernel. */
class AhKernel extends FakeKernel {
  readonly ahSent: Buffer[] = [];
  deliverAh: (d: Buffer) => void = () => undefined;
  openAhSocket: NonNullable<KernelPort['openAhSocket']> = (o): PacketSocket => {
    this.deliverAh = o.onPacket;
    return {
      send: async (data) => {
        this.ahSent.push(Buffer.from(data));
      },
      close: () => undefined,
    };
  };
}

const CONFIG = `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 9
  priority 100
  advert_int 1
  version 2
  handoff rfc
  authentication {
    auth_type AH
    auth_pass secret1
  }
  virtual_ipaddress {
    10.0.0.9/32
  }
}
`;

/** peerVrrp is the peer's VRRPv2 message with Auth Type 2 and zero auth data. */
function peerVrrp(priority: number): Buffer {
  const vrrp = encodeAdvert(
    { version: 2, vrid: 9, priority, advertIntervalMs: 1000, addresses: ['10.0.0.9'], authType: 0 },
    { family: 'inet', srcAddress: '10.0.0.1', dstAddress: '224.0.0.18' },
  );
  vrrp[4] = 2;
  vrrp.writeUInt16BE(0, 6);
  vrrp.writeUInt16BE(internetChecksum(vrrp), 6);
  return vrrp;
}

function peerAh(seq: number, password = 'secret1'): Buffer {
  return encodeAhDatagram({
    srcAddress: '10.0.0.1',
    dstAddress: '224.0.0.18',
    id: seq,
    seq,
    key: ahKey(password),
    unicast: false,
    vrrp: peerVrrp(200),
  });
}

describe('runner auth_type AH', () => {
  it('sends AH-wrapped adverts, accepts a good AH advert and counts ah-icv, ah-seq and a bare Auth Type 2', async () => {
    const loaded = loadConfigText(CONFIG, 'test.conf');
    expect(loaded.diagnostics.filter((d) => /not supported/.test(d.message))).toEqual([]);
    const config = loaded.config!;
    const clock = new ManualClock(1000);
    const kernel = new AhKernel();
    const runner = new VrrpRunner({
      config,
      kernel,
      clock,
      log: silentLogger,
      notifier: new Notifier(config, silentLogger, { clock, prober: null }),
    });
    await runner.start();
    const driver = runner.drivers.get('VI_1')!;

    kernel.deliverAh(peerAh(10));
    expect(driver.counters.advertsReceived).toBe(1);
    kernel.deliverAh(peerAh(11, 'other'));
    kernel.deliverAh(peerAh(10)); // replayed
    const bare = encodeIpv4Datagram({
      srcAddress: '10.0.0.1',
      dstAddress: '224.0.0.18',
      ttl: 255,
      protocol: IPPROTO_VRRP,
      payload: peerVrrp(200),
    });
    kernel.sockets[0]!.deliver({ family: 'inet', data: bare });
    expect(driver.counters.advertsReceived).toBe(1);
    expect(driver.counters.drops).toEqual({ 'ah-icv': 1, 'ah-seq': 1, 'auth-type': 1 });

    // Silence from the peer: Master_Down_Interval later the instance is MASTER and advertises.
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await settle(2);
    }
    expect(driver.stateName).toBe('MASTER');
    expect(kernel.sent).toEqual([]);
    expect(kernel.ahSent.length).toBeGreaterThan(0);
    const sent = decodeAhDatagram(kernel.ahSent[0]!, ahKey('secret1'), false);
    expect(sent.ok).toBe(true);
    if (sent.ok) {
      expect(sent.vrrp[4]).toBe(2); // Auth Type AH in the VRRP header
      expect(sent.seq).toBeGreaterThan(10); // above the highest sequence heard
    }
    await runner.stop(); // handoff rfc: a MASTER stops at once (no wait on real time for a successor)
  });
});
