/**
 * Probe sockets of the health checkers: a TCP (or TLS) connection and a connected UDP socket,
 * with keepalived's connection options (connect_ip/connect_port as the destination, bindto /
 * bind_port as the source, bind_if as SO_BINDTODEVICE and the scope of an IPv6 link-local
 * destination, fwmark as SO_MARK), bounded by a timeout armed on the injected Clock. Errors keep
 * their errno (ECONNREFUSED, ETIMEDOUT...). Node cannot set SO_MARK or SO_BINDTODEVICE, so a
 * probe with fwmark or bind_if gets its socket from the addon (native/src/sockopt.c): a TCP fd
 * that net.Socket adopts and connects, or a connected UDP socket of the addon's own; a probe
 * with neither stays on plain node:net / node:dgram sockets.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { closeSync } from 'node:fs';
import { isIPv6, Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Clock } from '../util/clock.js';
import { ProbeTimeoutError, SystemCallError } from '../util/errors.js';
import { loadNative, type UdpProbeHandle } from './native.js';

/** ProbeEndpoint is where a probe goes and where it leaves from. */
export interface ProbeEndpoint {
  address: string;
  port: number;
  bindTo?: string;
  bindPort?: number;
  /** bindIf binds the socket to the device (SO_BINDTODEVICE) and scopes an IPv6 link-local destination (fe80::1%eth0). */
  bindIf?: string;
  /** fwmark marks the probe's packets (SO_MARK, 1..2^32-1). */
  fwmark?: number;
}

/** needsOwnSocket tells whether the probe needs a socket option Node cannot set (fwmark, bind_if). */
function needsOwnSocket(e: ProbeEndpoint): boolean {
  return e.fwmark !== undefined || e.bindIf !== undefined;
}

/** probeFd creates the addon's socket with SO_MARK / SO_BINDTODEVICE for e (throws SystemCallError). */
function probeFd(e: ProbeEndpoint, type: 'tcp' | 'udp', op: string): number {
  try {
    return loadNative().probeSocket(isIPv6(e.address) ? 6 : 4, type, e.fwmark ?? 0, e.bindIf ?? '');
  } catch (err) {
    throw probeError(op, err);
  }
}

/** newTcpSocket is a plain Socket, or one adopting the addon's marked / device-bound fd, not yet connected. */
function newTcpSocket(e: ProbeEndpoint, op: string): Socket {
  if (!needsOwnSocket(e)) return new Socket();
  const fd = probeFd(e, 'tcp', op);
  try {
    // manualStart: no read before the connect (Node starts reading on an adopted fd at once,
    // which an unconnected socket does not need); reading starts when it connects.
    return new Socket({ fd, manualStart: true } as ConstructorParameters<typeof Socket>[0]);
  } catch (err) {
    closeSync(fd);
    throw probeError(op, err);
  }
}

/**
 * yieldToIo makes a probe's timeout wait for the loop's next read of the sockets: keepalived's
 * scheduler moves the sockets an epoll_wait reported ready off their timeout trees before its
 * timerfd handler expires the rest, so a connect or reply already waiting wins over a timeout that
 * is due in the same wakeup. Node runs expired timers before it polls; setImmediate runs after the
 * poll, so a probe whose answer is waiting is not failed by a loop that fell behind.
 */
export function yieldToIo(onTimeout: () => void): () => void {
  return () => {
    setImmediate(onTimeout);
  };
}

/** scopedHost adds the interface scope to an IPv6 link-local address. */
export function scopedHost(e: Pick<ProbeEndpoint, 'address' | 'bindIf'>): string {
  if (e.bindIf !== undefined && isIPv6(e.address) && /^fe80:/i.test(e.address) && !e.address.includes('%'))
    return `${e.address}%${e.bindIf}`;
  return e.address;
}

function errnoOf(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'EIO';
}

/** probeError wraps a socket error as SystemCallError keeping the errno. */
export function probeError(operation: string, err: unknown): SystemCallError {
  if (err instanceof SystemCallError) return err;
  return new SystemCallError(operation, errnoOf(err), (err as Error)?.message);
}

/**
 * connectTcp opens a TCP connection within timeoutMs (keepalived's connect_timeout covers the
 * connect only); the caller owns and destroys the socket. nowMs saves a clock read when the
 * caller has just read it.
 */
export function connectTcp(
  e: ProbeEndpoint,
  timeoutMs: number,
  clock: Clock,
  nowMs = clock.nowMs(),
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const op = `connect to ${e.address}:${e.port}`;
    let socket: Socket;
    try {
      socket = newTcpSocket(e, op);
    } catch (err) {
      reject(err);
      return;
    }
    let settled = false;
    const timer = clock.at(
      nowMs + timeoutMs,
      yieldToIo(() => {
        if (settled) return;
        settled = true;
        socket.destroy();
        reject(new ProbeTimeoutError(op));
      }),
    );
    socket.once('connect', () => {
      if (settled) return;
      settled = true;
      timer.cancel();
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      timer.cancel();
      socket.destroy();
      if (settled) return;
      settled = true;
      reject(probeError(op, err));
    });
    socket.connect({
      host: scopedHost(e),
      port: e.port,
      ...(e.bindTo === undefined ? {} : { localAddress: e.bindTo }),
      ...(e.bindPort === undefined ? {} : { localPort: e.bindPort }),
    });
  });
}

/** connectTls opens TLS over a connected TCP socket: no certificate verification (as keepalived), SNI when asked. */
export function connectTls(
  raw: Socket,
  servername: string | undefined,
  timeoutMs: number,
  clock: Clock,
): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const op = 'TLS handshake';
    const tls = tlsConnect({
      socket: raw,
      rejectUnauthorized: false,
      ...(servername !== undefined && !isIPv6(servername) && !/^[\d.]+$/.test(servername)
        ? { servername }
        : {}),
    });
    let settled = false;
    const timer = clock.at(
      clock.nowMs() + timeoutMs,
      yieldToIo(() => {
        if (settled) return;
        settled = true;
        tls.destroy();
        reject(new ProbeTimeoutError(op));
      }),
    );
    tls.once('secureConnect', () => {
      if (settled) return;
      settled = true;
      timer.cancel();
      tls.removeAllListeners('error');
      resolve(tls);
    });
    tls.once('error', (err) => {
      timer.cancel();
      tls.destroy();
      if (settled) return;
      settled = true;
      reject(probeError(op, err));
    });
  });
}

/** UdpExchange is the outcome of a UDP probe: the reply, or none within the timeout. */
export type UdpExchange = { reply: Buffer } | { reply: undefined };

/**
 * udpExchange sends one datagram on a connected UDP socket and waits up to timeoutMs for a
 * reply. An ICMP port unreachable comes back as ECONNREFUSED (rejects); silence resolves with
 * no reply (UDP_CHECK without require_reply counts that as success, as keepalived does).
 */
export function udpExchange(
  e: ProbeEndpoint,
  payload: Buffer,
  timeoutMs: number,
  clock: Clock,
): Promise<UdpExchange> {
  if (needsOwnSocket(e)) return udpExchangeOwn(e, payload, timeoutMs, clock);
  return new Promise((resolve, reject) => {
    const op = `UDP to ${e.address}:${e.port}`;
    const socket: UdpSocket = createSocket(isIPv6(e.address) ? 'udp6' : 'udp4');
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      timer.cancel();
      socket.close();
      fn();
    };
    const timer = clock.at(clock.nowMs() + timeoutMs, () => finish(() => resolve({ reply: undefined })));
    socket.on('error', (err) => finish(() => reject(probeError(op, err))));
    socket.on('message', (msg) => finish(() => resolve({ reply: Buffer.from(msg) })));
    const afterBind = () => {
      socket.connect(e.port, scopedHost(e), () => {
        socket.send(payload, (err) => {
          if (err) finish(() => reject(probeError(op, err)));
        });
      });
    };
    if (e.bindTo !== undefined || e.bindPort !== undefined)
      socket.bind({ address: e.bindTo, port: e.bindPort ?? 0 }, afterBind);
    else afterBind();
  });
}

/** udpExchangeOwn is udpExchange on the addon's connected UDP socket (fwmark, bind_if). */
function udpExchangeOwn(
  e: ProbeEndpoint,
  payload: Buffer,
  timeoutMs: number,
  clock: Clock,
): Promise<UdpExchange> {
  return new Promise((resolve, reject) => {
    const op = `UDP to ${e.address}:${e.port}`;
    const addon = loadNative();
    let handle: UdpProbeHandle | undefined;
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      timer.cancel();
      if (handle !== undefined) addon.udpProbeClose(handle);
      fn();
    };
    const timer = clock.at(clock.nowMs() + timeoutMs, () => finish(() => resolve({ reply: undefined })));
    try {
      const fd = probeFd(e, 'udp', op);
      handle = addon.udpProbeOpen(
        fd,
        e.address,
        e.port,
        e.bindTo ?? null,
        e.bindPort ?? 0,
        (msg) => finish(() => resolve({ reply: msg })),
        (err) => finish(() => reject(probeError(op, err))),
      );
      addon.udpProbeSend(handle, payload);
    } catch (err) {
      finish(() => reject(probeError(op, err)));
    }
  });
}
