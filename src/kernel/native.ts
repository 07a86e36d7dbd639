import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { KeepvipError, SystemCallError } from '../util/errors.js';

/** Vrrp4Handle is the opaque socket handle the addon returns from vrrp4Open. */
export type Vrrp4Handle = { readonly __brand: 'Vrrp4Handle' };

/** Vrrp6Handle is the opaque socket handle the addon returns from vrrp6Open. */
export type Vrrp6Handle = { readonly __brand: 'Vrrp6Handle' };

/** Vrrp6Callback receives either an error, or one message with its ancillary data. */
export type Vrrp6Callback = (
  error: (Error & { code?: string; syscall?: string }) | null,
  data?: Buffer,
  srcAddress?: string,
  dstAddress?: string,
  hopLimit?: number,
  ifindex?: number,
) => void;

/** NativeAddon is the surface of native/build/Release/keepvip_native.node (see native/src/*.c). */
export interface NativeAddon {
  /**
   * vrrp4Open opens the IPv4 VRRP socket (native/src/vrrp4.c); the callback gets (error) or
   * (null, batch): one wakeup's datagrams as [u16 LE length][datagram] records, written into rx
   * (batch is then their byte count) when rx is given and large enough, else a Buffer of their own.
   */
  vrrp4Open(
    ifname: string,
    groups: string[],
    rcvbufBytes: number,
    callback: (error: (Error & { code?: string }) | null, batch?: Buffer | number) => void,
    rx?: Buffer,
  ): Vrrp4Handle;
  vrrp4Send(handle: Vrrp4Handle, datagram: Buffer, dst: string): void;
  /** vrrp4SendMany sends datagrams[i] to the IPv4 address at dsts[4i..4i+3] with sendmmsg; returns how many went. */
  vrrp4SendMany(handle: Vrrp4Handle, datagrams: Buffer[], dsts: Buffer): number;
  vrrp4Close(handle: Vrrp4Handle): void;
  vrrp4Ref(handle: Vrrp4Handle, ref: boolean): void;
  /** vrrp4Drain reads what is queued now and hands it to the receive callback before returning. */
  vrrp4Drain(handle: Vrrp4Handle): void;
  vrrp6Open(ifname: string, groups: string[], callback: Vrrp6Callback): Vrrp6Handle;
  vrrp6Send(handle: Vrrp6Handle, data: Buffer, dst: string, src?: string): number;
  vrrp6Close(handle: Vrrp6Handle): void;
  vrrp6Ref(handle: Vrrp6Handle, ref: boolean): void;
  /** vrrp6Drain reads what is queued now and hands it to the receive callback before returning. */
  vrrp6Drain(handle: Vrrp6Handle): void;
  ifNameToIndex(ifname: string): number;
  /** mkfifo is mkfifo(3) (native/src/addon.c); throws with the errno code. */
  mkfifo(path: string, mode: number): void;
  sendGratuitousArp(ifname: string, ipv4: string): void;
  sendUnsolicitedNa(ifname: string, ipv6: string, router: boolean): void;
  /** sendArpProbe sends one RFC 5227 duplicate-address probe (sender IP 0.0.0.0) for ipv4. */
  sendArpProbe(ifname: string, ipv4: string): void;
  /** arpListen starts (once) the process's ARP reply listener; it does not keep the loop alive. */
  arpListen(onReply: (ifindex: number, mac: string, ip: string) => void): void;
  /** pidfdWatch calls back once when the process exits (pidfd_open; native/src/pidfd.c); throws ESRCH if gone. */
  pidfdWatch(pid: number, onExit: () => void): PidfdHandle;
  pidfdUnwatch(handle: PidfdHandle): void;
  /**
   * nlOpen opens a netlink socket that reports overruns (ENOBUFS) and datagrams cut by its 64 KiB
   * read buffer (EMSGSIZE) as errors (native/src/netlink.c); onMessage gets whole datagrams.
   */
  nlOpen(
    protocol: number,
    groups: number[],
    rcvbufBytes: number,
    onMessage: (data: Buffer) => void,
    onError: (error: Error & { code?: string }) => void,
  ): NetlinkHandle;
  nlSend(handle: NetlinkHandle, data: Buffer): void;
  nlPort(handle: NetlinkHandle): number;
  nlRef(handle: NetlinkHandle, ref: boolean): void;
  nlClose(handle: NetlinkHandle): void;
  /**
   * probeSocket creates a non-blocking probe socket with SO_MARK (fwmark > 0) and
   * SO_BINDTODEVICE (ifname non-empty) set and returns its fd (native/src/sockopt.c).
   */
  probeSocket(family: 4 | 6, type: 'tcp' | 'udp', fwmark: number, ifname: string): number;
  /** udpProbeOpen binds (bindAddr or bindPort) and connects a probeSocket UDP fd and watches it; takes the fd. */
  udpProbeOpen(
    fd: number,
    dst: string,
    port: number,
    bindAddr: string | null,
    bindPort: number,
    onMessage: (data: Buffer) => void,
    onError: (error: Error & { code?: string }) => void,
  ): UdpProbeHandle;
  /** udpProbeSend sends one datagram to the connected peer; throws with the errno code. */
  udpProbeSend(handle: UdpProbeHandle, data: Buffer): void;
  /** udpProbeClose closes the socket; idempotent. */
  udpProbeClose(handle: UdpProbeHandle): void;
  /**
   * drProbeOpen opens dr_path_check's packet socket on ifname (native/src/drprobe.c): incoming ARP
   * replies and TCP SYN-ACK / RST frames go to onFrame, a socket error to onError; unref'd.
   */
  drProbeOpen(
    ifname: string,
    onFrame: (frame: Buffer) => void,
    onError: (error: Error & { code?: string }) => void,
  ): DrProbeHandle;
  /** drProbeSend sends a whole Ethernet frame (destination MAC and ethertype read from it) out of the socket's interface. */
  drProbeSend(handle: DrProbeHandle, frame: Buffer): void;
  /** drProbeClose closes the socket; idempotent. */
  drProbeClose(handle: DrProbeHandle): void;
  drProbeRef(handle: DrProbeHandle, ref: boolean): void;
  /** schedSetRealtime puts the calling thread in SCHED_RR | SCHED_RESET_ON_FORK at priority (0: SCHED_OTHER); throws with the errno code (native/src/sched.c). */
  schedSetRealtime(priority: number): void;
  /** schedRealtimeRange is SCHED_RR's [min, max] priority. */
  schedRealtimeRange(): [number, number];
  /**
   * spawnProcess starts a program with clone(CLONE_VM | CLONE_VFORK) (native/src/spawn.c): argv
   * and env as NUL-terminated strings, search the PATH for a file without '/', ids [uid, gid,
   * ...groups] or null, stdio bits (1 stdin pipe, 2 stdout+stderr pipe, 4 stderr pipe). Returns
   * [pid, stdin fd, output fd] (-1: no pipe); onExit(code, signal) once (code -1 when signalled;
   * the exit watch lives in the addon until then and keeps the loop alive). Throws with the errno code (syscall "spawn") when the program cannot start.
   */
  spawnProcess(
    file: string,
    argv: Buffer,
    env: Buffer,
    search: string,
    ids: Int32Array | null,
    stdio: number,
    onExit: (code: number, signal: number) => void,
  ): [number, number, number];
}

/** DrProbeHandle is the opaque packet socket handle the addon returns from drProbeOpen. */
export type DrProbeHandle = { readonly __brand: 'DrProbeHandle' };

/** UdpProbeHandle is the opaque UDP probe socket handle the addon returns from udpProbeOpen. */
export type UdpProbeHandle = { readonly __brand: 'UdpProbeHandle' };

/** NetlinkHandle is the opaque netlink socket handle the addon returns from nlOpen. */
export type NetlinkHandle = { readonly __brand: 'NetlinkHandle' };

/** PidfdHandle is the opaque watch handle the addon returns from pidfdWatch. */
export type PidfdHandle = { readonly __brand: 'PidfdHandle' };

/** ADDON_PATH is where `npm run build:native` leaves the addon, relative to this file's package. */
export const ADDON_PATH = fileURLToPath(
  new URL('../../native/build/Release/keepvip_native.node', import.meta.url),
);

let cached: NativeAddon | undefined;

/** loadNative loads the addon once; throws KeepvipError E_NATIVE_MISSING when it is not built. */
export function loadNative(): NativeAddon {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  try {
    cached = require(ADDON_PATH) as NativeAddon;
  } catch (error) {
    throw new KeepvipError(
      'E_NATIVE_MISSING',
      `native addon not loadable at ${ADDON_PATH}: run \`npm run build:native\` (${(error as Error).message})`,
      { cause: error },
    );
  }
  return cached;
}

/**
 * callNative runs an addon call and turns the errno-coded Error the addon throws into a
 * SystemCallError that keeps the errno name; argument errors (code E_ARG) stay KeepvipErrors.
 */
export function callNative<T>(operation: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toKernelError(operation, error);
  }
}

/** toKernelError maps an addon error to SystemCallError (errno codes) or KeepvipError (others). */
export function toKernelError(operation: string, error: unknown): KeepvipError {
  if (error instanceof KeepvipError) return error;
  const e = error as Error & { code?: string; syscall?: string };
  // errno names (EPERM, ENODEV) have no underscore; the addon's own codes (E_ARG, E_NAPI) do.
  if (typeof e?.code === 'string' && /^E[A-Z0-9]+$/.test(e.code)) {
    return new SystemCallError(operation, e.code, e.syscall);
  }
  return new KeepvipError(
    e?.code === 'E_ARG' ? 'E_ARG' : 'E_NATIVE',
    `${operation}: ${e?.message ?? String(error)}`,
    {
      cause: error,
    },
  );
}
