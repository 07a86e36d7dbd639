/**
 * IpvsClient is the kernel's IPVS over generic netlink (family "IPVS", resolved through
 * nlctrl), implementing IpvsPort. Every call may be issued without awaiting the one before:
 * they are pipelined on one socket (GenlSocket) and executed by the kernel in the order issued.
 */
import { nextTurn } from '../../util/clock.js';
import { KeepvipError, SystemCallError } from '../../util/errors.js';
import {
  decodeCtrlFamilyId,
  decodeIpvsMessage,
  encodeCtrlGetFamily,
  encodeIpvsMessage,
  type IpvsMessage,
  serviceKey,
  destKey,
} from './codec.js';
import * as K from './constants.js';
import { GenlSocket, type GenlSocketOptions } from './genl-socket.js';
import type {
  IpvsDestination,
  IpvsInfo,
  IpvsPort,
  IpvsService,
  IpvsServiceId,
  IpvsSyncDaemon,
  IpvsTable,
  IpvsTimeouts,
} from './types.js';

const CMD_NAMES: Record<number, string> = {
  [K.IPVS_CMD_NEW_SERVICE]: 'IPVS_CMD_NEW_SERVICE',
  [K.IPVS_CMD_SET_SERVICE]: 'IPVS_CMD_SET_SERVICE',
  [K.IPVS_CMD_DEL_SERVICE]: 'IPVS_CMD_DEL_SERVICE',
  [K.IPVS_CMD_GET_SERVICE]: 'IPVS_CMD_GET_SERVICE',
  [K.IPVS_CMD_NEW_DEST]: 'IPVS_CMD_NEW_DEST',
  [K.IPVS_CMD_SET_DEST]: 'IPVS_CMD_SET_DEST',
  [K.IPVS_CMD_DEL_DEST]: 'IPVS_CMD_DEL_DEST',
  [K.IPVS_CMD_GET_DEST]: 'IPVS_CMD_GET_DEST',
  [K.IPVS_CMD_NEW_DAEMON]: 'IPVS_CMD_NEW_DAEMON',
  [K.IPVS_CMD_DEL_DAEMON]: 'IPVS_CMD_DEL_DAEMON',
  [K.IPVS_CMD_GET_DAEMON]: 'IPVS_CMD_GET_DAEMON',
  [K.IPVS_CMD_SET_CONFIG]: 'IPVS_CMD_SET_CONFIG',
  [K.IPVS_CMD_GET_CONFIG]: 'IPVS_CMD_GET_CONFIG',
  [K.IPVS_CMD_GET_INFO]: 'IPVS_CMD_GET_INFO',
  [K.IPVS_CMD_ZERO]: 'IPVS_CMD_ZERO',
  [K.IPVS_CMD_FLUSH]: 'IPVS_CMD_FLUSH',
};

/** requestService strips what only the kernel reports (statistics, unknown attributes) before a write. */
function requestService(s: IpvsService): IpvsService {
  const { stats: _s, unknown: _u, ...rest } = s;
  return rest;
}
function requestDest(d: IpvsDestination): IpvsDestination {
  const { stats: _s, unknown: _u, activeConns: _a, inactConns: _i, persistConns: _p, ...rest } = d;
  return rest;
}

/** DECODE_SLICE is how many destinations are decoded per turn of the event loop. */
const DECODE_SLICE = 200;

/** IpvsClient talks to the kernel's IPVS (see the file comment). */
export class IpvsClient implements IpvsPort {
  private sock: GenlSocket | undefined;
  private familyId: Promise<number> | undefined;
  private readonly options: GenlSocketOptions;

  constructor(options: GenlSocketOptions = {}) {
    this.options = options;
  }

  /** operations counts netlink requests sent (family resolution included). */
  get operations(): number {
    return this.sock?.operations ?? 0;
  }

  /** sends counts sendmsg calls: batches of pipelined requests. */
  get sends(): number {
    return this.sock?.sends ?? 0;
  }

  /** received counts netlink messages received: with one ACK per batch, about `sends` for writes. */
  get received(): number {
    return this.sock?.received ?? 0;
  }

  async available(): Promise<boolean> {
    try {
      await this.family();
      return true;
    } catch (error) {
      if (error instanceof SystemCallError && error.errno === 'ENOENT') return false;
      throw error;
    }
  }

  async getTable(): Promise<IpvsTable> {
    const services = await this.getServices();
    const undecodable = [...services.undecodable];
    // All destination dumps are queued at once; the socket runs them back to back.
    const dests = await Promise.all(services.services.map((s) => this.getDestinationsRaw(s.id)));
    const table: IpvsTable = {
      services: services.services.map((service, i) => {
        const d = dests[i] ?? { destinations: [], undecodable: [] };
        undecodable.push(...d.undecodable);
        return { service, destinations: d.destinations };
      }),
    };
    if (undecodable.length > 0) table.undecodable = undecodable;
    return table;
  }

  /** getServices dumps every service (IPVS_CMD_GET_SERVICE with NLM_F_DUMP). */
  async getServices(): Promise<{ services: IpvsService[]; undecodable: string[] }> {
    const parts = await this.call({ cmd: K.IPVS_CMD_GET_SERVICE }, true, () => 'dump');
    const services: IpvsService[] = [];
    const undecodable: string[] = [];
    for (const p of parts) {
      const m = decodeIpvsMessage(p);
      if (m.ok && m.value.service && 'schedName' in m.value.service) services.push(m.value.service);
      else undecodable.push(`service: ${m.ok ? 'no IPVS_CMD_ATTR_SERVICE' : m.reason}`);
    }
    return { services, undecodable };
  }

  /** getService reads one service (IPVS_CMD_GET_SERVICE); ESRCH when absent. */
  async getService(id: IpvsServiceId): Promise<IpvsService> {
    const [p] = await this.call({ cmd: K.IPVS_CMD_GET_SERVICE, service: id }, false, () => serviceKey(id));
    const m = p ? decodeIpvsMessage(p) : undefined;
    if (!m?.ok || !m.value.service || !('schedName' in m.value.service)) {
      throw new KeepvipError('E_NETLINK', `IPVS_CMD_GET_SERVICE ${serviceKey(id)}: unreadable reply`);
    }
    return m.value.service;
  }

  /** getDestinations dumps the destinations of one service (IPVS_CMD_GET_DEST). */
  async getDestinations(id: IpvsServiceId): Promise<IpvsDestination[]> {
    return (await this.getDestinationsRaw(id)).destinations;
  }

  private async getDestinationsRaw(
    id: IpvsServiceId,
  ): Promise<{ destinations: IpvsDestination[]; undecodable: string[] }> {
    const parts = await this.call({ cmd: K.IPVS_CMD_GET_DEST, service: id }, true, () => serviceKey(id));
    const destinations: IpvsDestination[] = [];
    const undecodable: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      // A service of thousands of destinations is decoded a slice per turn of the loop, so
      // VRRP timers run in between (the 1-CPU guest of bench/checkers.ts took seconds per table).
      if (i > 0 && i % DECODE_SLICE === 0) await nextTurn();
      const p = parts[i]!;
      const m = decodeIpvsMessage(p, id.family);
      if (m.ok && m.value.dest && 'forward' in m.value.dest) destinations.push(m.value.dest);
      else undecodable.push(`destination of ${serviceKey(id)}: ${m.ok ? 'no IPVS_CMD_ATTR_DEST' : m.reason}`);
    }
    return { destinations, undecodable };
  }

  async addService(s: IpvsService): Promise<void> {
    await this.call({ cmd: K.IPVS_CMD_NEW_SERVICE, service: requestService(s) }, false, () =>
      serviceKey(s.id),
    );
  }

  async editService(s: IpvsService): Promise<void> {
    await this.call({ cmd: K.IPVS_CMD_SET_SERVICE, service: requestService(s) }, false, () =>
      serviceKey(s.id),
    );
  }

  async deleteService(id: IpvsServiceId): Promise<void> {
    await this.call({ cmd: K.IPVS_CMD_DEL_SERVICE, service: serviceIdOnly(id) }, false, () => serviceKey(id));
  }

  async addDestination(id: IpvsServiceId, d: IpvsDestination): Promise<void> {
    await this.call(
      { cmd: K.IPVS_CMD_NEW_DEST, service: serviceIdOnly(id), dest: requestDest(d) },
      false,
      () => `${serviceKey(id)} -> ${destKey(d)}`,
    );
  }

  async editDestination(id: IpvsServiceId, d: IpvsDestination): Promise<void> {
    await this.call(
      { cmd: K.IPVS_CMD_SET_DEST, service: serviceIdOnly(id), dest: requestDest(d) },
      false,
      () => `${serviceKey(id)} -> ${destKey(d)}`,
    );
  }

  async deleteDestination(
    id: IpvsServiceId,
    d: Pick<IpvsDestination, 'address' | 'port' | 'family'>,
  ): Promise<void> {
    const dest = { address: d.address, port: d.port, family: d.family };
    await this.call(
      { cmd: K.IPVS_CMD_DEL_DEST, service: serviceIdOnly(id), dest, destFull: false },
      false,
      () => `${serviceKey(id)} -> ${destKey(d)}`,
    );
  }

  async flush(): Promise<void> {
    await this.call({ cmd: K.IPVS_CMD_FLUSH }, false, () => 'all services');
  }

  /** zero clears the counters of one service, or of all (IPVS_CMD_ZERO). */
  async zero(id?: IpvsServiceId): Promise<void> {
    const m: IpvsMessage = { cmd: K.IPVS_CMD_ZERO };
    if (id) m.service = serviceIdOnly(id);
    await this.call(m, false, () => (id ? serviceKey(id) : 'all services'));
  }

  async getTimeouts(): Promise<IpvsTimeouts> {
    const [p] = await this.call({ cmd: K.IPVS_CMD_GET_CONFIG }, false, () => 'timeouts');
    const m = p ? decodeIpvsMessage(p) : undefined;
    const t = m?.ok ? m.value.timeouts : undefined;
    if (!t) throw new KeepvipError('E_NETLINK', 'IPVS_CMD_GET_CONFIG: unreadable reply');
    return { tcp: t.tcp ?? 0, tcpFin: t.tcpFin ?? 0, udp: t.udp ?? 0 };
  }

  async setTimeouts(t: IpvsTimeouts): Promise<void> {
    await this.call(
      { cmd: K.IPVS_CMD_SET_CONFIG, timeouts: t },
      false,
      () => `tcp ${t.tcp} tcpfin ${t.tcpFin} udp ${t.udp}`,
    );
  }

  /** getInfo reads IPVS's version and connection table size (IPVS_CMD_GET_INFO). */
  async getInfo(): Promise<IpvsInfo> {
    const [p] = await this.call({ cmd: K.IPVS_CMD_GET_INFO }, false, () => 'info');
    const m = p ? decodeIpvsMessage(p) : undefined;
    if (!m?.ok || !m.value.info) throw new KeepvipError('E_NETLINK', 'IPVS_CMD_GET_INFO: unreadable reply');
    return m.value.info;
  }

  async startSyncDaemon(d: IpvsSyncDaemon): Promise<void> {
    const { unknown: _u, ...daemon } = d;
    await this.call(
      { cmd: K.IPVS_CMD_NEW_DAEMON, daemon },
      false,
      () => `${d.state} on ${d.ifname} id ${d.syncId}`,
    );
  }

  async stopSyncDaemon(state: 'master' | 'backup'): Promise<void> {
    await this.call({ cmd: K.IPVS_CMD_DEL_DAEMON, daemon: { state }, daemonFull: false }, false, () => state);
  }

  async getSyncDaemons(): Promise<IpvsSyncDaemon[]> {
    const parts = await this.call({ cmd: K.IPVS_CMD_GET_DAEMON }, true, () => 'dump');
    const out: IpvsSyncDaemon[] = [];
    for (const p of parts) {
      const m = decodeIpvsMessage(p);
      if (m.ok && m.value.daemon && 'ifname' in m.value.daemon) out.push(m.value.daemon);
    }
    return out;
  }

  close(): void {
    this.sock?.close();
    this.sock = undefined;
    this.familyId = undefined;
  }

  private socket(): GenlSocket {
    this.sock ??= new GenlSocket(this.options);
    return this.sock;
  }

  /** family resolves "IPVS" through nlctrl once (CTRL_CMD_GETFAMILY); ENOENT when the kernel lacks it. */
  private family(): Promise<number> {
    if (!this.familyId) {
      const sock = this.socket();
      this.familyId = sock
        .request({
          type: K.GENL_ID_CTRL,
          payload: encodeCtrlGetFamily(K.IPVS_GENL_NAME),
          describe: () => `CTRL_CMD_GETFAMILY ${K.IPVS_GENL_NAME}`,
        })
        .then((parts) => {
          const id = parts[0] ? decodeCtrlFamilyId(parts[0]) : undefined;
          if (id === undefined) throw new SystemCallError(`CTRL_CMD_GETFAMILY ${K.IPVS_GENL_NAME}`, 'ENOENT');
          return id;
        });
      this.familyId.catch(() => {
        // A failed resolution is retried on the next call (the module may be loaded later).
        this.familyId = undefined;
      });
    }
    return this.familyId;
  }

  private async call(m: IpvsMessage, dump: boolean, what: () => string): Promise<Buffer[]> {
    const type = await this.family();
    let payload: Buffer;
    try {
      payload = encodeIpvsMessage(m);
    } catch (error) {
      throw new KeepvipError('E_IPVS_ARGUMENT', `${CMD_NAMES[m.cmd]} ${what()}: ${(error as Error).message}`);
    }
    return this.socket().request({
      type,
      payload,
      dump,
      describe: () => `${CMD_NAMES[m.cmd] ?? `IPVS command ${m.cmd}`} ${what()}`,
    });
  }
}

function serviceIdOnly(id: IpvsServiceId): IpvsServiceId {
  return id.fwmark !== undefined
    ? { family: id.family, fwmark: id.fwmark }
    : { family: id.family, protocol: id.protocol, address: id.address, port: id.port };
}
