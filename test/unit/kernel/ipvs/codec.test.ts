import { describe, expect, it } from 'vitest';
import {
  decodeDest,
  decodeIpvsMessage,
  decodeService,
  encodeIpvsMessage,
  type IpvsMessage,
  KERNEL_REPLY_UML,
  maskToPrefix,
  prefixToMask,
  zeroStats,
} from '../../../../src/kernel/ipvs/codec.js';
import * as K from '../../../../src/kernel/ipvs/constants.js';
import { parseAttrs } from '../../../../src/kernel/nlmsg.js';
import type { IpvsDestination, IpvsService, IpvsServiceId } from '../../../../src/kernel/ipvs/types.js';
import * as kernel from './kernel-replies.js';
import * as libipvs from './libipvs-requests.js';

const zero = zeroStats();
const tcp80: IpvsServiceId = { family: 'inet', protocol: 'tcp', address: '10.1.1.1', port: 80 };

// What each captured kernel reply must decode to.
const replies: [string, Buffer, IpvsMessage][] = [
  [
    'TCP IPv4 wrr, persistent 300 s, -M 255.255.255.0 (flags PERSISTENT|HASHED)',
    kernel.svcTcp4Persistent,
    {
      cmd: K.IPVS_CMD_NEW_SERVICE,
      version: 1,
      service: { id: tcp80, schedName: 'wrr', flags: 0x3, timeout: 300, netmask: 24, stats: zero },
    },
  ],
  [
    'UDP IPv6 rr, pe sip, -M 64, one-packet (flags PERSISTENT|HASHED|ONEPACKET)',
    kernel.svcUdp6SipOps,
    {
      cmd: K.IPVS_CMD_NEW_SERVICE,
      version: 1,
      service: {
        id: { family: 'inet6', protocol: 'udp', address: 'fd00::1', port: 5060 },
        schedName: 'rr',
        flags: 0x7,
        timeout: 60,
        netmask: 64,
        peName: 'sip',
        stats: zero,
      },
    },
  ],
  [
    'SCTP IPv4 mh with mh-port (SCHED2|HASHED)',
    kernel.svcSctp4MhPort,
    {
      cmd: K.IPVS_CMD_NEW_SERVICE,
      version: 1,
      service: {
        id: { family: 'inet', protocol: 'sctp', address: '10.1.1.5', port: 3868 },
        schedName: 'mh',
        flags: 0x12,
        timeout: 0,
        netmask: 32,
        stats: zero,
      },
    },
  ],
  [
    'fwmark 7 IPv6 sh with sh-fallback,sh-port (SCHED1|SCHED2|HASHED)',
    kernel.svcFwmark6ShFlags,
    {
      cmd: K.IPVS_CMD_NEW_SERVICE,
      version: 1,
      service: {
        id: { family: 'inet6', fwmark: 7 },
        schedName: 'sh',
        flags: 0x1a,
        timeout: 0,
        netmask: 128,
        stats: zero,
      },
    },
  ],
  [
    'TUN gre with checksum',
    kernel.destTunGreCsum,
    {
      cmd: K.IPVS_CMD_NEW_DEST,
      version: 1,
      dest: {
        address: '10.4.4.4',
        family: 'inet',
        port: 80,
        forward: 'tun',
        weight: 1,
        upperThreshold: 0,
        lowerThreshold: 0,
        tunType: 'gre',
        tunPort: 0,
        tunFlags: K.IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
        activeConns: 0,
        inactConns: 0,
        persistConns: 0,
        stats: zero,
      },
    },
  ],
  [
    'TUN gue to port 6080 without checksum',
    kernel.destTunGuePort,
    {
      cmd: K.IPVS_CMD_NEW_DEST,
      version: 1,
      dest: {
        address: '10.3.3.3',
        family: 'inet',
        port: 80,
        forward: 'tun',
        weight: 1,
        upperThreshold: 0,
        lowerThreshold: 0,
        tunType: 'gue',
        tunPort: 6080,
        tunFlags: 0,
        activeConns: 0,
        inactConns: 0,
        persistConns: 0,
        stats: zero,
      },
    },
  ],
  [
    'NAT weight 3, u-threshold 10, l-threshold 2',
    kernel.destNatThresholds,
    {
      cmd: K.IPVS_CMD_NEW_DEST,
      version: 1,
      dest: {
        address: '10.2.2.2',
        family: 'inet',
        port: 8080,
        forward: 'nat',
        weight: 3,
        upperThreshold: 10,
        lowerThreshold: 2,
        activeConns: 0,
        inactConns: 0,
        persistConns: 0,
        stats: zero,
      },
    },
  ],
  [
    'DR IPv6 weight 0 port 0 (fwmark service)',
    kernel.destDr6Weight0,
    {
      cmd: K.IPVS_CMD_NEW_DEST,
      version: 1,
      dest: {
        address: 'fd00::2',
        family: 'inet6',
        port: 0,
        forward: 'dr',
        weight: 0,
        upperThreshold: 0,
        lowerThreshold: 0,
        activeConns: 0,
        inactConns: 0,
        persistConns: 0,
        stats: zero,
      },
    },
  ],
  [
    'sync daemon master on lo, syncid 5, kernel defaults',
    kernel.daemonMaster,
    {
      cmd: K.IPVS_CMD_NEW_DAEMON,
      version: 1,
      daemon: {
        state: 'master',
        ifname: 'lo',
        syncId: 5,
        maxLen: 1472,
        port: 8848,
        ttl: 1,
        mcastGroup: '224.0.0.81',
      },
    },
  ],
  [
    'sync daemon backup, IPv6 group, port, ttl, maxlen',
    kernel.daemonBackup6,
    {
      cmd: K.IPVS_CMD_NEW_DAEMON,
      version: 1,
      daemon: {
        state: 'backup',
        ifname: 'lo',
        syncId: 6,
        maxLen: 1400,
        port: 8849,
        ttl: 2,
        mcastGroup: 'ff02::81',
      },
    },
  ],
  [
    'timeouts (the kernel answers GET_CONFIG with SET_CONFIG)',
    kernel.config,
    { cmd: K.IPVS_CMD_SET_CONFIG, version: 1, timeouts: { tcp: 900, tcpFin: 120, udp: 300 } },
  ],
  [
    'info (answered as SET_INFO)',
    kernel.info,
    { cmd: K.IPVS_CMD_SET_INFO, version: 1, info: { version: 0x010201, connTabSize: 4096 } },
  ],
];

describe('IPVS codec on replies captured from Linux 6.1', () => {
  it.each(replies)('%s: decodes', (_name, bytes, expected) => {
    const m = decodeIpvsMessage(bytes);
    expect(m).toEqual({ ok: true, value: expected });
  });

  it.each(replies)('%s: re-encodes to the same bytes (encode(decode(x)) = x)', (_name, bytes) => {
    const m = decodeIpvsMessage(bytes);
    if (!m.ok) throw new Error(m.reason);
    // The guest kernel pads 64-bit counters (no efficient unaligned access) and flags no nest.
    expect(encodeIpvsMessage(m.value, KERNEL_REPLY_UML).toString('hex')).toBe(bytes.toString('hex'));
  });

  it('x86-style encoding (no pads) decodes to the same statistics', () => {
    const m = decodeIpvsMessage(kernel.svcTcp4Persistent);
    if (!m.ok) throw new Error(m.reason);
    const unpadded = encodeIpvsMessage(m.value);
    expect(unpadded.length).toBeLessThan(kernel.svcTcp4Persistent.length);
    expect(decodeIpvsMessage(unpadded)).toEqual(m);
  });
});

// Requests keepvip writes byte for byte as libipvs does.
const sameAsLibipvs: [string, Buffer, IpvsMessage][] = [
  [
    'NEW_SERVICE tcp wrr persistent',
    libipvs.newServiceTcp4Persistent,
    {
      cmd: K.IPVS_CMD_NEW_SERVICE,
      service: { id: tcp80, schedName: 'wrr', flags: K.IP_VS_SVC_F_PERSISTENT, timeout: 300, netmask: 24 },
    },
  ],
  [
    'NEW_SERVICE fwmark IPv6 sh-fallback,sh-port',
    libipvs.newServiceFwmark6Sh,
    {
      cmd: K.IPVS_CMD_NEW_SERVICE,
      service: {
        id: { family: 'inet6', fwmark: 7 },
        schedName: 'sh',
        flags: K.IP_VS_SVC_F_SCHED_SH_FALLBACK | K.IP_VS_SVC_F_SCHED_SH_PORT,
        timeout: 0,
        netmask: 128,
      },
    },
  ],
  [
    'NEW_SERVICE udp IPv6 pe sip one-packet',
    libipvs.newServiceUdp6SipOps,
    {
      cmd: K.IPVS_CMD_NEW_SERVICE,
      service: {
        id: { family: 'inet6', protocol: 'udp', address: 'fd00::1', port: 5060 },
        schedName: 'rr',
        flags: K.IP_VS_SVC_F_PERSISTENT | K.IP_VS_SVC_F_ONEPACKET,
        timeout: 60,
        netmask: 64,
        peName: 'sip',
      },
    },
  ],
  [
    'SET_SERVICE rr',
    libipvs.setServiceRr,
    {
      cmd: K.IPVS_CMD_SET_SERVICE,
      service: { id: tcp80, schedName: 'rr', flags: 0, timeout: 0, netmask: 32 },
    },
  ],
  [
    'NEW_DAEMON master',
    libipvs.newDaemonMaster,
    { cmd: K.IPVS_CMD_NEW_DAEMON, daemon: { state: 'master', ifname: 'lo', syncId: 5 } },
  ],
  [
    'NEW_DAEMON backup with IPv6 group',
    libipvs.newDaemonBackup6,
    {
      cmd: K.IPVS_CMD_NEW_DAEMON,
      daemon: {
        state: 'backup',
        ifname: 'lo',
        syncId: 6,
        maxLen: 1400,
        port: 8849,
        ttl: 2,
        mcastGroup: 'ff02::81',
      },
    },
  ],
  [
    'SET_CONFIG',
    libipvs.setConfig,
    { cmd: K.IPVS_CMD_SET_CONFIG, timeouts: { tcp: 901, tcpFin: 121, udp: 301 } },
  ],
  ['FLUSH', libipvs.flush, { cmd: K.IPVS_CMD_FLUSH }],
];

// Requests where libipvs writes more than the kernel needs: what the kernel reads must match.
const natDest: IpvsDestination = {
  address: '10.2.2.2',
  family: 'inet',
  port: 8080,
  forward: 'nat',
  weight: 3,
  upperThreshold: 10,
  lowerThreshold: 2,
};
const sameMeaning: [string, Buffer, IpvsMessage][] = [
  [
    'NEW_DEST nat with thresholds',
    libipvs.newDestNat,
    { cmd: K.IPVS_CMD_NEW_DEST, service: tcp80, dest: natDest },
  ],
  [
    'NEW_DEST tun gue port 6080 csum',
    libipvs.newDestTunGue,
    {
      cmd: K.IPVS_CMD_NEW_DEST,
      service: tcp80,
      dest: {
        address: '10.3.3.3',
        family: 'inet',
        port: 80,
        forward: 'tun',
        weight: 1,
        upperThreshold: 0,
        lowerThreshold: 0,
        tunType: 'gue',
        tunPort: 6080,
        tunFlags: K.IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
      },
    },
  ],
  [
    'SET_DEST weight 5',
    libipvs.setDestWeight,
    { cmd: K.IPVS_CMD_SET_DEST, service: tcp80, dest: { ...natDest, weight: 5 } },
  ],
];

describe('IPVS requests against ipvsadm 1.31 (libipvs)', () => {
  it.each(sameAsLibipvs)('%s: the same bytes', (_name, bytes, m) => {
    expect(encodeIpvsMessage(m).toString('hex')).toBe(bytes.toString('hex'));
  });

  it.each(sameMeaning)('%s: the same service identity and destination', (_name, bytes, m) => {
    const theirs = decodeIpvsMessage(bytes);
    const ours = decodeIpvsMessage(encodeIpvsMessage(m));
    if (!theirs.ok || !ours.ok) throw new Error('undecodable');
    const id = (x: IpvsMessage) => (x.service as IpvsService).id;
    expect(id(ours.value)).toEqual(m.service);
    expect(id(theirs.value)).toEqual(m.service);
    expect(ours.value.dest).toEqual(m.dest);
    expect(theirs.value.dest).toEqual(m.dest);
    // keepvip's request carries only the identity of the service: shorter than libipvs's.
    expect(encodeIpvsMessage(m).length).toBeLessThan(bytes.length);
  });

  it('DEL_DEST and DEL_SERVICE carry the identity only', () => {
    const del = encodeIpvsMessage({
      cmd: K.IPVS_CMD_DEL_DEST,
      service: tcp80,
      dest: { address: '10.2.2.2', port: 8080, family: 'inet' },
      destFull: false,
    });
    // genlmsghdr | SERVICE{AF, PROTOCOL, ADDR, PORT} | DEST{ADDR, PORT, ADDR_FAMILY}
    expect(del.toString('hex')).toBe(
      [
        '07010000', // genlmsghdr IPVS_CMD_DEL_DEST version 1
        '30000180', // IPVS_CMD_ATTR_SERVICE (nested, 48 bytes)
        '06000100 02000000', //   IPVS_SVC_ATTR_AF AF_INET
        '06000200 06000000', //   IPVS_SVC_ATTR_PROTOCOL IPPROTO_TCP
        '14000300 0a010101 00000000 00000000 00000000', //   IPVS_SVC_ATTR_ADDR 10.1.1.1
        '06000400 00500000', //   IPVS_SVC_ATTR_PORT 80 (big-endian)
        '28000280', // IPVS_CMD_ATTR_DEST (nested, 40 bytes)
        '14000100 0a020202 00000000 00000000 00000000', //   IPVS_DEST_ATTR_ADDR 10.2.2.2
        '06000200 1f900000', //   IPVS_DEST_ATTR_PORT 8080 (big-endian)
        '06000b00 02000000', //   IPVS_DEST_ATTR_ADDR_FAMILY AF_INET
      ]
        .join('')
        .replaceAll(' ', ''),
    );
    const theirs = decodeIpvsMessage(libipvs.delService);
    expect(theirs.ok && (theirs.value.service as IpvsService).id).toEqual(tcp80);
  });

  it('DEL_DAEMON carries the state only', () => {
    const ours = encodeIpvsMessage({
      cmd: K.IPVS_CMD_DEL_DAEMON,
      daemon: { state: 'master' },
      daemonFull: false,
    });
    expect(ours.toString('hex')).toBe('0a010000' + '0c000380' + '08000100' + '01000000');
    const theirs = decodeIpvsMessage(libipvs.delDaemonMaster);
    expect(theirs.ok && theirs.value.daemon?.state).toBe('master');
  });
});

describe('IPVS codec rules', () => {
  it.each([
    [32, 0xffffffff],
    [24, 0xffffff00],
    [1, 0x80000000],
    [0, 0],
  ])('IPv4 persistence netmask /%i is mask %s on the wire', (prefix, mask) => {
    expect(prefixToMask(prefix)).toBe(mask);
    expect(maskToPrefix(mask)).toBe(prefix);
  });

  it('localNode destinations read as dr and write IP_VS_CONN_F_LOCALNODE', () => {
    const d: IpvsDestination = {
      address: '127.0.0.1',
      family: 'inet',
      port: 80,
      forward: 'dr',
      localNode: true,
      weight: 1,
      upperThreshold: 0,
      lowerThreshold: 0,
    };
    const bytes = encodeIpvsMessage({ cmd: K.IPVS_CMD_NEW_DEST, dest: d });
    const m = decodeIpvsMessage(bytes);
    expect(m.ok && m.value.dest).toEqual(d);
    const nest = parseAttrs(bytes.subarray(4)).attrs[0];
    const fwd = nest && parseAttrs(nest.data).attrs.find((a) => a.type === K.IPVS_DEST_ATTR_FWD_METHOD);
    expect(fwd?.data.readUInt32LE(0)).toBe(K.IP_VS_CONN_F_LOCALNODE);
  });

  it('keeps unknown attributes at every level', () => {
    const service: IpvsService = {
      id: tcp80,
      schedName: 'rr',
      flags: 2,
      timeout: 0,
      netmask: 32,
      unknown: new Map([[42, Buffer.from('abcd', 'hex')]]),
    };
    const m: IpvsMessage = {
      cmd: K.IPVS_CMD_NEW_SERVICE,
      version: 1,
      service,
      unknown: new Map([[99, Buffer.from('0102', 'hex')]]),
    };
    expect(decodeIpvsMessage(encodeIpvsMessage(m))).toEqual({ ok: true, value: m });
  });

  it('reports what it cannot read instead of throwing', () => {
    expect(decodeService(Buffer.alloc(0))).toMatchObject({ ok: false });
    expect(decodeDest(Buffer.from('0600020000500000', 'hex'))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/IPVS_DEST_ATTR_ADDR/),
    });
    expect(decodeIpvsMessage(Buffer.from('01', 'hex'))).toMatchObject({ ok: false });
    // An unsupported protocol (IPPROTO_AH 51) is reported, not guessed.
    const ah = Buffer.from(kernel.svcTcp4Persistent);
    ah.writeUInt16LE(51, 4 + 4 + 8 + 4);
    expect(decodeIpvsMessage(ah)).toMatchObject({ ok: false, reason: expect.stringMatching(/PROTOCOL 51/) });
  });
});
