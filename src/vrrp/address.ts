/**
 * IP address strings <-> network-order bytes for the VRRP codec. node:net validates but has no
 * inet_pton/inet_ntop, so the conversions are here; output strings are canonical: dotted quad,
 * and RFC 5952 text for IPv6 (lowercase, no leading zeros, the first longest run of two or more
 * zero groups written as `::`), which is also what WHATWG URL and `ip addr` print.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { AddressFamily } from '../config/model.js';

/** addressLength is the size in bytes of an address of the family (4 or 16). */
export function addressLength(family: AddressFamily): 4 | 16 {
  return family === 'inet' ? 4 : 16;
}

/**
 * CACHE_MAX bounds the memo tables below. The receive and send paths convert the same few
 * addresses (peers, groups, VIPs) thousands of times a second at 255 instances; a table that
 * fills up (a flood of spoofed sources) is emptied and refilled, never grown.
 */
const CACHE_MAX = 4096;
const ipv4Text = new Map<number, string>();
const ipv4Bytes = new Map<string, Buffer | null>();
const ipv6Bytes = new Map<string, Buffer | null>();

/** formatIpv4 reads 4 bytes at offset as a dotted quad (memoised: the same strings come back). */
export function formatIpv4(buf: Uint8Array, offset = 0): string {
  const key =
    (((buf[offset] ?? 0) << 24) |
      ((buf[offset + 1] ?? 0) << 16) |
      ((buf[offset + 2] ?? 0) << 8) |
      (buf[offset + 3] ?? 0)) >>>
    0;
  let text = ipv4Text.get(key);
  if (text === undefined) {
    text = `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
    if (ipv4Text.size >= CACHE_MAX) ipv4Text.clear();
    ipv4Text.set(key, text);
  }
  return text;
}

/**
 * addressBytes is parseAddress memoised for the hot paths (checksums, encoding): the Buffer it
 * returns is shared and MUST NOT be modified; parseIpv4 / parseIpv6 return fresh copies.
 */
export function addressBytes(family: AddressFamily, text: string): Readonly<Buffer> | undefined {
  const table = family === 'inet' ? ipv4Bytes : ipv6Bytes;
  let bytes = table.get(text);
  if (bytes === undefined) {
    bytes = (family === 'inet' ? parseIpv4(text) : parseIpv6(text)) ?? null;
    if (table.size >= CACHE_MAX) table.clear();
    table.set(text, bytes);
  }
  return bytes ?? undefined;
}

/** formatIpv6 reads 16 bytes at offset as RFC 5952 text. */
export function formatIpv6(buf: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((buf[offset + 2 * i] ?? 0) << 8) | (buf[offset + 2 * i + 1] ?? 0));
  // RFC 5952 4.2.2/4.2.3: compress the longest run of at least two zero groups, the first if tied.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]): string => g.map((n) => n.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** formatAddress reads an address of the family at offset. */
export function formatAddress(family: AddressFamily, buf: Uint8Array, offset = 0): string {
  return family === 'inet' ? formatIpv4(buf, offset) : formatIpv6(buf, offset);
}

/** parseIpv4 returns the 4 bytes of a dotted quad, or undefined if it is not one. */
export function parseIpv4(text: string): Buffer | undefined {
  if (!isIPv4(text)) return undefined;
  return Buffer.from(text.split('.').map(Number));
}

/** parseIpv6 returns the 16 bytes of an IPv6 address (no zone index), or undefined if it is not one. */
export function parseIpv6(text: string): Buffer | undefined {
  if (text.includes('%') || !isIPv6(text)) return undefined;
  let words = text;
  // An embedded dotted quad (::ffff:192.0.2.1) is the last two groups: rewrite it in hex.
  const lastColon = words.lastIndexOf(':');
  const last = words.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseIpv4(last);
    if (!v4) return undefined;
    words = `${words.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const halves = words.split('::');
  const toGroups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const head = toGroups(halves[0] ?? '');
  const rest = halves.length > 1 ? toGroups(halves[1] ?? '') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...new Array<number>(halves.length > 1 ? missing : 0).fill(0), ...rest];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(g, 2 * i);
  });
  return out;
}

/** parseAddress returns the bytes of an address of the family, or undefined if it is not one. */
export function parseAddress(family: AddressFamily, text: string): Buffer | undefined {
  return family === 'inet' ? parseIpv4(text) : parseIpv6(text);
}

/** canonicalAddress rewrites an address in canonical form, or returns undefined if it is not one. */
export function canonicalAddress(text: string): string | undefined {
  const v4 = parseIpv4(text);
  if (v4) return formatIpv4(v4);
  const v6 = parseIpv6(text);
  return v6 ? formatIpv6(v6) : undefined;
}

/** isMulticast tells whether an address is IPv4 224.0.0.0/4 or IPv6 ff00::/8. */
export function isMulticast(text: string): boolean {
  const v4 = addressBytes('inet', text);
  if (v4) return ((v4[0] ?? 0) & 0xf0) === 0xe0;
  const v6 = addressBytes('inet6', text);
  return v6 !== undefined && v6[0] === 0xff;
}
