/**
 * Probe sockets of the health checkers: a TCP (or TLS) connection and a connected UDP socket,
 * with keepalived's connection options (connect_ip/connect_port as the destination, bindto /
 * bind_port as the source, bind_if as the scope of an IPv6 link-local destination), bounded by
 * a timeout armed on the injected Clock. Errors keep their errno (ECONNREFUSED, ETIMEDOUT...).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6, Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Clock } from '../util/clock.js';
import { SystemCallError } from '../util/errors.js';

/** ProbeEndpoint is where a probe goes and where it leaves from. */
export interface ProbeEndpoint {
  address: string;
  port: number;
  bindTo?: string;
  bindPort?: number;
  /** bindIf scopes an IPv6 link-local destination (fe80::1%eth0). */
  bindIf?: string;
}

/** ProbeTimeoutError is a probe that outlived its timeout; errno ETIMEDOUT. */
export class ProbeTimeoutError extends SystemCallError {
  constructor(operation: string) {
    super(operation, 'ETIMEDOUT', 'timeout');
  }
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
 * connect only); the caller owns and destroys the socket.
 */
export function connectTcp(e: ProbeEndpoint, timeoutMs: number, clock: Clock): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const op = `connect to ${e.address}:${e.port}`;
    const timer = clock.at(clock.nowMs() + timeoutMs, () => {
      socket.destroy();
      reject(new ProbeTimeoutError(op));
    });
    socket.once('connect', () => {
      timer.cancel();
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      timer.cancel();
      socket.destroy();
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
    const timer = clock.at(clock.nowMs() + timeoutMs, () => {
      tls.destroy();
      reject(new ProbeTimeoutError(op));
    });
    tls.once('secureConnect', () => {
      timer.cancel();
      tls.removeAllListeners('error');
      resolve(tls);
    });
    tls.once('error', (err) => {
      timer.cancel();
      tls.destroy();
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
