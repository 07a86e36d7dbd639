/**
 * The VRRP sockets against the real kernel: two namespaces joined by a veth pair, one agent in
 * each, exchanging IPv4 (raw-socket, IP_HDRINCL) and IPv6 (native addon) VRRP messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createVethPair,
  deleteNamespaces,
  failure,
  isRoot,
  NsAgent,
  run,
  sleep,
  waitUntil,
} from './harness.js';

const NS_A = 'kvk-sock-a';
const NS_B = 'kvk-sock-b';
const IF_A = 'kvksocka0';
const IF_B = 'kvksockb0';
const V4_A = '10.201.0.1';
const V4_B = '10.201.0.2';

if (!isRoot) console.warn('SKIPPED kernel VRRP socket tests: they need root to build network namespaces');

/** ipv4Datagram wraps a payload in an IPv4 header as the runner's codec will (TTL 255, protocol 112, TOS 0xc0). */
function ipv4Datagram(src: string, dst: string, payload: Buffer, id: number): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt8(0x45, 0); // version 4, IHL 5
  header.writeUInt8(0xc0, 1); // TOS: internetwork control, as keepalived
  header.writeUInt16BE(20 + payload.length, 2);
  header.writeUInt16BE(id, 4);
  header.writeUInt8(255, 8); // TTL: RFC 5798 5.1.1.3
  header.writeUInt8(112, 9); // protocol VRRP
  Buffer.from(src.split('.').map(Number)).copy(header, 12);
  Buffer.from(dst.split('.').map(Number)).copy(header, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  header.writeUInt16BE(~sum & 0xffff, 10);
  return Buffer.concat([header, payload]);
}

// A VRRPv2 advert for VRID 51, priority 200, one VIP (bytes from a keepalived capture).
const VRRP2_ADVERT = Buffer.from('2133c80100010b030a630164' + '0000000000000000', 'hex');
// A VRRPv3 advert for VRID 52 (version 3, type 1), priority 200, interval 100 cs, one IPv6 VIP.
const VRRP3_ADVERT = Buffer.from('3134c8010064843dfd000099000000000000000000000100', 'hex');

describe.skipIf(!isRoot)('VRRP sockets in namespaces', () => {
  let a: NsAgent | undefined;
  let b: NsAgent | undefined;

  beforeAll(async () => {
    await createVethPair({
      nsA: NS_A,
      nsB: NS_B,
      ifA: IF_A,
      ifB: IF_B,
      v4A: `${V4_A}/24`,
      v4B: `${V4_B}/24`,
    });
    [a, b] = await Promise.all([NsAgent.start(NS_A), NsAgent.start(NS_B)]);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await deleteNamespaces(NS_A, NS_B);
  });

  it('IPv4: exchanges multicast adverts both ways, TTL 255 visible, no loopback of our own', async () => {
    await a!.call('openSocket', 'v4', 'inet', IF_A, ['224.0.0.18']);
    await b!.call('openSocket', 'v4', 'inet', IF_B, ['224.0.0.18']);

    const fromA = ipv4Datagram(V4_A, '224.0.0.18', VRRP2_ADVERT, 1);
    await a!.call('send', 'v4', fromA.toString('hex'), '224.0.0.18');
    const atB = await b!.waitFor((e) => e.event === 'packet' && e.key === 'v4');
    const datagram = Buffer.from(atB.data as string, 'hex');
    expect(atB.family).toBe('inet');
    expect(datagram.readUInt8(8)).toBe(255); // TTL as sent
    expect(datagram.readUInt8(9)).toBe(112);
    expect(datagram.subarray(12, 16).join('.')).toBe(V4_A);
    expect(datagram.subarray(16, 20).join('.')).toBe('224.0.0.18');
    expect(datagram.subarray(20).equals(VRRP2_ADVERT)).toBe(true);

    const fromB = ipv4Datagram(V4_B, '224.0.0.18', VRRP2_ADVERT, 2);
    await b!.call('send', 'v4', fromB.toString('hex'), '224.0.0.18');
    const atA = await a!.waitFor((e) => e.event === 'packet' && e.key === 'v4');
    expect(
      Buffer.from(atA.data as string, 'hex')
        .subarray(12, 16)
        .join('.'),
    ).toBe(V4_B);

    // IP_MULTICAST_LOOP off: each side heard exactly the other's advert, never its own.
    await sleep(300);
    expect(a!.events.filter((e) => e.event === 'packet' && e.key === 'v4')).toHaveLength(1);
    expect(b!.events.filter((e) => e.event === 'packet' && e.key === 'v4')).toHaveLength(1);
  });

  it('IPv4: a unicast advert (unicast_peer) reaches the peer', async () => {
    const unicast = ipv4Datagram(V4_A, V4_B, VRRP2_ADVERT, 3);
    await a!.call('send', 'v4', unicast.toString('hex'), V4_B);
    const atB = await b!.waitFor(
      (e) => e.event === 'packet' && e.key === 'v4' && (e.data as string).slice(32, 40) === '0ac90002',
    );
    expect(Buffer.from(atB.data as string, 'hex').readUInt8(8)).toBe(255);
    await a!.call('closeSocket', 'v4');
    await b!.call('closeSocket', 'v4');
  });

  it.each([
    ['send', false],
    ['sendReporting', true],
  ])(
    'IPv4: a datagram the kernel refuses in a batch fails alone; the others of the batch still go (%s)',
    async (_how, reporting) => {
      // nftables drops VRID 61 in A's output: sendmmsg fails on it with EPERM. The adverts of
      // VRIDs 60 and 62 queued in the same turn must still leave (one instance's failure used to
      // drop every advert behind it in the batch, and the peer's backups took those VRIDs over).
      const key = reporting ? 'b4r' : 'b4';
      const ruleset =
        'add table inet kvksock; add chain inet kvksock out { type filter hook output priority 0; }; add rule inet kvksock out ip protocol 112 @th,8,8 61 drop';
      await run('ip', 'netns', 'exec', NS_A, 'nft', ruleset);
      try {
        await a!.call('openSocket', key, 'inet', IF_A, ['224.0.0.18']);
        await b!.call('openSocket', key, 'inet', IF_B, ['224.0.0.18']);
        const advert = (vrid: number) => {
          const payload = Buffer.from(VRRP2_ADVERT);
          payload.writeUInt8(vrid, 1);
          return ipv4Datagram(V4_A, '224.0.0.18', payload, vrid).toString('hex');
        };
        const outcomes = await a!.call<string[]>(
          'sendBatch',
          key,
          [advert(60), advert(61), advert(62)],
          '224.0.0.18',
          reporting,
        );
        expect(outcomes[0]).toBe('sent');
        expect(outcomes[1]).toMatch(/failed: .*1 of 3 not sent.*EPERM/);
        expect(outcomes[2]).toBe('sent');
        const vridAtB = (e: { event: string; key?: unknown; data?: unknown }) =>
          e.event === 'packet' && e.key === key ? Buffer.from(e.data as string, 'hex').readUInt8(21) : -1;
        await waitUntil(async () => b!.events.some((e) => vridAtB(e) === 62), 'VRID 62 at B', 5_000);
        expect(b!.events.map(vridAtB).filter((v) => v >= 0)).toEqual([60, 62]);
      } finally {
        await a!.call('closeSocket', key);
        await b!.call('closeSocket', key);
        await run('ip', 'netns', 'exec', NS_A, 'nft', 'delete table inet kvksock');
      }
    },
  );

  it('IPv4: batches read into the one receive buffer keep every datagram whole; onRepeated takes its own first', async () => {
    // Three turns of three adverts each (one sendmmsg each, one or more recvmmsg at B into the
    // same Buffer): every datagram arrives with its own bytes, and those of VRID 71 go to
    // onRepeated (no view made, onPacket not called) while 70 and 72 reach onPacket.
    await a!.call('openSocket', 'r4', 'inet', IF_A, ['224.0.0.18']);
    await b!.call('openSocket', 'r4', 'inet', IF_B, ['224.0.0.18'], 71);
    try {
      const advert = (vrid: number, id: number) => {
        const payload = Buffer.from(VRRP2_ADVERT);
        payload.writeUInt8(vrid, 1);
        return ipv4Datagram(V4_A, '224.0.0.18', payload, id).toString('hex');
      };
      const sent: string[] = [];
      for (let turn = 0; turn < 3; turn++) {
        const batch = [70, 71, 72].map((vrid) => advert(vrid, 100 * turn + vrid));
        sent.push(...batch);
        expect(await a!.call<string[]>('sendBatch', 'r4', batch, '224.0.0.18')).toEqual([
          'sent',
          'sent',
          'sent',
        ]);
      }
      const at = (event: string) =>
        b!.events.filter((e) => e.event === event && e.key === 'r4').map((e) => e.data as string);
      await waitUntil(
        async () => at('packet').length + at('repeated').length === 9,
        'nine datagrams at B',
        5_000,
      );
      const vrid = (hex: string) => Buffer.from(hex, 'hex').readUInt8(21);
      expect(at('repeated')).toEqual(sent.filter((h) => vrid(h) === 71));
      expect(at('packet')).toEqual(sent.filter((h) => vrid(h) !== 71));
    } finally {
      await a!.call('closeSocket', 'r4');
      await b!.call('closeSocket', 'r4');
    }
  });

  it('IPv6: exchanges adverts from the link-local source with hop limit 255, src, dst and ifindex', async () => {
    const llA = await a!.call<string>('getPrimaryAddress', IF_A, 'inet6');
    const llB = await b!.call<string>('getPrimaryAddress', IF_B, 'inet6');
    expect(llA).toMatch(/^fe80:/);
    expect(llB).toMatch(/^fe80:/);
    const linkB = await b!.call<{ index: number }>('getLink', IF_B);
    const linkA = await a!.call<{ index: number }>('getLink', IF_A);

    await a!.call('openSocket', 'v6', 'inet6', IF_A, ['ff02::12']);
    await b!.call('openSocket', 'v6', 'inet6', IF_B, ['ff02::12']);

    await a!.call('send', 'v6', VRRP3_ADVERT.toString('hex'), 'ff02::12', llA);
    const atB = await b!.waitFor((e) => e.event === 'packet' && e.key === 'v6');
    expect(atB).toMatchObject({
      family: 'inet6',
      data: VRRP3_ADVERT.toString('hex'), // the VRRP message only, no IPv6 header
      srcAddress: llA,
      dstAddress: 'ff02::12',
      hopLimit: 255,
      ifindex: linkB.index,
    });

    await b!.call('send', 'v6', VRRP3_ADVERT.toString('hex'), 'ff02::12', llB);
    const atA = await a!.waitFor((e) => e.event === 'packet' && e.key === 'v6');
    expect(atA).toMatchObject({
      srcAddress: llB,
      dstAddress: 'ff02::12',
      hopLimit: 255,
      ifindex: linkA.index,
    });

    // IPV6_MULTICAST_LOOP off: nobody hears itself.
    await sleep(300);
    expect(a!.events.filter((e) => e.event === 'packet' && e.key === 'v6')).toHaveLength(1);
    expect(b!.events.filter((e) => e.event === 'packet' && e.key === 'v6')).toHaveLength(1);

    // Unicast to the peer's link-local address (unicast_peer over IPv6), still hop limit 255.
    await a!.call('send', 'v6', VRRP3_ADVERT.toString('hex'), llB, llA);
    const unicast = await b!.waitFor((e) => e.event === 'packet' && e.key === 'v6' && e.dstAddress === llB);
    expect(unicast).toMatchObject({ srcAddress: llA, hopLimit: 255 });
  });

  it('IPv6: sending from an address we do not own fails with the errno kept, then close stops delivery', async () => {
    const error = await failure(
      a!.call('send', 'v6', VRRP3_ADVERT.toString('hex'), 'ff02::12', 'fe80::dead:beef'),
    );
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('E_SYSCALL');
    expect(error.errno).toBe('EINVAL');

    await b!.call('closeSocket', 'v6');
    const before = b!.events.length;
    const llA = await a!.call<string>('getPrimaryAddress', IF_A, 'inet6');
    await a!.call('send', 'v6', VRRP3_ADVERT.toString('hex'), 'ff02::12', llA);
    await sleep(300);
    expect(b!.events.slice(before).filter((e) => e.event === 'packet')).toHaveLength(0);
    await a!.call('closeSocket', 'v6');
  });

  it('sockets keep their group membership across the interface going down and up', async () => {
    await a!.call('openSocket', 'v4again', 'inet', IF_A, ['224.0.0.18']);
    await b!.call('openSocket', 'v4again', 'inet', IF_B, ['224.0.0.18']);
    await a!.call('openSocket', 'v6again', 'inet6', IF_A, ['ff02::12']);
    await b!.call('openSocket', 'v6again', 'inet6', IF_B, ['ff02::12']);
    await run('ip', '-n', NS_B, 'link', 'set', IF_B, 'down');
    await run('ip', '-n', NS_B, 'link', 'set', IF_B, 'up');
    await waitUntil(
      async () => (await b!.call<string | null>('getPrimaryAddress', IF_B, 'inet6')) !== null,
      'link-local address back on the peer',
    );
    await a!.call(
      'send',
      'v4again',
      ipv4Datagram(V4_A, '224.0.0.18', VRRP2_ADVERT, 4).toString('hex'),
      '224.0.0.18',
    );
    await b!.waitFor((e) => e.event === 'packet' && e.key === 'v4again');
    const llA = await a!.call<string>('getPrimaryAddress', IF_A, 'inet6');
    await a!.call('send', 'v6again', VRRP3_ADVERT.toString('hex'), 'ff02::12', llA);
    await b!.waitFor((e) => e.event === 'packet' && e.key === 'v6again');
    for (const key of ['v4again', 'v6again']) {
      await a!.call('closeSocket', key);
      await b!.call('closeSocket', key);
    }
  });

  it('opening on a missing interface throws SystemCallError ENODEV for both families', async () => {
    for (const family of ['inet', 'inet6']) {
      const error = await failure(a!.call('openSocket', 'x', family, 'kvknosuch0', []));
      expect(error.code).toBe('E_SYSCALL');
      expect(error.errno).toBe('ENODEV');
    }
  });
});
