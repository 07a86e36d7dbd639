/**
 * Pure netlink framing (linux/netlink.h): struct nlmsghdr, struct nlattr (struct rtattr has the
 * same layout) and struct nlmsgerr, to and from bytes, for rtnetlink and generic netlink alike
 * (generic netlink's own header is in ipvs/genlmsg.ts). Nothing here throws on bytes from the
 * kernel: malformed input comes back as a reason, and never trusts a length.
 */
import { getSystemErrorName } from 'node:util';
import { NLA_F_NESTED, NLA_HDRLEN, NLA_TYPE_MASK, NLMSG_HDRLEN } from './netlink-constants.js';

/** NlAttr is one struct nlattr: its type without flags, the NLA_F_NESTED flag and the payload. */
export interface NlAttr {
  type: number;
  nested: boolean;
  data: Buffer;
}

/** NlMessage is one struct nlmsghdr and its payload. */
export interface NlMessage {
  /** type is nlmsg_type: NLMSG_ERROR, NLMSG_DONE, an RTM_* type or a generic netlink family id. */
  type: number;
  flags: number;
  seq: number;
  /** pid is nlmsg_pid, the port id. */
  pid: number;
  payload: Buffer;
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

/**
 * NlWriter appends attributes the way the kernel's nla_put_* do, so nests and 64-bit padding
 * come out byte for byte as in a kernel message. `origin` is the offset of the first byte
 * within its netlink message (a generic netlink payload starts at NLMSG_HDRLEN); `pad64`
 * inserts a zero-length pad attribute before a u64 whose payload would not be 8-aligned, as
 * kernels without CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS do (user-mode-linux), and x86 ones do not.
 * `nestedFlag` sets NLA_F_NESTED on nests, as libnl does in requests (the kernel's own replies
 * use nla_nest_start_noflag: no flag).
 */
export class NlWriter {
  private buf = Buffer.alloc(256);
  private len = 0;
  private readonly origin: number;
  private readonly pad64: boolean;
  private readonly nestedFlag: boolean;

  constructor(options: { origin?: number; pad64?: boolean; nestedFlag?: boolean } = {}) {
    this.origin = options.origin ?? 0;
    this.pad64 = options.pad64 ?? false;
    this.nestedFlag = options.nestedFlag ?? true;
  }

  /** length is the number of bytes written so far. */
  get length(): number {
    return this.len;
  }

  /** raw appends bytes as they are (a header); the caller keeps 4-byte alignment. */
  raw(bytes: Uint8Array): this {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  /** attr appends one attribute (nla_len, nla_type, payload, zero padding to 4). */
  attr(type: number, data: Uint8Array): this {
    const len = NLA_HDRLEN + data.length;
    const total = nlaAlign(len);
    this.reserve(total);
    this.buf.fill(0, this.len, this.len + total);
    this.buf.writeUInt16LE(len, this.len);
    this.buf.writeUInt16LE(type & NLA_TYPE_MASK, this.len + 2);
    this.buf.set(data, this.len + NLA_HDRLEN);
    this.len += total;
    return this;
  }

  /** nest writes an NLA_F_NESTED attribute whose contents `fill` appends. */
  nest(type: number, fill: (w: this) => void): this {
    const start = this.len;
    this.reserve(NLA_HDRLEN);
    this.len += NLA_HDRLEN;
    fill(this);
    this.buf.writeUInt16LE(this.len - start, start);
    this.buf.writeUInt16LE((type & NLA_TYPE_MASK) | (this.nestedFlag ? NLA_F_NESTED : 0), start + 2);
    return this;
  }

  u8(type: number, v: number): this {
    return this.attr(type, Buffer.of(v & 0xff));
  }
  u16(type: number, v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v & 0xffff);
    return this.attr(type, b);
  }
  be16(type: number, v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v & 0xffff);
    return this.attr(type, b);
  }
  u32(type: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.attr(type, b);
  }
  be32(type: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    return this.attr(type, b);
  }
  string(type: number, s: string): this {
    return this.attr(type, Buffer.from(`${s}\0`, 'utf8'));
  }
  /** u64 is nla_put_u64_64bit: a pad attribute of type `padType` first when needed. */
  u64(type: number, v: bigint, padType: number): this {
    if (this.pad64 && (this.origin + this.len) % 8 === 0) this.attr(padType, Buffer.alloc(0));
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, v));
    return this.attr(type, b);
  }

  /** finish returns the bytes written. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
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

/**
 * AttrIndex is parseAttrs for hot decoders: where each attribute of types 1..max sits, read in
 * one pass without a Buffer view or an object per attribute (a 12,000-destination IPVS dump is
 * ~25 attributes each). Types above max come back in `unknown` (copied), as parseAttrs would.
 * One index is reused call after call: read() forgets the previous buffer.
 */
export class AttrIndex {
  private buf: Buffer = Buffer.alloc(0);
  private readonly start: Int32Array;
  private readonly len: Int32Array;
  unknown: Map<number, Buffer> | undefined;
  malformed: string | undefined;

  constructor(readonly max: number) {
    this.start = new Int32Array(max + 1);
    this.len = new Int32Array(max + 1);
  }

  /** read indexes buf's attributes (a truncated or lying nla_len ends the walk: `malformed`). */
  read(buf: Buffer): this {
    this.buf = buf;
    this.start.fill(-1);
    this.unknown = undefined;
    this.malformed = undefined;
    let off = 0;
    while (off + NLA_HDRLEN <= buf.length) {
      const len = buf.readUInt16LE(off);
      const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
      if (len < NLA_HDRLEN || off + len > buf.length) {
        this.malformed = `attribute at ${off}: nla_len ${len} does not fit ${buf.length - off} bytes`;
        break;
      }
      if (type >= 1 && type <= this.max) {
        this.start[type] = off + NLA_HDRLEN;
        this.len[type] = len - NLA_HDRLEN;
      } else {
        this.unknown ??= new Map();
        this.unknown.set(type, Buffer.from(buf.subarray(off + NLA_HDRLEN, off + len)));
      }
      off += nlaAlign(len);
    }
    return this;
  }

  has(type: number): boolean {
    return this.start[type]! >= 0;
  }
  /** size is the payload length of an attribute, -1 when absent. */
  size(type: number): number {
    return this.start[type]! >= 0 ? this.len[type]! : -1;
  }
  /** offset is where an attribute's payload starts in the buffer read, -1 when absent. */
  offset(type: number): number {
    return this.start[type]!;
  }
  /** data is an attribute's payload as a view (nests), undefined when absent. */
  data(type: number): Buffer | undefined {
    const s = this.start[type]!;
    return s >= 0 ? this.buf.subarray(s, s + this.len[type]!) : undefined;
  }
  u8(type: number): number | undefined {
    return this.size(type) >= 1 ? this.buf.readUInt8(this.start[type]!) : undefined;
  }
  u16(type: number): number | undefined {
    return this.size(type) >= 2 ? this.buf.readUInt16LE(this.start[type]!) : undefined;
  }
  be16(type: number): number | undefined {
    return this.size(type) >= 2 ? this.buf.readUInt16BE(this.start[type]!) : undefined;
  }
  u32(type: number): number | undefined {
    return this.size(type) >= 4 ? this.buf.readUInt32LE(this.start[type]!) : undefined;
  }
  /** u64 reads a u64 attribute (a u32 one widened), as readU64. */
  u64(type: number): bigint | undefined {
    const n = this.size(type);
    if (n >= 8) return this.buf.readBigUInt64LE(this.start[type]!);
    if (n >= 4) return BigInt(this.buf.readUInt32LE(this.start[type]!));
    return undefined;
  }
}

/** readU8 reads a u8 attribute, or undefined when too short (as the other read* do). */
export function readU8(d: Buffer): number | undefined {
  return d.length >= 1 ? d.readUInt8(0) : undefined;
}
/** readU16 reads a host-order u16 attribute. */
export function readU16(d: Buffer): number | undefined {
  return d.length >= 2 ? d.readUInt16LE(0) : undefined;
}
/** readBe16 reads a network-order u16 (__be16: ports) attribute. */
export function readBe16(d: Buffer): number | undefined {
  return d.length >= 2 ? d.readUInt16BE(0) : undefined;
}
/** readU32 reads a host-order u32 attribute. */
export function readU32(d: Buffer): number | undefined {
  return d.length >= 4 ? d.readUInt32LE(0) : undefined;
}
/** readBe32 reads a network-order u32 (__be32) attribute. */
export function readBe32(d: Buffer): number | undefined {
  return d.length >= 4 ? d.readUInt32BE(0) : undefined;
}
/** readU64 reads a u64 attribute (a u32 one widened: 32-bit counters). */
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

/** errnoName names a positive errno as nlmsgerr carries it negated (17 -> EEXIST). */
export function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`;
  }
}
