/**
 * DNS_CHECK (keepalived check_dns.c): one UDP query (recursion desired) for `name` of `type`;
 * a reply with our id, QR set and RCODE 0 is success. The codec is pure.
 */
import { randomInt } from 'node:crypto';
import type { DnsCheck } from '../../config/model.js';
import { udpExchange } from '../../kernel/probe-socket.js';
import { errnoReason, type ProbeFactory } from '../probe.js';
import { probeEndpoint } from './endpoint.js';

/** DNS_TYPE_CODES are the types keepalived's DNS_CHECK knows (RFC 1035 3.2.2, RFC 3596, RFC 4034). */
export const DNS_TYPE_CODES: Record<string, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  RRSIG: 46,
  DNSKEY: 48,
};

/** encodeDnsQuery builds a query message (RFC 1035 4.1). */
export function encodeDnsQuery(id: number, name: string, type: string): Buffer {
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .filter((l) => l.length > 0);
  const qname = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(DNS_TYPE_CODES[type] ?? 6, 0);
  tail.writeUInt16BE(1, 2); // IN
  return Buffer.concat([header, qname, tail]);
}

/** judgeDnsReply checks a reply against the query id: `undefined` means not ours (keep waiting in keepalived; here: failure). */
export function judgeDnsReply(id: number, reply: Buffer): { ok: boolean; reason: string } {
  if (reply.length < 12) return { ok: false, reason: `too small message (${reply.length} bytes)` };
  if (reply.readUInt16BE(0) !== id) return { ok: false, reason: 'ID does not match' };
  const flags = reply.readUInt16BE(2);
  if ((flags & 0x8000) === 0) return { ok: false, reason: 'receive query message?' };
  const rcode = flags & 0x000f;
  if (rcode !== 0) return { ok: false, reason: `read error occurred. (rcode = ${rcode})` };
  return { ok: true, reason: 'NOERROR' };
}

/** dnsProbe sends one query and judges the reply. */
export const dnsProbe: ProbeFactory<DnsCheck> = (checker, target, env) => async () => {
  const id = randomInt(0, 0x10000);
  try {
    const r = await udpExchange(
      probeEndpoint(checker, target),
      encodeDnsQuery(id, checker.name, checker.type),
      checker.connectTimeoutMs,
      env.clock,
    );
    if (r.reply === undefined) return { ok: false, reason: 'read timeout from socket' };
    return judgeDnsReply(id, r.reply);
  } catch (err) {
    return { ok: false, reason: errnoReason('DNS query', err) };
  }
};
