/**
 * Health of pool members. The counting is pure (`recordCheck`: `fall` consecutive failures
 * take an up member down, `rise` consecutive successes bring it back, keepalived's
 * vrrp_script / checker semantics). TcpHealthMonitor owns the timers and sockets: one TCP
 * connect per member per interval, with a timeout. Members start up, so the first render
 * after start serves every backend rather than none (keepalived's real servers start up
 * unless `alpha` is set).
 */
import { Socket } from 'node:net';
import type { NginxHealthCheck } from '../config/model.js';
import type { PoolMember } from './pool.js';

/** MemberHealth is the counting state of one member. */
export interface MemberHealth {
  up: boolean;
  /** streak counts consecutive results that disagree with `up`. */
  streak: number;
}

/** INITIAL_HEALTH is where every member starts: up, no streak. */
export const INITIAL_HEALTH: MemberHealth = { up: true, streak: 0 };

/** recordCheck folds one check result into a member's health; `changed` is true when up/down flipped. */
export function recordCheck(
  h: MemberHealth,
  ok: boolean,
  check: Pick<NginxHealthCheck, 'fall' | 'rise'>,
): { health: MemberHealth; changed: boolean } {
  if (ok === h.up) return { health: { up: h.up, streak: 0 }, changed: false };
  const streak = h.streak + 1;
  const needed = h.up ? check.fall : check.rise;
  if (streak >= needed) return { health: { up: ok, streak: 0 }, changed: true };
  return { health: { up: h.up, streak }, changed: false };
}

/** tcpConnect resolves true when a TCP connection to host:port opens within timeoutMs. */
export function tcpConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
    socket.connect({ host, port });
  });
}

/** HealthChange reports a member that went up or down. */
export type HealthChange = (member: PoolMember, up: boolean) => void;

/** TcpHealthMonitor checks every member that has a check, on its interval, and reports flips. */
export class TcpHealthMonitor {
  private readonly health = new Map<string, MemberHealth>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly members: readonly PoolMember[],
    private readonly onChange: HealthChange,
    private readonly connect: typeof tcpConnect = tcpConnect,
  ) {
    for (const m of members) this.health.set(m.key, INITIAL_HEALTH);
  }

  /** view returns each member's up/down, for upstreamContext. */
  view(): Map<string, boolean> {
    return new Map([...this.health].map(([k, h]) => [k, h.up]));
  }

  /** start schedules the first check of every checked member after up to one interval, spread so they do not all fire at once. */
  start(): void {
    this.members.forEach((m, i) => {
      if (m.check === undefined) return;
      const spread = Math.min(m.check.intervalMs, 1000) * (i / Math.max(1, this.members.length));
      this.schedule(m, spread);
    });
  }

  /** stop cancels every pending check; results of checks in flight are dropped. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private schedule(m: PoolMember, delayMs: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.runCheck(m);
    }, delayMs);
    this.timers.add(t);
  }

  private async runCheck(m: PoolMember): Promise<void> {
    const c = m.check!;
    const ok = await this.connect(c.connectIp ?? m.address, c.connectPort ?? m.port, c.timeoutMs);
    if (this.stopped) return;
    const { health, changed } = recordCheck(this.health.get(m.key) ?? INITIAL_HEALTH, ok, c);
    this.health.set(m.key, health);
    if (changed) this.onChange(m, health.up);
    this.schedule(m, c.intervalMs);
  }
}
