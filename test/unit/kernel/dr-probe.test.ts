/** dr_path_check's frames (kernel/dr-probe.ts): built byte for byte, read back, checksums verified. */
import { describe, expect, it } from 'vitest';
import {
  buildArpRequest,
  buildTcpFrame,
  neighbourFromProcArp,
  parseFrame,
  TCP_ACK,
  TCP_RST,
  TCP_SYN,
} from '../../../src/kernel/dr-probe.js';
import { icmpChecksum } from '../../../src/kernel/icmp.js';

const DIRECTOR = { mac: '02:00:00:00:00:01', ip: '10.0.0.1' };
const RS = { mac: '02:00:00:00:00:02', ip: '10.0.0.2' };
const VIP = '10.0.0.100';

describe('buildArpRequest', () => {
  it('who-has VIP tell the director: broadcast, op 1, target MAC zero, 42 bytes', () => {
    const f = buildArpRequest({ srcMac: DIRECTOR.mac, srcIp: DIRECTOR.ip, targetIp: VIP });
    expect(f.toString('hex')).toBe(
      [
        'ffffffffffff', // destination: broadcast
        '020000000001', // source: the director
        '0806', // ARP
        '0001',
        '0800',
        '06',
        '04',
        '0001', // Ethernet/IPv4, request
        '020000000001',
        '0a000001', // sender
        '000000000000',
        '0a000064', // target: unknown MAC, VIP
      ].join(''),
    );
  });
});

describe('buildTcpFrame', () => {
  const syn = buildTcpFrame({
    dstMac: RS.mac,
    srcMac: DIRECTOR.mac,
    srcIp: DIRECTOR.ip,
    dstIp: VIP,
    srcPort: 40_000,
    dstPort: 80,
    seq: 0xdeadbeef,
    ack: 0,
    flags: TCP_SYN,
  });

  it('a SYN to VIP:80 addressed to the real server MAC, 54 bytes', () => {
    expect(syn.length).toBe(54);
    expect(syn.subarray(0, 14).toString('hex')).toBe('020000000002' + '020000000001' + '0800');
    // IPv4: version 4 IHL 5, length 40, DF, TTL 64, TCP, director -> VIP
    expect(syn.subarray(14, 34).toString('hex')).toMatch(/^45000028000040004006[0-9a-f]{4}0a0000010a000064$/);
    // TCP: 40000 -> 80, seq, ack 0, offset 5, SYN, window 64240
    expect(syn.subarray(34, 50).toString('hex')).toBe('9c400050deadbeef000000005002faf0');
  });

  it('the IPv4 header checksum and the TCP checksum (with the pseudo-header) verify to zero', () => {
    expect(icmpChecksum(syn.subarray(14, 34))).toBe(0);
    const pseudo = Buffer.concat([syn.subarray(26, 34), Buffer.from([0, 6, 0, 20]), syn.subarray(34)]);
    expect(icmpChecksum(pseudo)).toBe(0);
  });

  it('reads back through parseFrame', () => {
    expect(parseFrame(syn)).toEqual({
      kind: 'tcp',
      ethSrc: DIRECTOR.mac,
      srcIp: DIRECTOR.ip,
      dstIp: VIP,
      srcPort: 40_000,
      dstPort: 80,
      seq: 0xdeadbeef,
      ack: 0,
      flags: TCP_SYN,
    });
  });
});

describe('parseFrame', () => {
  it('a SYN-ACK from VIP:80 (the real server answering for the VIP)', () => {
    const synAck = buildTcpFrame({
      dstMac: DIRECTOR.mac,
      srcMac: RS.mac,
      srcIp: VIP,
      dstIp: DIRECTOR.ip,
      srcPort: 80,
      dstPort: 40_000,
      seq: 1,
      ack: 0xdeadbef0,
      flags: TCP_SYN | TCP_ACK,
    });
    expect(parseFrame(synAck)).toMatchObject({ srcIp: VIP, srcPort: 80, ack: 0xdeadbef0, flags: 0x12 });
  });

  it('an IPv4 header with options (IHL 6): the TCP header is found after them', () => {
    const f = buildTcpFrame({
      ...RS,
      dstMac: DIRECTOR.mac,
      srcMac: RS.mac,
      srcIp: VIP,
      dstIp: DIRECTOR.ip,
      srcPort: 80,
      dstPort: 5,
      seq: 0,
      ack: 0,
      flags: TCP_RST,
    });
    const withOption = Buffer.concat([f.subarray(0, 34), Buffer.from([1, 1, 1, 0]), f.subarray(34)]);
    withOption[14] = 0x46;
    expect(parseFrame(withOption)).toMatchObject({ kind: 'tcp', srcPort: 80, dstPort: 5, flags: TCP_RST });
  });

  it('an ARP reply: sender MAC and IP', () => {
    const reply = buildArpRequest({ srcMac: RS.mac, srcIp: VIP, targetIp: DIRECTOR.ip });
    reply.writeUInt16BE(2, 20);
    expect(parseFrame(reply)).toEqual({
      kind: 'arp-reply',
      senderMac: RS.mac,
      senderIp: VIP,
      ethSrc: RS.mac,
    });
  });

  it.each([
    ['an ARP request', buildArpRequest({ srcMac: RS.mac, srcIp: RS.ip, targetIp: VIP })],
    ['a truncated frame', Buffer.alloc(10)],
    ['an IPv6 frame', Buffer.concat([Buffer.alloc(12), Buffer.from([0x86, 0xdd]), Buffer.alloc(40)])],
    [
      'a later IPv4 fragment',
      (() => {
        const f = buildTcpFrame({
          dstMac: DIRECTOR.mac,
          srcMac: RS.mac,
          srcIp: VIP,
          dstIp: DIRECTOR.ip,
          srcPort: 80,
          dstPort: 1,
          seq: 0,
          ack: 0,
          flags: TCP_RST,
        });
        f.writeUInt16BE(0x0001, 20);
        return f;
      })(),
    ],
    [
      'a TCP header cut short',
      buildTcpFrame({
        dstMac: DIRECTOR.mac,
        srcMac: RS.mac,
        srcIp: VIP,
        dstIp: DIRECTOR.ip,
        srcPort: 80,
        dstPort: 1,
        seq: 0,
        ack: 0,
        flags: TCP_RST,
      }).subarray(0, 40),
    ],
  ])('%s: undefined', (_name, frame) => {
    expect(parseFrame(frame)).toBeUndefined();
  });

  it('never throws on random bytes', () => {
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(
        Array.from({ length: Math.floor(Math.random() * 80) }, () => Math.floor(Math.random() * 256)),
      );
      if (b.length > 13 && i % 2 === 0) b.writeUInt16BE(i % 4 === 0 ? 0x0800 : 0x0806, 12);
      expect(() => parseFrame(b)).not.toThrow();
    }
  });
});

describe('neighbourFromProcArp', () => {
  const text = `IP address       HW type     Flags       HW address            Mask     Device
10.0.0.2         0x1         0x2         02:00:00:00:00:02     *        eth0
10.0.0.3         0x1         0x0         00:00:00:00:00:00     *        eth0
10.0.0.4         0x1         0x2         02:00:00:00:00:04     *        eth1
`;
  it.each([
    ['10.0.0.2', 'eth0', '02:00:00:00:00:02'],
    ['10.0.0.3', 'eth0', undefined], // incomplete
    ['10.0.0.4', 'eth0', undefined], // on another interface
    ['10.0.0.9', 'eth0', undefined],
  ])('%s on %s', (ip, dev, mac) => {
    expect(neighbourFromProcArp(text, ip, dev)).toBe(mac);
  });
});
