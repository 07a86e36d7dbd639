/** Address text <-> bytes for the codec: canonical output (RFC 5952) and strict parsing. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalAddress,
  formatIpv6,
  isMulticast,
  parseIpv4,
  parseIpv6,
} from '../../../src/vrrp/address.js';

describe('canonicalAddress', () => {
  const cases: [string, string | undefined][] = [
    ['192.0.2.1', '192.0.2.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['2001:0DB8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'], // RFC 5952 4.2.3: first longest run
    ['2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'], // the longer run wins
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // RFC 5952 4.2.2: a single zero group stays
    ['2001:db8::0001', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['FF02::12', 'ff02::12'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['1:2:3:4:5:6:192.0.2.1', '1:2:3:4:5:6:c000:201'],
    ['fe80::1%eth0', undefined],
    ['1.2.3', undefined],
    ['01.2.3.4', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['', undefined],
  ];
  for (const [input, output] of cases) {
    it(`${input || '(empty)'} -> ${output}`, () => expect(canonicalAddress(input)).toBe(output));
  }

  it('agrees with the WHATWG URL serializer for any 16 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const text = formatIpv6(bytes);
        expect(text).toBe(new URL(`http://[${text}]/`).hostname.slice(1, -1));
        expect(parseIpv6(text)?.equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips any IPv4 address', () => {
    fc.assert(
      fc.property(fc.ipV4(), (text) => {
        expect(canonicalAddress(text)).toBe(text);
        expect(parseIpv4(text)?.length).toBe(4);
      }),
    );
  });
});

describe('isMulticast', () => {
  it.each([
    ['224.0.0.18', true],
    ['239.255.255.255', true],
    ['192.0.2.1', false],
    ['ff02::12', true],
    ['fe80::1', false],
    ['garbage', false],
  ])('%s -> %s', (address, multicast) => expect(isMulticast(address)).toBe(multicast));
});
