/**
 * Small pure helpers of the state machine: keepalived's preemption rules, log effects, and the
 * RFC 5798 6.4.3 address order.
 */
import { parseIpv4, parseIpv6 } from '../address.js';
import { OWNER_PRIORITY } from '../timers.js';
import type { Ctx, VrrpInstanceParams } from './types.js';

/**
 * preemption applies keepalived's configuration rules (vrrp_complete_instance): an address
 * owner cannot be nopreempt; `state MASTER` clears nopreempt and preempt_delay; preempt_delay
 * means nothing with nopreempt.
 */
export function preemption(p: VrrpInstanceParams): { preempt: boolean; preemptDelayMs: number } {
  return { preempt: preempts(p), preemptDelayMs: preemptDelayOf(p) };
}

/** preempts is preemption's `preempt`, without an object (the receive path's shortcut). */
export function preempts(p: VrrpInstanceParams): boolean {
  return p.initialState === 'MASTER' || p.priority === OWNER_PRIORITY || p.preempt;
}

/** preemptDelayOf is preemption's `preemptDelayMs`, without an object. */
export function preemptDelayOf(p: VrrpInstanceParams): number {
  if (p.initialState === 'MASTER') return 0;
  if (p.priority !== OWNER_PRIORITY && !p.preempt) return 0;
  return p.preemptDelayMs;
}

export function tag(p: VrrpInstanceParams): string {
  return `(${p.name})`;
}

export function log(c: Ctx, level: 'info' | 'debug' | 'warn', message: string): void {
  c.out.push({ type: 'log', level, message });
}

/**
 * compareAddresses orders two IP addresses numerically (RFC 5798 6.4.3 compares "primary IPvX
 * Address" values): negative if a < b, 0 if equal, positive if a > b. IPv4 and IPv6 text forms
 * are accepted (an IPv6 zone such as `%eth0` is ignored); addresses of different families or
 * that do not parse compare as their text, so the result is still a total order.
 */
export function compareAddresses(a: string, b: string): number {
  const strip = (t: string) => t.split('%')[0] ?? '';
  const ba = parseIpv4(strip(a)) ?? parseIpv6(strip(a));
  const bb = parseIpv4(strip(b)) ?? parseIpv6(strip(b));
  if (!ba || !bb || ba.length !== bb.length) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(ba, bb);
}
