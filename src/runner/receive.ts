/**
 * ReceivePath is the receive pipeline of the VRRP sockets: every datagram an interface hears
 * passes here once. IPv4 decode (IPv6 comes without the header), our own adverts dropped, RFC
 * 2338 AH verified with anti-replay, the advert decoded, the TTL / hop limit and unicast_peer
 * min_ttl/max_ttl windows checked, the per-instance checks run, and only then the advert handed
 * to its instance by VRID. Every drop is counted by reason (on the instance when the VRID is
 * known) and logged at most once per reason and interface every DROP_LOG_INTERVAL_MS.
 *
 * A master repeats the same advert ten times a second, so an IPv4 datagram equal to the last one
 * an instance accepted (all but the identification and the header checksum, which change per
 * datagram) skips the decode and the checks and reuses their result: the same bytes from the
 * same source always pass them again. At 255 instances that is 2,550 decodes a second saved.
 */
import type { ReceivedPacket } from '../kernel/port.js';
import type { Clock } from '../util/clock.js';
import { countDrop } from '../util/counters.js';
import type { Logger } from '../util/logger.js';
import type { VrrpInstance } from '../config/model.js';
import { AH_LENGTH, ahKey, decodeAhDatagram } from '../vrrp/ah.js';
import { checkAdvertForInstance, type InstanceForChecks } from '../vrrp/checks.js';
import { decodeAdvert } from '../vrrp/codec.js';
import { decodeIpv4Datagram, encodeIpv4Datagram, IPV4_HEADER_LENGTH } from '../vrrp/ipv4.js';
import {
  IPPROTO_VRRP,
  type ReceivedDatagram,
  type VrrpAdvert,
  VRRP_TTL,
  VrrpAuthTypes,
} from '../vrrp/packet.js';
import type { InstanceDriver } from './instance.js';

/** DROP_LOG_INTERVAL_MS: one log line per drop reason and interface at most this often. */
export const DROP_LOG_INTERVAL_MS = 10_000;

/** ReceiveSocket is what the pipeline needs of a socket: its interface, family and instances by VRID. */
export interface ReceiveSocket {
  ifname: string;
  family: 'inet' | 'inet6';
  byVrid: Map<number, InstanceDriver>;
}

/** ReceivePathOptions connect the pipeline to the clock, the log and the runner. */
export interface ReceivePathOptions {
  clock: Clock;
  log: Logger;
  /** localAddresses are our own advert sources: a datagram from one is our advert looped back. */
  localAddresses: ReadonlySet<string>;
  /** advertWhileMaster hears an advert that reached an instance in MASTER (split-brain alerts). */
  advertWhileMaster(inst: VrrpInstance, priority: number, srcAddress: string): void;
}

/** AcceptedAdvert is the last IPv4 advert an instance accepted, with what its checks depended on. */
interface AcceptedAdvert {
  bytes: Buffer;
  advert: VrrpAdvert;
  srcAddress: string;
  instance: VrrpInstance;
  checks: InstanceForChecks;
}

/** sameDatagram: equal IPv4 datagrams but for the identification and header checksum (bytes 4-5, 10-11). */
export function sameDatagram(a: Buffer, b: Buffer, start = 0, end = b.length): boolean {
  const n = a.length;
  if (n !== end - start) return false;
  for (let i = 0; i < n; i++)
    if (a[i] !== b[start + i] && i !== 4 && i !== 5 && i !== 10 && i !== 11) return false;
  return true;
}

/** ReceivePath decodes, checks and demultiplexes received adverts, counting each drop by reason. */
export class ReceivePath {
  /** drops counts packets rejected before they could be given to an instance. */
  readonly drops: Record<string, number> = {};
  private readonly lastDropLogMs = new Map<string, number>();
  /** ahSeq: the last AH sequence number heard per auth_type AH instance and sender (anti-replay). */
  private readonly ahSeq = new Map<string, Map<string, number>>();
  /** ahPeaks: the highest AH sequence number heard per instance; ours is sent above it. */
  private readonly ahPeaks = new Map<string, number>();
  /** accepted: each instance's last accepted IPv4 advert (weak: a driver gone with a reload takes it along). */
  private readonly accepted = new WeakMap<InstanceDriver, AcceptedAdvert>();

  constructor(private readonly o: ReceivePathOptions) {}

  /** ahPeak is the highest AH sequence number heard for an instance (0 when none). */
  ahPeak(name: string): number {
    return this.ahPeaks.get(name) ?? 0;
  }

  /**
   * resetAhReplay forgets the AH anti-replay state of an instance. The runner calls it on every
   * takeover (keepalived resets it there only after its counter cycled): a restarted peer,
   * counting from 0 again, is heard once we are MASTER instead of never.
   */
  resetAhReplay(name: string): void {
    this.ahSeq.delete(name);
  }

  /** onAhPacket verifies an AH datagram (ICV, SPI) with its instance's key and passes the VRRP advert inside on. */
  onAhPacket(entry: ReceiveSocket, d: Buffer): void {
    const src = d.length >= IPV4_HEADER_LENGTH ? [...d.subarray(12, 16)].join('.') : undefined;
    if (src !== undefined && this.o.localAddresses.has(src)) return; // our own advert looped back
    const at = IPV4_HEADER_LENGTH + AH_LENGTH;
    const driver = d.length > at + 1 ? entry.byVrid.get(d[at + 1]!) : undefined;
    const auth = driver?.instance.authentication;
    if (!driver || auth?.type !== 'AH') {
      this.drop(
        entry,
        driver,
        driver ? 'auth-type' : 'unknown-vrid',
        'AH datagram for no auth_type AH instance',
        src,
      );
      return;
    }
    const r = decodeAhDatagram(d, ahKey(auth.password), driver.instance.unicastPeers.length > 0);
    if (!r.ok) {
      this.drop(entry, driver, r.reason, r.detail, src);
      return;
    }
    // RFC 2402 3.4.3 anti-replay, as keepalived (vrrp_in_chk_ipsecah): the sequence must grow.
    const seen = this.ahSeq.get(driver.name) ?? new Map<string, number>();
    this.ahSeq.set(driver.name, seen);
    const last = seen.get(src!);
    if (last !== undefined && r.seq <= last) {
      this.drop(entry, driver, 'ah-seq', `sequence number ${r.seq} already processed (last ${last})`, src);
      return;
    }
    seen.set(src!, r.seq);
    this.ahPeaks.set(driver.name, Math.max(this.ahPeaks.get(driver.name) ?? 0, r.seq));
    const plain = encodeIpv4Datagram({
      srcAddress: src!,
      dstAddress: [...d.subarray(16, 20)].join('.'),
      ttl: d[8]!,
      protocol: IPPROTO_VRRP,
      payload: r.vrrp,
      id: d.readUInt16BE(4),
    });
    this.onPacket(entry, { family: 'inet', data: plain }, true);
  }

  /** onPacket is the receive path: every advertisement on an interface passes here once. */
  onPacket(entry: ReceiveSocket, p: ReceivedPacket, viaAh = false): void {
    let datagram: ReceivedDatagram;
    if (entry.family === 'inet' && !viaAh && this.repeated(entry, p.data, 0, p.data.length)) return;
    if (entry.family === 'inet') {
      const ip = decodeIpv4Datagram(p.data);
      if (!ip.ok) {
        this.drop(entry, undefined, ip.reason, ip.detail);
        return;
      }
      datagram = ip.value;
    } else {
      datagram = {
        family: 'inet6',
        srcAddress: p.srcAddress ?? '::',
        dstAddress: p.dstAddress ?? '::',
        ttl: p.hopLimit ?? 0,
        payload: p.data,
      };
    }
    if (this.o.localAddresses.has(datagram.srcAddress)) return; // our own advert looped back
    // The VRID byte sits at offset 1 of the VRRP header; read it only to attribute drops.
    const vridGuess = datagram.payload.length >= 2 ? datagram.payload[1] : undefined;
    const guessDriver = vridGuess === undefined ? undefined : entry.byVrid.get(vridGuess);
    const decoded = decodeAdvert(datagram);
    if (!decoded.ok) {
      this.drop(entry, guessDriver, decoded.reason, decoded.detail, datagram.srcAddress);
      return;
    }
    const advert = decoded.value;
    // Auth Type AH counts only inside a verified AH datagram (onAhPacket), never from the VRRP socket.
    if (advert.authType === VrrpAuthTypes.AH && !viaAh) {
      this.drop(entry, guessDriver, 'auth-type', 'Auth Type AH without an AH header', datagram.srcAddress);
      return;
    }
    const driver = entry.byVrid.get(advert.vrid);
    if (!driver) {
      this.drop(entry, undefined, 'unknown-vrid', `VRID ${advert.vrid}`, datagram.srcAddress);
      return;
    }
    const inst = driver.instance;
    // keepalived 2.2.7 (vrrp_check_packet): without unicast_peer the TTL / hop limit MUST be 255
    // (RFC 3768 7.1, RFC 5798 7.1) whatever the destination. The codec checks multicast only, so
    // without this a unicast advert from off-link (TTL 64) reached the state machine.
    const ttlKnown = entry.family === 'inet' || p.hopLimit !== undefined;
    if (inst.unicastPeers.length === 0 && ttlKnown && datagram.ttl !== VRRP_TTL) {
      const detail = `TTL ${datagram.ttl} on a unicast advert, expected 255`;
      this.drop(entry, driver, 'ttl', detail, datagram.srcAddress);
      return;
    }
    // keepalived 2.2.7: `unicast_peer { ADDR min_ttl N max_ttl M }` bounds that peer's TTL / hop limit.
    const window = inst.unicastPeerTtl?.[datagram.srcAddress];
    if (window && ttlKnown && (datagram.ttl < window.min || datagram.ttl > window.max)) {
      const detail = `TTL ${datagram.ttl} outside min_ttl ${window.min} / max_ttl ${window.max}`;
      this.drop(entry, driver, 'ttl', detail, datagram.srcAddress);
      return;
    }
    const checked = checkAdvertForInstance(advert, driver.checks);
    if (!checked.ok) {
      this.drop(entry, driver, checked.reason, checked.detail, datagram.srcAddress);
      return;
    }
    if (entry.family === 'inet' && !viaAh)
      this.accepted.set(driver, {
        bytes: Buffer.from(p.data),
        advert,
        srcAddress: datagram.srcAddress,
        instance: inst,
        checks: driver.checks,
      });
    if (driver.stateName === 'MASTER') this.o.advertWhileMaster(inst, advert.priority, datagram.srcAddress);
    driver.receive(advert, datagram.srcAddress);
  }

  /**
   * repeated hands an IPv4 datagram (bytes start..end of d) equal to its instance's last accepted
   * one (see the file comment) straight to the instance; false sends it down the whole path. The
   * IPv4 socket asks it before making a view of the datagram (VrrpSocketOptions.onRepeated).
   */
  repeated(entry: ReceiveSocket, d: Buffer, start: number, end: number): boolean {
    if (end - start < IPV4_HEADER_LENGTH) return false;
    const at = start + (d[start]! & 0x0f) * 4 + 1; // the VRID byte of the VRRP header
    const driver = at < end ? entry.byVrid.get(d[at]!) : undefined;
    const last = driver && this.accepted.get(driver);
    if (!last || !sameDatagram(last.bytes, d, start, end)) return false;
    if (last.instance !== driver.instance || last.checks !== driver.checks) return false;
    if (this.o.localAddresses.has(last.srcAddress)) return false;
    if (driver.stateName === 'MASTER')
      this.o.advertWhileMaster(last.instance, last.advert.priority, last.srcAddress);
    driver.receive(last.advert, last.srcAddress);
    return true;
  }

  private drop(
    entry: ReceiveSocket,
    driver: InstanceDriver | undefined,
    reason: string,
    detail: string,
    src?: string,
  ): void {
    countDrop(driver ? driver.counters.drops : this.drops, reason);
    // Rate-limited: a flood of bad packets must not flood the log (one line per reason per 10 s).
    const key = `${entry.ifname}/${reason}`;
    const now = this.o.clock.nowMs();
    const last = this.lastDropLogMs.get(key);
    if (last !== undefined && now - last < DROP_LOG_INTERVAL_MS) return;
    this.lastDropLogMs.set(key, now);
    const who = driver ? `(${driver.name}) ` : '';
    this.o.log.info(
      `${who}bad VRRP packet on ${entry.ifname}${src ? ` from ${src}` : ''}: ${reason} (${detail})`,
    );
  }
}
