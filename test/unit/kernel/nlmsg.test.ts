import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeGenl } from '../../../src/kernel/ipvs/genlmsg.js';
import {
  decodeNlError,
  encodeNlMessage,
  NlWriter,
  parseAttrs,
  splitMessages,
} from '../../../src/kernel/nlmsg.js';

const hex = (words: string[]) => Buffer.from(words.join('').replaceAll(' ', ''), 'hex');

describe('netlink framing', () => {
  it('splits a datagram with an ACK and an error (struct nlmsgerr)', () => {
    const datagram = hex([
      '24000000 0200 0001 07000000 00000000', // nlmsghdr len 36, NLMSG_ERROR, NLM_F_CAPPED, seq 7, pid 0
      '00000000', //   error 0: an ACK
      '14000000 1c00 0500 07000000 2a000000', //   the request's header: len 20, type 28, REQUEST|ACK, seq 7, pid 42
      '24000000 0200 0001 08000000 00000000', // nlmsghdr len 36, NLMSG_ERROR, seq 8
      'fdffffff', //   error -3: ESRCH
      '14000000 1c00 0500 08000000 2a000000', //   request header, seq 8
    ]);
    const { messages, malformed } = splitMessages(datagram);
    expect(malformed).toBeUndefined();
    expect(messages.map((m) => [m.type, m.flags, m.seq, m.pid])).toEqual([
      [2, 0x100, 7, 0],
      [2, 0x100, 8, 0],
    ]);
    expect(messages.map((m) => decodeNlError(m.payload))).toEqual([
      { error: 0, request: { type: 28, flags: 5, seq: 7 } },
      { error: -3, request: { type: 28, flags: 5, seq: 8 } },
    ]);
  });

  it.each([
    ['nlmsg_len beyond the datagram', ['40000000 0300 0200 01000000 00000000', '00000000']],
    ['nlmsg_len below the header', ['08000000 0300 0200 01000000 00000000']],
  ])('stops at a lying length: %s', (_why, words) => {
    const r = splitMessages(hex(words));
    expect(r.messages).toEqual([]);
    expect(r.malformed).toMatch(/nlmsg_len/);
  });

  it('frames a request header (struct nlmsghdr) and pads to 4', () => {
    const b = encodeNlMessage({
      type: 28,
      flags: 5,
      seq: 0x01020304,
      pid: 0,
      payload: Buffer.from('0f0100', 'hex'),
    });
    expect(b.toString('hex')).toBe(
      ['13000000', '1c00', '0500', '04030201', '00000000', '0f010000'].join(''), // len 19 (+1 pad)
    );
  });

  it('reads attributes and reports a lying nla_len with what came before', () => {
    const run = hex([
      '08000100 2a000000', // type 1, u32 42
      '05000280 07000000', // type 2 | NLA_F_NESTED, 1 byte + 3 pad
      '20000300 0000', // type 3 claims 32 bytes, 2 there
    ]);
    const { attrs, malformed } = parseAttrs(run);
    expect(attrs.map((a) => [a.type, a.nested, a.data.toString('hex')])).toEqual([
      [1, false, '2a000000'],
      [2, true, '07'],
    ]);
    expect(malformed).toMatch(/nla_len 32/);
  });

  it('decodes struct genlmsghdr', () => {
    expect(decodeGenl(hex(['0f010000']))).toEqual({ cmd: 15, version: 1, attrs: [] });
    expect(decodeGenl(Buffer.from('0f01', 'hex'))).toBeUndefined();
  });
});

describe('NlWriter', () => {
  it('nests and patches nla_len, with or without NLA_F_NESTED', () => {
    const flagged = new NlWriter().nest(1, (w) => w.u16(2, 10).be16(3, 80)).finish();
    expect(flagged.toString('hex')).toBe(
      ['14000180', '06000200 0a000000', '06000300 00500000'].join('').replaceAll(' ', ''),
    );
    const plain = new NlWriter({ nestedFlag: false }).nest(1, () => undefined).finish();
    expect(plain.toString('hex')).toBe('04000100');
  });

  it.each([
    // origin + length at the u64: 8-aligned tail -> a pad (data would sit at 4 mod 8)
    [16, true, '04000b00 0c000400 0100000000000000'],
    [20, true, '0c000400 0100000000000000'],
    [16, false, '0c000400 0100000000000000'],
  ])('u64 at origin %i with pad64 %s', (origin, pad64, expected) => {
    const b = new NlWriter({ origin, pad64 }).u64(4, 1n, 11).finish();
    expect(b.toString('hex')).toBe(expected.replaceAll(' ', ''));
  });

  it('strings are NUL-terminated and padded', () => {
    expect(new NlWriter().string(6, 'wrr').finish().toString('hex')).toBe('0800060077727200');
    expect(new NlWriter().string(6, 'lblcr').finish().toString('hex')).toBe('0a0006006c626c6372000000');
  });

  it('grows past its first buffer', () => {
    const w = new NlWriter();
    for (let i = 0; i < 200; i++) w.u32(1, i);
    const { attrs } = parseAttrs(w.finish());
    expect(attrs.length).toBe(200);
    expect(attrs[199]?.data.readUInt32LE(0)).toBe(199);
  });
});

describe('framing never throws on random bytes', () => {
  it('splitMessages, parseAttrs, decodeNlError, decodeGenl', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const b = Buffer.from(bytes);
        expect(() => splitMessages(b)).not.toThrow();
        expect(() => parseAttrs(b)).not.toThrow();
        expect(() => decodeNlError(b)).not.toThrow();
        expect(() => decodeGenl(b)).not.toThrow();
      }),
      { numRuns: 3000 },
    );
  });
});
