/**
 * An in-memory IpvsPort for the reconciler's unit tests: it keeps a table, answers with the
 * kernel's errno (EEXIST on a duplicate add, ENOENT / ESRCH for a missing service or
 * destination), sets the HASHED flag as the kernel does, and counts requests. The kernel path
 * itself is covered by the UML guest tests (test/integration/lvs/).
 */
import type {
  IpvsDestination,
  IpvsPort,
  IpvsService,
  IpvsServiceId,
  IpvsSyncDaemon,
  IpvsTable,
  IpvsTimeouts,
} from '../../../src/kernel/ipvs/types.js';
import { destinationKey, serviceKey } from '../../../src/lvs/desired.js';
import type { Clock, TimerHandle } from '../../../src/util/clock.js';
import { SystemCallError } from '../../../src/util/errors.js';

interface Entry {
  service: IpvsService;
  dests: Map<string, IpvsDestination>;
}

/** FakeIpvs is a table in memory behind the IpvsPort interface. */
export class FakeIpvs implements IpvsPort {
  readonly entries = new Map<string, Entry>();
  operations = 0;
  /** log lists every mutating request in order (`add-service KEY`, `edit-destination KEY -> D`...). */
  readonly log: string[] = [];
  timeouts: IpvsTimeouts = { tcp: 900, tcpFin: 120, udp: 300 };
  daemons: IpvsSyncDaemon[] = [];
  hasIpvs = true;

  private svc(id: IpvsServiceId): Entry {
    const e = this.entries.get(serviceKey(id));
    if (!e) throw new SystemCallError('IPVS', 'ESRCH');
    return e;
  }

  async available(): Promise<boolean> {
    return this.hasIpvs;
  }
  async getTable(): Promise<IpvsTable> {
    this.operations += 1 + this.entries.size; // one service dump, one destination dump per service
    return {
      services: [...this.entries.values()].map((e) => ({
        service: structuredClone(e.service),
        destinations: [...e.dests.values()].map((d) => structuredClone(d)),
      })),
    };
  }
  async getService(id: IpvsServiceId): Promise<IpvsService> {
    this.operations++;
    return structuredClone(this.svc(id).service);
  }
  async getDestinations(id: IpvsServiceId): Promise<IpvsDestination[]> {
    this.operations++;
    const e = this.entries.get(serviceKey(id));
    return e ? [...e.dests.values()].map((d) => structuredClone(d)) : [];
  }
  async addService(s: IpvsService): Promise<void> {
    this.operations++;
    const k = serviceKey(s.id);
    if (this.entries.has(k)) throw new SystemCallError('IPVS_CMD_NEW_SERVICE', 'EEXIST');
    this.log.push(`add-service ${k}`);
    this.entries.set(k, { service: { ...structuredClone(s), flags: s.flags | 0x2 }, dests: new Map() });
  }
  async editService(s: IpvsService): Promise<void> {
    this.operations++;
    const e = this.svc(s.id);
    this.log.push(`edit-service ${serviceKey(s.id)}`);
    e.service = { ...structuredClone(s), flags: s.flags | 0x2 };
  }
  async deleteService(id: IpvsServiceId): Promise<void> {
    this.operations++;
    this.svc(id);
    this.log.push(`delete-service ${serviceKey(id)}`);
    this.entries.delete(serviceKey(id));
  }
  async addDestination(id: IpvsServiceId, d: IpvsDestination): Promise<void> {
    this.operations++;
    const e = this.svc(id);
    const k = destinationKey(d);
    if (e.dests.has(k)) throw new SystemCallError('IPVS_CMD_NEW_DEST', 'EEXIST');
    this.log.push(`add-destination ${serviceKey(id)} -> ${k} ${d.weight}`);
    e.dests.set(k, { activeConns: 0, inactConns: 0, ...structuredClone(d) });
  }
  async editDestination(id: IpvsServiceId, d: IpvsDestination): Promise<void> {
    this.operations++;
    const e = this.svc(id);
    const k = destinationKey(d);
    const old = e.dests.get(k);
    if (!old) throw new SystemCallError('IPVS_CMD_SET_DEST', 'ENOENT');
    this.log.push(`edit-destination ${serviceKey(id)} -> ${k} ${d.weight}`);
    e.dests.set(k, { ...old, ...structuredClone(d) });
  }
  async deleteDestination(
    id: IpvsServiceId,
    d: Pick<IpvsDestination, 'address' | 'port' | 'family'>,
  ): Promise<void> {
    this.operations++;
    const e = this.svc(id);
    const k = destinationKey(d);
    if (!e.dests.has(k)) throw new SystemCallError('IPVS_CMD_DEL_DEST', 'ENOENT');
    this.log.push(`delete-destination ${serviceKey(id)} -> ${k}`);
    e.dests.delete(k);
  }
  async flush(): Promise<void> {
    this.operations++;
    this.log.push('flush');
    this.entries.clear();
  }
  async getTimeouts(): Promise<IpvsTimeouts> {
    this.operations++;
    return { ...this.timeouts };
  }
  async setTimeouts(t: IpvsTimeouts): Promise<void> {
    this.operations++;
    this.log.push(`set-timeouts ${t.tcp} ${t.tcpFin} ${t.udp}`);
    this.timeouts = {
      tcp: t.tcp || this.timeouts.tcp,
      tcpFin: t.tcpFin || this.timeouts.tcpFin,
      udp: t.udp || this.timeouts.udp,
    };
  }
  async startSyncDaemon(d: IpvsSyncDaemon): Promise<void> {
    this.operations++;
    if (this.daemons.some((x) => x.state === d.state))
      throw new SystemCallError('IPVS_CMD_NEW_DAEMON', 'EEXIST');
    this.log.push(`start-sync ${d.state} ${d.ifname} ${d.syncId}`);
    this.daemons.push({ ...d });
  }
  async stopSyncDaemon(state: 'master' | 'backup'): Promise<void> {
    this.operations++;
    if (!this.daemons.some((x) => x.state === state))
      throw new SystemCallError('IPVS_CMD_DEL_DAEMON', 'ESRCH');
    this.log.push(`stop-sync ${state}`);
    this.daemons = this.daemons.filter((x) => x.state !== state);
  }
  async getSyncDaemons(): Promise<IpvsSyncDaemon[]> {
    this.operations++;
    return this.daemons.map((d) => ({ ...d }));
  }
  close(): void {}

  /** weights lists `KEY -> DEST weight` for every destination, sorted (for assertions). */
  weights(): string[] {
    const out: string[] = [];
    for (const [k, e] of this.entries)
      for (const [dk, d] of e.dests) out.push(`${k} -> ${dk} ${d.forward} ${d.weight}`);
    return out.sort();
  }
}

/** TestClock is a Clock moved by hand; due timers fire on advance, in deadline order. */
export class TestClock implements Clock {
  private now = 0;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  nowMs(): number {
    return this.now;
  }
  at(deadlineMs: number, fn: () => void): TimerHandle {
    const t = { at: deadlineMs, fn, live: true };
    this.timers.push(t);
    return {
      cancel: () => {
        t.live = false;
      },
      rearm: (atMs: number) => {
        t.at = atMs;
        if (!t.live) this.timers.push(t);
        t.live = true;
      },
    };
  }
  /** advance moves time and runs every timer that became due. */
  advance(ms: number): void {
    this.now += ms;
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= this.now).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      due.fn();
    }
    this.timers = this.timers.filter((t) => t.live);
  }
}
