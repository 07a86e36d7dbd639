/**
 * Pure netlink framing (linux/netlink.h, linux/genetlink.h): struct nlmsghdr, struct
 * genlmsghdr, struct nlattr and struct nlmsgerr, to and from bytes. Nothing here throws on
 * bytes from the kernel: malformed input comes back as a reason, and never trusts a length.
 */
import { GENL_HDRLEN, NLA_F_NESTED, NLA_HDRLEN, NLA_TYPE_MASK, NLMSG_HDRLEN } from './constants.js';

/** NlAttr is one struct nlattr: its type without flags, the NLA_F_NESTED flag and the payload. */
export interface NlAttr {
  type: number;
  nested: boolean;
  data: Buffer;
}

/** NlMessage is one struct nlmsghdr and its payload. */
export interface NlMessage {
  /** type is nlmsg_type: NLMSG_ERROR, NLMSG_DONE, or a generic netlink family id. */
  type: number;
  flags: number;
  seq: number;
  /** pid is nlmsg_pid, the port id. */
  pid: number;
  payload: Buffer;
}

/** GenlMessage is struct genlmsghdr (cmd, version) and the attributes that follow it. */
export interface GenlMessage {
  cmd: number;
  version: number;
  attrs: NlAttr[];
}

/** NlError is struct nlmsgerr: errno (0 for an ACK, else a negative errno) and the request's header. */
export interface NlError {
  error: number;
  /** seq, type and flags are those of the request the kernel answers. */
  request?: { type: number; flags: number; seq: number };
}

/** nlaAlign rounds up to NLA_ALIGNTO / NLMSG_ALIGNTO (4). */
export function nlaAlign(n: number): number {
  return (n + 3) & ~3;
}

/** encodeAttr frames one attribute (nla_len, nla_type, payload, padding to 4). */
export function encodeAttr(type: number, data: Uint8Array, nested = false): Buffer {
  const len = NLA_HDRLEN + data.length;
  const out = Buffer.alloc(nlaAlign(len));
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE((type & NLA_TYPE_MASK) | (nested ? NLA_F_NESTED : 0), 2);
  out.set(data, NLA_HDRLEN);
  return out;
}

/** encodeNested frames attributes inside one NLA_F_NESTED attribute. */
export function encodeNested(type: number, attrs: Buffer[]): Buffer {
  return encodeAttr(type, Buffer.concat(attrs), true);
}

/** attrU8 / attrU16 / attrU32 / attrU64 / attrBe16 / attrBe32 / attrString frame scalar attributes. */
export function attrU8(type: number, v: number): Buffer {
  return encodeAttr(type, Buffer.of(v & 0xff));
}
export function attrU16(type: number, v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v & 0xffff);
  return encodeAttr(type, b);
}
export function attrBe16(type: number, v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v & 0xffff);
  return encodeAttr(type, b);
}
export function attrU32(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return encodeAttr(type, b);
}
export function attrBe32(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return encodeAttr(type, b);
}
export function attrU64(type: number, v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return encodeAttr(type, b);
}
export function attrString(type: number, s: string): Buffer {
  return encodeAttr(type, Buffer.from(`${s}\0`, 'utf8'));
}

/**
 * parseAttrs splits a run of attributes. A truncated or lying nla_len ends the walk and is
 * reported as `malformed` with the attributes read so far; bytes after the last whole
 * attribute (shorter than a header) are ignored as padding.
 */
export function parseAttrs(buf: Buffer): { attrs: NlAttr[]; malformed?: string } {
  const attrs: NlAttr[] = [];
  let off = 0;
  while (off + NLA_HDRLEN <= buf.length) {
    const len = buf.readUInt16LE(off);
    const rawType = buf.readUInt16LE(off + 2);
    if (len < NLA_HDRLEN || off + len > buf.length) {
      return {
        attrs,
        malformed: `attribute at ${off}: nla_len ${len} does not fit ${buf.length - off} bytes`,
      };
    }
    attrs.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      data: buf.subarray(off + NLA_HDRLEN, off + len),
    });
    off += nlaAlign(len);
  }
  return { attrs };
}

/** readU8 / readU16 / readU32 / readBe16 / readBe32 / readU64 read a scalar attribute, or undefined when too short. */
export function readU8(d: Buffer): number | undefined {
  return d.length >= 1 ? d.readUInt8(0) : undefined;
}
export function readU16(d: Buffer): number | undefined {
  return d.length >= 2 ? d.readUInt16LE(0) : undefined;
}
export function readBe16(d: Buffer): number | undefined {
  return d.length >= 2 ? d.readUInt16BE(0) : undefined;
}
export function readU32(d: Buffer): number | undefined {
  return d.length >= 4 ? d.readUInt32LE(0) : undefined;
}
export function readBe32(d: Buffer): number | undefined {
  return d.length >= 4 ? d.readUInt32BE(0) : undefined;
}
export function readU64(d: Buffer): bigint | undefined {
  if (d.length >= 8) return d.readBigUInt64LE(0);
  if (d.length >= 4) return BigInt(d.readUInt32LE(0));
  return undefined;
}
/** readString reads a NUL-terminated (or unterminated) string attribute. */
export function readString(d: Buffer): string {
  const nul = d.indexOf(0);
  return d.subarray(0, nul < 0 ? d.length : nul).toString('utf8');
}

/** encodeNlMessage frames one netlink message (struct nlmsghdr + payload, padded to 4). */
export function encodeNlMessage(m: Omit<NlMessage, 'payload'> & { payload: Uint8Array }): Buffer {
  const len = NLMSG_HDRLEN + m.payload.length;
  const out = Buffer.alloc(nlaAlign(len));
  out.writeUInt32LE(len, 0);
  out.writeUInt16LE(m.type, 4);
  out.writeUInt16LE(m.flags, 6);
  out.writeUInt32LE(m.seq >>> 0, 8);
  out.writeUInt32LE(m.pid >>> 0, 12);
  out.set(m.payload, NLMSG_HDRLEN);
  return out;
}

/** splitMessages splits one datagram into netlink messages; a lying nlmsg_len ends the walk as `malformed`. */
export function splitMessages(buf: Buffer): { messages: NlMessage[]; malformed?: string } {
  const messages: NlMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > buf.length) {
      return {
        messages,
        malformed: `message at ${off}: nlmsg_len ${len} does not fit ${buf.length - off} bytes`,
      };
    }
    messages.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      pid: buf.readUInt32LE(off + 12),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += nlaAlign(len);
  }
  return { messages };
}

/** encodeGenl frames struct genlmsghdr (cmd, version, reserved 0) followed by attributes. */
export function encodeGenl(cmd: number, version: number, attrs: Buffer[]): Buffer {
  const hdr = Buffer.alloc(GENL_HDRLEN);
  hdr.writeUInt8(cmd, 0);
  hdr.writeUInt8(version, 1);
  return Buffer.concat([hdr, ...attrs]);
}

/** decodeGenl reads struct genlmsghdr and the attributes after it; undefined when shorter than the header. */
export function decodeGenl(payload: Buffer): (GenlMessage & { malformed?: string }) | undefined {
  if (payload.length < GENL_HDRLEN) return undefined;
  const { attrs, malformed } = parseAttrs(payload.subarray(GENL_HDRLEN));
  const out: GenlMessage & { malformed?: string } = {
    cmd: payload.readUInt8(0),
    version: payload.readUInt8(1),
    attrs,
  };
  if (malformed) out.malformed = malformed;
  return out;
}

/** decodeNlError reads struct nlmsgerr from an NLMSG_ERROR payload (also NLMSG_DONE's int); undefined when too short. */
export function decodeNlError(payload: Buffer): NlError | undefined {
  if (payload.length < 4) return undefined;
  const out: NlError = { error: payload.readInt32LE(0) };
  if (payload.length >= 4 + NLMSG_HDRLEN) {
    out.request = {
      type: payload.readUInt16LE(8),
      flags: payload.readUInt16LE(10),
      seq: payload.readUInt32LE(12),
    };
  }
  return out;
}
