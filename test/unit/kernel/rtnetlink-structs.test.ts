/**
 * The rtnetlink structs (kernel/rtnetlink-structs.ts), byte for byte: what `ip addr add`,
 * `ip route add` and `ip rule add` send (strace -e sendmsg -X raw), and an RTM_NEWLINK as the
 * kernel sends it. Decoders never throw, and decode(encode(x)) keeps x.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLink } from '../../../src/kernel/links.js';
import { IFA_F_NODAD } from '../../../src/kernel/rtnetlink-constants.js';
import {
  addressFlags,
  decodeAddressMessage,
  decodeLinkMessage,
  encodeAddress,
  encodeLink,
  encodeRoute,
  encodeRule,
} from '../../../src/kernel/rtnetlink-structs.js';
import { linkInfoKind } from '../../../src/kernel/vmac.js';

const hex = (words: string[]) => words.join('').replaceAll(' ', '');
const ip = (...b: number[]) => Buffer.from(b);

describe('encode', () => {
  const cases: { name: string; bytes: Buffer; expected: string[] }[] = [
    {
      name: 'RTM_NEWADDR 10.0.0.1/24 brd 10.0.0.255 label eth0:vip on index 2',
      bytes: encodeAddress(
        { family: 2, prefixlen: 24, scope: 0, index: 2 },
        { address: ip(10, 0, 0, 1), local: ip(10, 0, 0, 1), label: 'eth0:vip', broadcast: ip(10, 0, 0, 255) },
      ),
      expected: [
        '02 18 00 00 02000000', // ifaddrmsg: AF_INET, /24, flags 0, RT_SCOPE_UNIVERSE, ifindex 2
        '0800 0100 0a000001', // IFA_ADDRESS
        '0800 0200 0a000001', // IFA_LOCAL
        '0d00 0300 657468303a76697000 000000', // IFA_LABEL "eth0:vip\0" + 3 pad
        '0800 0400 0a0000ff', // IFA_BROADCAST
      ],
    },
    {
      name: 'RTM_NEWADDR 2001:db8::1/64 nodad: IFA_F_NODAD in ifa_flags and IFA_FLAGS',
      bytes: encodeAddress(
        { family: 10, prefixlen: 64, flags: IFA_F_NODAD, index: 3 },
        { local: Buffer.from('20010db8000000000000000000000001', 'hex'), flags: IFA_F_NODAD },
      ),
      expected: [
        '0a 40 02 00 03000000', // AF_INET6, /64, IFA_F_NODAD, scope 0, ifindex 3
        '1400 0200 20010db8000000000000000000000001', // IFA_LOCAL
        '0800 0800 02000000', // IFA_FLAGS
      ],
    },
    {
      name: 'RTM_SETLINK index 7 up: ifi_flags and ifi_change IFF_UP',
      bytes: encodeLink({ index: 7, flags: 1, change: 1 }),
      expected: ['00 00 0000 07000000 01000000 01000000'],
    },
    {
      name: 'RTM_NEWLINK vrrp.71 on index 2: IFLA_ADDRESS, IFLA_IFNAME, IFLA_LINK, IFLA_LINKINFO as given',
      bytes: encodeLink(
        {},
        {
          ifname: 'vrrp.71',
          address: Buffer.from('00005e000147', 'hex'),
          link: 2,
          linkinfo: Buffer.from('0c0001006d6163766c616e00', 'hex'),
        },
      ),
      expected: [
        '00 00 0000 00000000 00000000 00000000', // ifinfomsg, all zero
        '0a00 0100 00005e000147 0000', // IFLA_ADDRESS + 2 pad
        '0c00 0300 767272702e373100', // IFLA_IFNAME "vrrp.71\0"
        '0800 0500 02000000', // IFLA_LINK
        '1000 1200 0c0001006d6163766c616e00', // IFLA_LINKINFO { IFLA_INFO_KIND "macvlan" }
      ],
    },
    {
      name: 'RTM_NEWROUTE 10.1.0.0/16 via 10.0.0.254 table 254 proto 18 onlink',
      bytes: encodeRoute(
        { family: 2, dstLen: 16, table: 254, protocol: 18, scope: 0, type: 1, flags: 4 },
        { dst: ip(10, 1, 0, 0), gateway: ip(10, 0, 0, 254), table: 254 },
      ),
      expected: [
        '02 10 00 00 fe 12 00 01 04000000', // rtmsg: AF_INET /16, main, RTPROT_KEEPALIVED, universe, RTN_UNICAST, RTNH_F_ONLINK
        '0800 0100 0a010000', // RTA_DST
        '0800 0500 0a0000fe', // RTA_GATEWAY
        '0800 0f00 fe000000', // RTA_TABLE
      ],
    },
    {
      name: 'RTM_NEWRULE from 10.0.0.0/8 lookup 100 priority 50 proto 18',
      bytes: encodeRule(
        { family: 2, srcLen: 8, table: 100, action: 1 },
        { src: ip(10, 0, 0, 0), priority: 50, table: 100, protocol: 18 },
      ),
      expected: [
        '02 00 08 00 64 00 00 01 00000000', // fib_rule_hdr: AF_INET, src_len 8, table 100, FR_ACT_TO_TBL
        '0800 0200 0a000000', // FRA_SRC
        '0800 0600 32000000', // FRA_PRIORITY
        '0800 0f00 64000000', // FRA_TABLE
        '0500 1500 12000000', // FRA_PROTOCOL (u8) + 3 pad
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(c.bytes.toString('hex')).toBe(hex(c.expected));
    });
  }
});

describe('decode', () => {
  it('an RTM_NEWLINK as the kernel sends it: nested IFLA_LINKINFO, IFLA_CARRIER, unknown attributes skipped', () => {
    const payload = Buffer.from(
      hex([
        '00 00 0100 03000000 43100100 00000000', // ifinfomsg: ARPHRD_ETHER, ifindex 3, UP|BROADCAST|RUNNING|MULTICAST|LOWER_UP
        '0900 0300 6574683000 000000', // IFLA_IFNAME "eth0\0"
        '0800 0400 dc050000', // IFLA_MTU 1500
        '0a00 0100 020000000001 0000', // IFLA_ADDRESS
        '0500 2100 01 000000', // IFLA_CARRIER 1
        '0800 1b00 00000000', // IFLA_PROMISCUITY (27): not read
        '1000 1280 0c0001006d6163766c616e00', // IFLA_LINKINFO | NLA_F_NESTED { IFLA_INFO_KIND "macvlan" }
      ]),
      'hex',
    );
    const m = decodeLinkMessage(payload);
    expect(m?.malformed).toBeUndefined();
    expect(m && decodeLink(m)).toEqual({
      index: 3,
      name: 'eth0',
      mac: '02:00:00:00:00:01',
      up: true,
      carrier: true,
      mtu: 1500,
    });
    expect(linkInfoKind(m?.attrs.linkinfo)).toBe('macvlan');
  });

  it('a short header is undefined, a cut attribute run is malformed with what came before', () => {
    expect(decodeLinkMessage(Buffer.alloc(15))).toBeUndefined();
    expect(decodeAddressMessage(Buffer.alloc(7))).toBeUndefined();
    const cut = decodeAddressMessage(
      Buffer.from(hex(['02 18 80 00 02000000', '0800 0200 0a000001', '0c00 0300 6574']), 'hex'),
    );
    expect(cut?.attrs.local?.toString('hex')).toBe('0a000001');
    expect(cut?.malformed).toMatch(/nla_len 12/);
  });

  it('addressFlags names IFA_F_* bits and keeps the others', () => {
    expect(addressFlags(0x80 | 0x01 | 0x40 | 0x1000)).toEqual({
      secondary: true,
      tentative: true,
      permanent: true,
      __unknown: 0x1000,
    });
    expect(addressFlags(0)).toEqual({});
  });
});

describe('properties', () => {
  it('decoders never throw on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const b = Buffer.from(bytes);
        expect(() => decodeAddressMessage(b)).not.toThrow();
        expect(() => decodeLinkMessage(b)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  it('decodeAddressMessage(encodeAddress(x)) keeps x', () => {
    fc.assert(
      fc.property(
        fc.record({
          family: fc.constantFrom(2, 10),
          prefixlen: fc.integer({ min: 0, max: 128 }),
          flags: fc.integer({ min: 0, max: 255 }),
          scope: fc.constantFrom(0, 200, 253, 254),
          index: fc.integer({ min: 1, max: 0x7fffffff }),
        }),
        fc.uint8Array({ minLength: 4, maxLength: 16 }),
        fc.option(fc.stringMatching(/^[a-z0-9:]{1,15}$/), { nil: undefined }),
        (data, address, label) => {
          const attrs = { local: Buffer.from(address), ...(label !== undefined && { label }) };
          expect(decodeAddressMessage(encodeAddress(data, attrs))).toEqual({ data, attrs });
        },
      ),
      { numRuns: 500 },
    );
  });
});
