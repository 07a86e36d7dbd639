/**
 * Generic netlink's header (linux/genetlink.h): struct genlmsghdr and the attributes after it;
 * the netlink framing around it is ../nlmsg.ts. Nothing here throws on bytes from the kernel.
 */
import { type NlAttr, parseAttrs } from '../nlmsg.js';
import { GENL_HDRLEN } from './constants.js';

/** GenlMessage is struct genlmsghdr (cmd, version) and the attributes that follow it. */
export interface GenlMessage {
  cmd: number;
  version: number;
  attrs: NlAttr[];
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
