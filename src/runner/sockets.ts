/**
 * VrrpSockets owns the VRRP sockets: one per interface, family and multicast group set, shared
 * by the instances on it (demultiplexed by VRID), plus the interface's RFC 2338 AH socket while
 * an instance uses auth_type AH. A socket that fails (its interface deleted, an error from the
 * addon) is marked broken, so its instances are in FAULT, and reopened with back-off on the
 * injected clock. ioFor gives an instance its InstanceIo: the socket and the kernel's address
 * and announce calls, with adverts wrapped in AH for auth_type AH.
 */
import type { VrrpInstance } from '../config/model.js';
import type { KernelPort, PacketSocket, ReceivedPacket } from '../kernel/port.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { ahKey, encodeAhDatagram } from '../vrrp/ah.js';
import { internetChecksum } from '../vrrp/checksum.js';
import { IPV4_HEADER_LENGTH } from '../vrrp/ipv4.js';
import { VrrpAuthTypes } from '../vrrp/packet.js';
import type { InstanceDriver, InstanceIo } from './instance.js';
import type { ReceiveSocket } from './receive.js';

/** SOCKET_RETRY_MIN_MS / SOCKET_RETRY_MAX_MS bound the back-off of reopening a failed VRRP socket. */
export const SOCKET_RETRY_MIN_MS = 250;
export const SOCKET_RETRY_MAX_MS = 10_000;

/** SocketEntry is one VRRP socket with the instances that use it. */
export interface SocketEntry extends ReceiveSocket {
  socket: PacketSocket;
  /** ah is the interface's IPsec AH socket (IP protocol 51), open while an instance uses auth_type AH. */
  ah?: PacketSocket;
  /** broken is set while the socket failed and is being reopened: its instances are in FAULT. */
  broken?: boolean;
  /** retryMs is the next reopen back-off (SOCKET_RETRY_MIN_MS doubling to SOCKET_RETRY_MAX_MS). */
  retryMs?: number;
  /** fail treats the socket as dead (FAULT, reopened with back-off), e.g. when its interface was deleted. */
  fail?: (err: Error) => void;
}

/** VrrpSocketsOptions connect the sockets to the kernel, the receive path and the runner. */
export interface VrrpSocketsOptions {
  kernel: KernelPort;
  clock: Clock;
  log: Logger;
  onPacket(entry: SocketEntry, p: ReceivedPacket): void;
  /** onRepeated is the IPv4 shortcut before onPacket (VrrpSocketOptions.onRepeated). */
  onRepeated?(entry: SocketEntry, batch: Buffer, start: number, end: number): boolean;
  onAhPacket(entry: SocketEntry, d: Buffer): void;
  /** ahPeak is the highest AH sequence number heard for an instance; ours is sent above it. */
  ahPeak(name: string): number;
  /** onHealthChange is called when a socket broke or was reopened (the runner re-evaluates faults). */
  onHealthChange(): void;
}

/** VrrpSockets opens, shares, reopens and closes the VRRP sockets. */
export class VrrpSockets {
  private readonly entries = new Map<string, SocketEntry>();

  constructor(private readonly o: VrrpSocketsOptions) {}

  /** socketFor returns the socket for an interface, family and multicast groups, opening it if needed. */
  async socketFor(ifname: string, family: 'inet' | 'inet6', groups: string[]): Promise<SocketEntry> {
    // The groups are part of the key: a reload that changes vrrp_mcast_group4/6 needs a socket
    // that joined the new group (issue 11: the old one kept the instance deaf to its peer).
    const key = `${family}/${ifname}/${groups.join(',')}`;
    const existing = this.entries.get(key);
    if (existing) return existing;
    const entry: SocketEntry = {
      ifname,
      family,
      byVrid: new Map(),
      socket: undefined as unknown as PacketSocket,
    };
    const open = () =>
      this.o.kernel.openVrrpSocket({
        family,
        ifname,
        multicastGroups: groups,
        onPacket: (p) => this.o.onPacket(entry, p),
        onRepeated:
          family === 'inet' && this.o.onRepeated
            ? (batch, start, end) => this.o.onRepeated!(entry, batch, start, end)
            : undefined,
        onError: (err) => this.failed(key, entry, open, err),
      });
    entry.fail = (err) => this.failed(key, entry, open, err);
    entry.socket = await open();
    this.entries.set(key, entry);
    return entry;
  }

  /**
   * interfaceDeleted fails the sockets bound to a deleted interface: a re-created one has a new
   * index, so they would stay deaf (ENODEV on send). They are reopened (fault suite).
   */
  interfaceDeleted(ifname: string): void {
    for (const e of this.entries.values())
      if (e.ifname === ifname && !e.broken) e.fail?.(new Error(`interface ${ifname} deleted`));
  }

  /** brokenFor is the broken socket an instance uses, if its socket failed. */
  brokenFor(inst: VrrpInstance): SocketEntry | undefined {
    for (const e of this.entries.values())
      if (e.broken && e.byVrid.get(inst.virtualRouterId)?.name === inst.name) return e;
    return undefined;
  }

  /** release takes a driver off its sockets and closes a socket no instance uses any more. */
  release(driver: InstanceDriver): void {
    for (const [key, entry] of this.entries) {
      for (const [vrid, d] of entry.byVrid) if (d === driver) entry.byVrid.delete(vrid);
      // A socket no instance uses any more (its group changed, its instances went) is closed.
      if (entry.byVrid.size === 0) {
        entry.socket.close();
        entry.ah?.close();
        this.entries.delete(key);
      }
    }
  }

  /** closeAll closes every socket (runner stop). */
  closeAll(): void {
    for (const entry of this.entries.values()) {
      entry.socket.close();
      entry.ah?.close();
    }
    this.entries.clear();
  }

  /**
   * failed handles a VRRP socket that died: its instances can neither send nor hear adverts,
   * so they are in FAULT (issue 11: the socket used to close for good and the instance ran on
   * deaf) until the socket is reopened, retried with back-off on the injected clock.
   */
  private failed(key: string, entry: SocketEntry, open: () => Promise<PacketSocket>, err: Error): void {
    this.o.log.error(
      `VRRP socket on ${entry.ifname}: ${err.message}; its instances are in FAULT until it is reopened`,
    );
    entry.socket.close();
    entry.broken = true;
    this.o.onHealthChange();
    const retry = () => {
      if (this.entries.get(key) !== entry) return; // the socket went with its instances
      open().then(
        (socket) => {
          entry.socket = socket;
          entry.broken = false;
          entry.retryMs = undefined;
          this.o.log.info(`VRRP socket on ${entry.ifname} reopened`);
          this.o.onHealthChange();
        },
        (e: Error) => {
          this.o.log.warn(`reopening the VRRP socket on ${entry.ifname}: ${e.message}`);
          entry.retryMs = Math.min(SOCKET_RETRY_MAX_MS, (entry.retryMs ?? SOCKET_RETRY_MIN_MS) * 2);
          this.o.clock.at(this.o.clock.nowMs() + entry.retryMs, retry);
        },
      );
    };
    entry.retryMs = SOCKET_RETRY_MIN_MS;
    this.o.clock.at(this.o.clock.nowMs() + SOCKET_RETRY_MIN_MS, retry);
  }

  /** ioFor is an instance's InstanceIo on a socket: adverts on the socket (AH-wrapped for auth_type AH), the rest through the kernel. */
  ioFor(entry: SocketEntry, inst: VrrpInstance): InstanceIo {
    const k = this.o.kernel;
    const io: InstanceIo = {
      send: (data, dst, src) => entry.socket.send(data, dst, src),
      sendReporting: (data, dst, src, onError) => {
        const socket = entry.socket; // the current one: a failed socket is replaced on reopen
        if (socket.sendReporting) socket.sendReporting(data, dst, src, onError);
        else socket.send(data, dst, src).catch(onError);
      },
      flush: () => entry.socket.flush?.(),
      drain: () => entry.socket.drain?.(),
      addAddress: (vip) => k.addAddress(vip),
      deleteAddress: (vip) => k.deleteAddress(vip),
      announce: (ifname, vips, repeat, intervalMs) => k.announce(ifname, vips, repeat, intervalMs),
      addRoute: k.addRoute && ((r) => k.addRoute!(r)),
      deleteRoute: k.deleteRoute && ((r) => k.deleteRoute!(r)),
      addRule: k.addRule && ((r) => k.addRule!(r)),
      deleteRule: k.deleteRule && ((r) => k.deleteRule!(r)),
      blockVips: k.nftBlockVips && ((a) => k.nftBlockVips!(a)),
      unblockVips: k.nftUnblockVips && ((a) => k.nftUnblockVips!(a)),
    };
    return this.ahIo(entry, inst, io);
  }

  /**
   * ahIo gives an auth_type AH instance (VRRPv2, IPv4) the interface's AH socket and sends its
   * adverts wrapped in AH (vrrp/ah.ts), as keepalived: Auth Type 2 in the VRRP header, the
   * sequence number counting up from the start time in seconds (VRRPv2 adverts are at least a
   * second apart, so a restarted keepvip is ahead of what it sent before) and above every
   * sequence number heard from a peer (so ahead of the counter keepalived keeps).
   */
  private ahIo(entry: SocketEntry, inst: VrrpInstance, io: InstanceIo): InstanceIo {
    const auth = inst.authentication;
    if (auth?.type !== 'AH' || inst.family !== 'inet' || !this.o.kernel.openAhSocket) return io;
    entry.ah ??= this.o.kernel.openAhSocket({
      ifname: entry.ifname,
      onPacket: (d) => this.o.onAhPacket(entry, d),
      onError: (err) => this.o.log.error(`AH socket on ${entry.ifname}: ${err.message}`),
    });
    const key = ahKey(auth.password);
    const unicast = inst.unicastPeers.length > 0;
    let seq = Math.floor(Date.now() / 1000);
    return {
      ...io,
      sendReporting: undefined, // every advert of an AH instance goes through the AH send below
      send: (data, dst) => {
        const vrrp = Buffer.from(data.subarray(IPV4_HEADER_LENGTH));
        vrrp[4] = VrrpAuthTypes.AH;
        vrrp.writeUInt16BE(0, 6);
        vrrp.writeUInt16BE(internetChecksum(vrrp), 6);
        // Above anything heard: keepalived keeps one counter for what it sends and hears, and drops
        // a sequence number not above it (a peer that was MASTER for a while is far ahead).
        seq = Math.min(Math.max(seq, this.o.ahPeak(inst.name)) + 1, 0xfffffffd);
        const wrapped = encodeAhDatagram({
          srcAddress: [...data.subarray(12, 16)].join('.'),
          dstAddress: dst,
          id: data.readUInt16BE(4),
          seq,
          key,
          unicast,
          vrrp,
        });
        if (!entry.ah) return Promise.reject(new Error(`no AH socket on ${entry.ifname}`));
        return entry.ah.send(wrapped, dst);
      },
    };
  }
}
