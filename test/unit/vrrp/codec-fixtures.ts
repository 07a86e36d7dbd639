/**
 * Loaders for the keepalived captures in test/fixtures/vrrp/*.hex (made by capture.sh there) and
 * for hex written inline in tests. A capture holds IP datagrams: IPv4 ones go through
 * decodeIpv4Datagram like the socket's bytes; for IPv6 the socket hands over the payload plus
 * ancillary data, so ipv6Received plays that part from the 40-byte header.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatIpv6 } from '../../../src/vrrp/address.js';
import type { ReceivedDatagram } from '../../../src/vrrp/packet.js';

/** CapturedPacket is one '## label' block of a capture file. */
export interface CapturedPacket {
  label: string;
  bytes: Buffer;
}

/** hex turns commented hex ("45 c0 00 28 # version, tos...") into bytes; '#' starts a comment. */
export function hex(text: string): Buffer {
  const digits = text
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .join('')
    .replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`bad hex: ${digits}`);
  return Buffer.from(digits, 'hex');
}

/** loadCapture reads test/fixtures/vrrp/NAME.hex into its labelled packets. */
export function loadCapture(name: string): CapturedPacket[] {
  const path = fileURLToPath(new URL(`../../fixtures/vrrp/${name}.hex`, import.meta.url));
  const packets: CapturedPacket[] = [];
  let current: { label: string; lines: string[] } | undefined;
  const flush = (): void => {
    if (current) packets.push({ label: current.label, bytes: hex(current.lines.join('\n')) });
  };
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const header = /^## (\S+)/.exec(line);
    if (header) {
      flush();
      current = { label: header[1]!, lines: [] };
    } else if (current && !line.startsWith('#')) {
      current.lines.push(line);
    }
  }
  flush();
  return packets;
}

/** ipv6Received is what an IPv6 raw socket hands over for a captured IPv6 datagram. */
export function ipv6Received(datagram: Buffer): ReceivedDatagram {
  const payloadLength = datagram.readUInt16BE(4);
  return {
    family: 'inet6',
    srcAddress: formatIpv6(datagram, 8),
    dstAddress: formatIpv6(datagram, 24),
    ttl: datagram[7]!,
    payload: datagram.subarray(40, 40 + payloadLength),
  };
}
