/**
 * The data-path probe of keepvip's `dr_path_check` (check/probes/dr-path.ts). In LVS-DR the
 * director forwards a client's packet for VIP:PORT unchanged to the real server's MAC; the real
 * server takes it only with the VIP on `lo`, and must not answer ARP for the VIP (clients would
 * bypass the director). A connect to the real server's own address proves neither (seesaw's
 * "DSR blackhole"), so this probe does what the director does:
 *  1. the real server's MAC from the neighbour table (/proc/net/arp), else an ARP request for
 *     its address on the director's interface towards it;
 *  2. a TCP SYN from the director's address on that interface to VIP:PORT, in a frame addressed
 *     to that MAC; a SYN-ACK from VIP:PORT means the real server accepts VIP traffic (it is
 *     answered with a RST of ours, so no half-open connection stays behind: the director's own
 *     kernel drops a segment whose source, the VIP, is one of its addresses);
 *  3. an ARP request for the VIP; a reply from the real server's MAC means it answers ARP for it.
 * Frames are built and read here (pure functions, tested unprivileged); the packet socket is the
 * addon's (native/src/drprobe.c), one per interface, opened on first use and kept. The ARP
 * listener of packet.c is not reused: it is one per process, bound to the main thread, and the
 * checkers run in a worker thread (check/worker-host.ts). IPv4 only.
 */
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import type { Clock } from '../util/clock.js';
import { icmpChecksum } from './icmp.js';
import { callNative, type DrProbeHandle, loadNative, type NativeAddon } from './native.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const IPPROTO_TCP = 6;
const ARPOP_REQUEST = 1;
const ARPOP_REPLY = 2;

/** TCP flag bits (RFC 9293 3.1). */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

/** DrProbeNative is the part of the addon this file uses (native/src/drprobe.c). */
export type DrProbeNative = Pick<NativeAddon, 'drProbeOpen' | 'drProbeSend' | 'drProbeClose'>;

/** macBytes parses `aa:bb:cc:dd:ee:ff`. */
export function macBytes(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p)))
    throw new Error(`'${mac}' is not a MAC address`);
  return Buffer.from(parts.map((p) => Number.parseInt(p, 16)));
}

/** macText formats six bytes at offset as `aa:bb:cc:dd:ee:ff`. */
export function macText(b: Buffer, offset = 0): string {
  return [...b.subarray(offset, offset + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** ipv4Bytes parses a dotted IPv4 address. */
export function ipv4Bytes(address: string): Buffer {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`'${address}' is not an IPv4 address`);
  return Buffer.from(parts);
}

function ipv4Text(b: Buffer, offset: number): string {
  return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
}

/** buildArpRequest is an Ethernet broadcast ARP request (op 1, RFC 826) who-has targetIp from srcMac/srcIp, 42 bytes. */
export function buildArpRequest(o: { srcMac: string; srcIp: string; targetIp: string }): Buffer {
  const f = Buffer.alloc(42);
  f.fill(0xff, 0, 6);
  macBytes(o.srcMac).copy(f, 6);
  f.writeUInt16BE(ETHERTYPE_ARP, 12);
  f.writeUInt16BE(1, 14); // ar_hrd: Ethernet
  f.writeUInt16BE(ETHERTYPE_IPV4, 16); // ar_pro
  f[18] = 6; // ar_hln
  f[19] = 4; // ar_pln
  f.writeUInt16BE(ARPOP_REQUEST, 20);
  macBytes(o.srcMac).copy(f, 22); // ar_sha
  ipv4Bytes(o.srcIp).copy(f, 28); // ar_sip
  // ar_tha stays zero (unknown)
  ipv4Bytes(o.targetIp).copy(f, 38); // ar_tip
  return f;
}

/** TcpSegment is what buildTcpFrame puts on the wire. */
export interface TcpSegment {
  dstMac: string;
  srcMac: string;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
}

/** buildTcpFrame is an Ethernet frame with an IPv4 header (DF, TTL 64) and a 20-byte TCP header, checksums filled in, 54 bytes. */
export function buildTcpFrame(s: TcpSegment): Buffer {
  const f = Buffer.alloc(14 + 20 + 20);
  macBytes(s.dstMac).copy(f, 0);
  macBytes(s.srcMac).copy(f, 6);
  f.writeUInt16BE(ETHERTYPE_IPV4, 12);
  const ip = f.subarray(14, 34);
  ip[0] = 0x45; // version 4, IHL 5
  ip.writeUInt16BE(40, 2); // total length
  ip.writeUInt16BE(0x4000, 6); // DF
  ip[8] = 64; // TTL
  ip[9] = IPPROTO_TCP;
  ipv4Bytes(s.srcIp).copy(ip, 12);
  ipv4Bytes(s.dstIp).copy(ip, 16);
  ip.writeUInt16BE(icmpChecksum(ip), 10);
  const tcp = f.subarray(34, 54);
  tcp.writeUInt16BE(s.srcPort, 0);
  tcp.writeUInt16BE(s.dstPort, 2);
  tcp.writeUInt32BE(s.seq >>> 0, 4);
  tcp.writeUInt32BE(s.ack >>> 0, 8);
  tcp[12] = 5 << 4; // data offset: 5 words
  tcp[13] = s.flags;
  tcp.writeUInt16BE(s.flags & TCP_RST ? 0 : 64_240, 14); // window
  tcp.writeUInt16BE(tcpChecksum(ip, tcp), 16);
  return f;
}

/** tcpChecksum is the TCP checksum over the IPv4 pseudo-header and the segment (RFC 9293 3.1). */
export function tcpChecksum(ip: Buffer, segment: Buffer): number {
  const pseudo = Buffer.alloc(12 + segment.length);
  ip.copy(pseudo, 0, 12, 20); // source, destination
  pseudo[9] = IPPROTO_TCP;
  pseudo.writeUInt16BE(segment.length, 10);
  segment.copy(pseudo, 12);
  pseudo.writeUInt16BE(0, 12 + 16); // the checksum field itself counts as zero
  return icmpChecksum(pseudo);
}

/** DrFrame is a captured frame the probe cares about. */
export type DrFrame =
  | { kind: 'arp-reply'; senderMac: string; senderIp: string; ethSrc: string }
  | ({ kind: 'tcp'; ethSrc: string } & Omit<TcpSegment, 'dstMac' | 'srcMac'>);

/** parseFrame reads an ARP reply or an IPv4 TCP header from an Ethernet frame; undefined for anything else or anything short. */
export function parseFrame(f: Buffer): DrFrame | undefined {
  if (f.length < 14) return undefined;
  const type = f.readUInt16BE(12);
  const ethSrc = macText(f, 6);
  if (type === ETHERTYPE_ARP) {
    if (f.length < 14 + 28) return undefined;
    if (f.readUInt16BE(14) !== 1 || f.readUInt16BE(16) !== ETHERTYPE_IPV4 || f[18] !== 6 || f[19] !== 4)
      return undefined;
    if (f.readUInt16BE(20) !== ARPOP_REPLY) return undefined;
    return { kind: 'arp-reply', senderMac: macText(f, 22), senderIp: ipv4Text(f, 28), ethSrc };
  }
  if (type !== ETHERTYPE_IPV4 || f.length < 14 + 20) return undefined;
  const ihl = (f[14]! & 0x0f) * 4;
  if (f[14]! >> 4 !== 4 || ihl < 20 || f[14 + 9] !== IPPROTO_TCP) return undefined;
  if ((f.readUInt16BE(14 + 6) & 0x1fff) !== 0) return undefined; // a later fragment: no TCP header
  const t = 14 + ihl;
  if (f.length < t + 14) return undefined;
  return {
    kind: 'tcp',
    ethSrc,
    srcIp: ipv4Text(f, 14 + 12),
    dstIp: ipv4Text(f, 14 + 16),
    srcPort: f.readUInt16BE(t),
    dstPort: f.readUInt16BE(t + 2),
    seq: f.readUInt32BE(t + 4),
    ack: f.readUInt32BE(t + 8),
    flags: f[t + 13]!,
  };
}

/** neighbourFromProcArp finds a complete (ATF_COM) entry for address on ifname in /proc/net/arp's text. */
export function neighbourFromProcArp(text: string, address: string, ifname: string): string | undefined {
  for (const line of text.split('\n').slice(1)) {
    const [ip, , flags, mac, , dev] = line.trim().split(/\s+/);
    if (ip !== address || dev !== ifname || mac === undefined) continue;
    if ((Number.parseInt(flags ?? '0', 16) & 0x2) === 0 || mac === '00:00:00:00:00:00') continue;
    return mac.toLowerCase();
  }
  return undefined;
}

/** DrRoute is the director's side towards a real server: the interface, its MAC and the source address. */
export interface DrRoute {
  ifname: string;
  mac: string;
  source: string;
}

/** routeTowards asks the kernel which source address reaches address (a connected UDP socket sends nothing) and finds its interface. */
export async function routeTowards(address: string): Promise<DrRoute> {
  const source = await new Promise<string>((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', (err) => {
      s.close();
      reject(err);
    });
    s.connect(9, address, () => {
      const local = s.address().address;
      s.close();
      resolve(local);
    });
  });
  for (const [ifname, addrs] of Object.entries(networkInterfaces()))
    for (const a of addrs ?? [])
      if (a.family === 'IPv4' && a.address === source && !a.internal) return { ifname, mac: a.mac, source };
  throw Object.assign(new Error(`no interface holds ${source}, the source towards ${address}`), {
    code: 'ENETUNREACH',
  });
}

/** DrPathReport is what one probe saw. */
export interface DrPathReport {
  route: DrRoute;
  /** realServerMac is undefined when neither the neighbour table nor ARP knew it. */
  realServerMac?: string;
  /** reply is the real server's answer to the SYN for VIP:PORT (undefined: none within the timeout). */
  reply?: 'syn-ack' | 'rst';
  /** replyMs is the SYN's round trip. */
  replyMs?: number;
  /** arpAnsweredBy are the MACs that answered the ARP request for the VIP within the window. */
  arpAnsweredBy: string[];
}

/** DrPathRequest is one probe: VIP:PORT through realServer, with its timeout and ARP window. */
export interface DrPathRequest {
  vip: string;
  port: number;
  realServer: string;
  timeoutMs: number;
  arpWindowMs: number;
}

interface Link {
  handle: DrProbeHandle;
  mac: string;
  listeners: Set<(f: DrFrame) => void>;
}

/** DrPathProber sends the probes of every dr_path_check of one thread, on one packet socket per interface. */
export class DrPathProber {
  private readonly links = new Map<string, Link>();
  private readonly portsInUse = new Set<number>();

  constructor(
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
    private readonly native: () => DrProbeNative = loadNative,
  ) {}

  /** probe runs the three steps; it rejects only when it cannot start (no route, no packet socket). */
  async probe(r: DrPathRequest): Promise<DrPathReport> {
    const route = await routeTowards(r.realServer);
    const link = this.link(route);
    const started = this.clock.nowMs();
    const deadline = started + r.timeoutMs;
    const report: DrPathReport = { route, arpAnsweredBy: [] };
    let mac = neighbourFromProcArp(
      await readFile('/proc/net/arp', 'utf8').catch(() => ''),
      r.realServer,
      route.ifname,
    );
    if (mac === undefined) {
      const arp = buildArpRequest({ srcMac: route.mac, srcIp: route.source, targetIp: r.realServer });
      mac = await this.wait<string>(link, deadline, arp, (f) =>
        f.kind === 'arp-reply' && f.senderIp === r.realServer ? f.senderMac : undefined,
      );
    }
    if (mac === undefined) return report;
    report.realServerMac = mac;
    const srcPort = this.pickPort();
    const isn = Math.floor(this.random() * 2 ** 32) >>> 0;
    const segment = {
      dstMac: mac,
      srcMac: route.mac,
      srcIp: route.source,
      dstIp: r.vip,
      srcPort,
      dstPort: r.port,
    };
    const answered = new Set<string>();
    const arpDone = this.collect(
      link,
      this.clock.nowMs() + r.arpWindowMs,
      buildArpRequest({ srcMac: route.mac, srcIp: route.source, targetIp: r.vip }),
      (f) => {
        if (f.kind === 'arp-reply' && f.senderIp === r.vip) answered.add(f.senderMac);
      },
    );
    // Awaited below; a failed send must not be an unhandled rejection while the SYN is waited for.
    arpDone.catch(() => undefined);
    const sentAt = this.clock.nowMs();
    try {
      const reply = await this.wait(
        link,
        Math.max(deadline, sentAt + 1),
        buildTcpFrame({ ...segment, seq: isn, ack: 0, flags: TCP_SYN }),
        (f) =>
          f.kind === 'tcp' &&
          f.srcIp === r.vip &&
          f.dstIp === route.source &&
          f.srcPort === r.port &&
          f.dstPort === srcPort &&
          (f.flags & TCP_RST || (f.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK))
            ? f
            : undefined,
      );
      if (reply?.kind === 'tcp') {
        report.replyMs = this.clock.nowMs() - sentAt;
        report.reply = reply.flags & TCP_RST ? 'rst' : 'syn-ack';
        // RFC 9293 3.10.7.3: a RST whose sequence number is the SYN-ACK's acknowledgment ends the
        // real server's half-open connection at once.
        if (report.reply === 'syn-ack')
          this.send(link, buildTcpFrame({ ...segment, seq: reply.ack, ack: 0, flags: TCP_RST }));
      }
    } finally {
      this.portsInUse.delete(srcPort);
    }
    await arpDone;
    report.arpAnsweredBy = [...answered];
    return report;
  }

  /** close closes every packet socket. */
  close(): void {
    for (const l of this.links.values()) this.native().drProbeClose(l.handle);
    this.links.clear();
  }

  private link(route: DrRoute): Link {
    const known = this.links.get(route.ifname);
    if (known) return known;
    const listeners = new Set<(f: DrFrame) => void>();
    const handle = callNative(`dr_path_check packet socket on ${route.ifname}`, () =>
      this.native().drProbeOpen(
        route.ifname,
        (frame) => {
          const f = parseFrame(frame);
          if (f !== undefined) for (const l of [...listeners]) l(f);
        },
        () => {
          // The interface went down or away: reopen on the next probe; waiters time out.
          this.native().drProbeClose(handle);
          if (this.links.get(route.ifname)?.handle === handle) this.links.delete(route.ifname);
        },
      ),
    );
    const link: Link = { handle, mac: route.mac, listeners };
    this.links.set(route.ifname, link);
    return link;
  }

  private send(link: Link, frame: Buffer): void {
    callNative('dr_path_check send', () => this.native().drProbeSend(link.handle, frame));
  }

  /** wait sends frame and resolves with the first match, or undefined at deadline. */
  private wait<T>(
    link: Link,
    deadlineMs: number,
    frame: Buffer,
    match: (f: DrFrame) => T | undefined,
  ): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const listener = (f: DrFrame) => {
        const m = match(f);
        if (m === undefined) return;
        link.listeners.delete(listener);
        timer.cancel();
        resolve(m);
      };
      const timer = this.clock.at(deadlineMs, () => {
        link.listeners.delete(listener);
        resolve(undefined);
      });
      link.listeners.add(listener);
      try {
        this.send(link, frame);
      } catch (error) {
        link.listeners.delete(listener);
        timer.cancel();
        reject(error);
      }
    });
  }

  /** collect sends frame and hands every frame to each until deadline. */
  private collect(link: Link, deadlineMs: number, frame: Buffer, each: (f: DrFrame) => void): Promise<void> {
    return this.wait(link, deadlineMs, frame, (f) => {
      each(f);
      return undefined;
    }).then(() => undefined);
  }

  /** pickPort draws a source port from Linux's ephemeral range (32768..60999), none shared by probes in flight. */
  private pickPort(): number {
    for (;;) {
      const port = 32_768 + Math.floor(this.random() * (60_999 - 32_768 + 1));
      if (this.portsInUse.has(port)) continue;
      this.portsInUse.add(port);
      return port;
    }
  }
}
