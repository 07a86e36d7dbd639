/**
 * Gratuitous ARP and unsolicited NA through the addon's AF_PACKET sockets, read back with tcpdump
 * on the peer end of a veth pair, and compared byte for byte with what a real keepalived 2.2.7
 * sends for the same addresses from the same interface.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createVethPair,
  deleteNamespaces,
  isRoot,
  NsAgent,
  run,
  sleep,
  startCapture,
  waitUntil,
} from './harness.js';
import type { Capture } from './harness.js';

const NS_A = 'kvk-garp-a';
const NS_B = 'kvk-garp-b';
const IF_A = 'kvkgarpa0';
const IF_B = 'kvkgarpb0';
const VIP4 = '10.202.0.100';
const VIP6 = 'fd00:202::100';
const FILTER = 'arp or (icmp6 and ip6[40] == 136)';

if (!isRoot) console.warn('SKIPPED kernel GARP/NA tests: they need root to build network namespaces');

const hex = (s: string) => s.replace(/[\s:]/g, '');
// Network-order bytes of the two VIPs, written out so the expected frames read like the RFCs.
const VIP4_HEX = '0aca0064'; // 10.202.0.100
const VIP6_HEX = 'fd000202000000000000000000000100'; // fd00:202::100
const ALL_NODES_HEX = 'ff020000000000000000000000000001'; // ff02::1

/** icmp6Checksum computes the RFC 4443 checksum with the RFC 8200 8.1 pseudo-header, independently of the addon. */
function icmp6Checksum(src: Buffer, dst: Buffer, message: Buffer): number {
  const length = Buffer.alloc(8);
  length.writeUInt32BE(message.length, 0);
  length.writeUInt8(58, 7);
  const all = Buffer.concat([src, dst, length, message]);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += all.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** expectedArp is keepalived's gratuitous ARP: a broadcast request, sender = target = VIP, target MAC all ones. */
function expectedArp(mac: string): string {
  return hex(
    `ffffffffffff ${mac} 0806` + ` 0001 0800 06 04 0001 ${mac} ${VIP4_HEX} ffffffffffff ${VIP4_HEX}`,
  );
}

/** expectedNa is the unsolicited NA of RFC 4861 7.2.6 with flags byte 0x20 (O) or 0xa0 (R|O). */
function expectedNa(mac: string, flags: number): string {
  const message = Buffer.from(hex(`8800 0000 ${flags.toString(16)}000000 ${VIP6_HEX} 0201 ${mac}`), 'hex');
  const checksum = icmp6Checksum(Buffer.from(VIP6_HEX, 'hex'), Buffer.from(ALL_NODES_HEX, 'hex'), message);
  message.writeUInt16BE(checksum, 2);
  // Ethernet to 33:33:00:00:00:01; IPv6 payload 32 bytes, next header 58, hop limit 255.
  return (
    hex(`333300000001 ${mac} 86dd 60000000 0020 3a ff ${VIP6_HEX} ${ALL_NODES_HEX}`) + message.toString('hex')
  );
}

describe.skipIf(!isRoot)('gratuitous ARP and unsolicited NA', () => {
  let a: NsAgent | undefined;
  let capture: Capture | undefined;
  let workdir: string | undefined;
  let mac = '';

  beforeAll(async () => {
    await createVethPair({
      nsA: NS_A,
      nsB: NS_B,
      ifA: IF_A,
      ifB: IF_B,
      v4A: '10.202.0.1/24',
      v4B: '10.202.0.2/24',
    });
    a = await NsAgent.start(NS_A);
    mac = hex((await a.call<{ mac: string }>('getLink', IF_A)).mac);
    workdir = await mkdtemp(join(tmpdir(), 'kvk-garp-'));
  });

  afterAll(async () => {
    await capture?.stop().catch(() => undefined);
    await a?.stop();
    await deleteNamespaces(NS_A, NS_B);
    if (workdir) await rm(workdir, { recursive: true, force: true });
  });

  it('sendGarpBurst sends repeat rounds of one ARP per IPv4 and one NA per IPv6 address', async () => {
    capture = await startCapture(NS_B, IF_B, FILTER);
    await a!.call('garp', IF_A, [VIP4, VIP6], 3, 20);
    await sleep(300);
    const frames = await capture.stop();
    capture = undefined;
    expect(frames).toEqual([
      expectedArp(mac),
      expectedNa(mac, 0x20),
      expectedArp(mac),
      expectedNa(mac, 0x20),
      expectedArp(mac),
      expectedNa(mac, 0x20),
    ]);
  });

  it('the NA carries the Router flag when the interface forwards IPv6, as keepalived does', async () => {
    await run('ip', 'netns', 'exec', NS_A, 'sysctl', '-qw', `net.ipv6.conf.${IF_A}.forwarding=1`);
    try {
      capture = await startCapture(NS_B, IF_B, FILTER);
      await a!.call('garp', IF_A, [VIP6], 1, 0);
      await sleep(300);
      const frames = await capture.stop();
      capture = undefined;
      expect(frames).toEqual([expectedNa(mac, 0xa0)]);
    } finally {
      await run('ip', 'netns', 'exec', NS_A, 'sysctl', '-qw', `net.ipv6.conf.${IF_A}.forwarding=0`);
    }
  });

  it('frames are byte-identical to the ones keepalived 2.2.7 sends on becoming MASTER', async () => {
    const conf = join(workdir!, 'keepalived.conf');
    await writeFile(
      conf,
      `global_defs { router_id kvkgarp }
vrrp_instance KVK_GARP4 {
  state MASTER
  interface ${IF_A}
  virtual_router_id 61
  priority 200
  advert_int 1
  virtual_ipaddress { ${VIP4}/24 }
}
vrrp_instance KVK_GARP6 {
  state MASTER
  interface ${IF_A}
  virtual_router_id 62
  priority 200
  advert_int 1
  virtual_ipaddress { ${VIP6}/64 }
}
`,
    );
    capture = await startCapture(NS_B, IF_B, FILTER);
    const keepalived = spawn(
      'ip',
      [
        'netns',
        'exec',
        NS_A,
        'keepalived',
        '-n',
        '-l',
        '-f',
        conf,
        '-p',
        join(workdir!, 'ka.pid'),
        '-r',
        join(workdir!, 'vrrp.pid'),
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => keepalived.once('exit', resolve));
    let theirs: string[];
    try {
      // keepalived announces right after it enters MASTER, a few seconds after start.
      await waitUntil(
        async () => {
          const out = await run('ip', '-n', NS_A, 'addr', 'show', 'dev', IF_A);
          return out.includes(VIP4) && out.includes(VIP6);
        },
        'keepalived to take the VIPs',
        15_000,
      );
      await sleep(500);
    } finally {
      keepalived.kill('SIGTERM');
      await exited;
      theirs = await capture.stop();
      capture = undefined;
    }
    const theirArp = theirs.find((f) => f.slice(24, 28) === '0806');
    const theirNa = theirs.find((f) => f.slice(24, 28) === '86dd');
    expect(theirArp).toBeDefined();
    expect(theirNa).toBeDefined();

    capture = await startCapture(NS_B, IF_B, FILTER);
    await a!.call('garp', IF_A, [VIP4, VIP6], 1, 0);
    await sleep(300);
    const ours = await capture.stop();
    capture = undefined;
    expect(ours).toEqual([theirArp, theirNa]);
  });
});
