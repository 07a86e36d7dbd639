/**
 * SimLan wires several pure state machines together through a simulated LAN: every
 * `send-advert` effect is delivered to the other nodes as an `advert` event after a latency, and
 * deadlines fire exactly on time. Discrete-event simulation on a manual clock; nothing sleeps.
 * It also checks what the runner relies on: VIPs are added only when not held, removed only
 * when held, and no step leaves a deadline in the past.
 */
import {
  initialState,
  step,
  type VrrpEffect,
  type VrrpEvent,
  type VrrpInstanceParams,
  type VrrpState,
} from '../../../src/vrrp/state-machine.js';
import { checkInvariants } from './manual-clock.js';

/** SimNode is one instance on the simulated LAN. */
export interface SimNode {
  readonly p: VrrpInstanceParams;
  state: VrrpState;
  vipsHeld: boolean;
  readonly effects: { atMs: number; effect: VrrpEffect }[];
}

interface Pending {
  atMs: number;
  seq: number;
  node: number;
  event: VrrpEvent;
}

/** SimLan is a tiny discrete-event network of VRRP instances. */
export class SimLan {
  nowMs = 0;
  readonly nodes: SimNode[];
  private readonly queue: Pending[] = [];
  private seq = 0;

  constructor(
    params: VrrpInstanceParams[],
    /** latencyMs gives the delivery delay of each advert (from, to); 1 ms by default. */
    private readonly latencyMs: (from: number, to: number) => number = () => 1,
  ) {
    this.nodes = params.map((p) => ({ p, state: initialState(p), vipsHeld: false, effects: [] }));
  }

  /** schedule queues an external event (startup, fault, ...) for a node at an absolute time. */
  schedule(atMs: number, node: number, event: VrrpEvent): void {
    this.queue.push({ atMs, seq: this.seq++, node, event });
  }

  /** runUntil processes deliveries, external events and deadlines in time order up to `untilMs`. */
  runUntil(untilMs: number): void {
    for (let guard = 0; ; guard++) {
      if (guard > 1_000_000) throw new Error('simulation does not settle');
      const next = this.nextItem();
      if (next === undefined || next.atMs > untilMs) break;
      this.nowMs = next.atMs;
      if (next.kind === 'queued') {
        this.queue.splice(next.index, 1);
        this.deliver(next.node, next.event);
      } else {
        this.deliver(next.node, { type: 'timer' });
      }
    }
    this.nowMs = Math.max(this.nowMs, untilMs);
  }

  /** masters lists the indexes of nodes in MASTER. */
  masters(): number[] {
    return this.nodes.flatMap((n, i) => (n.state.name === 'MASTER' ? [i] : []));
  }

  /** transitions lists every transition with its time and node, in time order. */
  transitions(): { atMs: number; node: number; from: string; to: string; reason: string }[] {
    const all = this.nodes.flatMap((n, node) =>
      n.effects.flatMap(({ atMs, effect }) =>
        effect.type === 'transition' ? [{ atMs, node, ...effect }] : [],
      ),
    );
    return all.sort((a, b) => a.atMs - b.atMs);
  }

  private nextItem():
    | { kind: 'queued'; atMs: number; index: number; node: number; event: VrrpEvent }
    | { kind: 'timer'; atMs: number; node: number }
    | undefined {
    let best: ReturnType<SimLan['nextItem']>;
    let bestSeq = Number.POSITIVE_INFINITY;
    this.queue.forEach((q, index) => {
      if (best === undefined || q.atMs < best.atMs || (q.atMs === best.atMs && q.seq < bestSeq)) {
        best = { kind: 'queued', atMs: q.atMs, index, node: q.node, event: q.event };
        bestSeq = q.seq;
      }
    });
    this.nodes.forEach((n, node) => {
      const d = n.state.deadlineMs;
      // Queued items at the same instant go first: a packet that arrived by the deadline counts.
      if (d !== undefined && (best === undefined || d < best.atMs)) best = { kind: 'timer', atMs: d, node };
    });
    return best;
  }

  private deliver(index: number, event: VrrpEvent): void {
    const n = this.nodes[index]!;
    const { state, effects } = step(n.p, n.state, event, this.nowMs);
    checkInvariants(state, this.nowMs);
    n.state = state;
    for (const effect of effects) {
      n.effects.push({ atMs: this.nowMs, effect });
      if (effect.type === 'add-vips') {
        if (n.vipsHeld) throw new Error(`${n.p.name}: add-vips while holding VIPs`);
        n.vipsHeld = true;
      } else if (effect.type === 'remove-vips') {
        if (!n.vipsHeld) throw new Error(`${n.p.name}: remove-vips without VIPs`);
        n.vipsHeld = false;
      } else if (effect.type === 'send-advert') {
        this.nodes.forEach((_, to) => {
          if (to === index) return;
          this.schedule(this.nowMs + this.latencyMs(index, to), to, {
            type: 'advert',
            priority: effect.priority,
            advertIntervalMs: n.p.advertIntervalMs,
            srcAddress: n.p.localAddress,
          });
        });
      }
    }
    if (n.vipsHeld !== (n.state.name === 'MASTER')) {
      throw new Error(`${n.p.name}: vipsHeld=${n.vipsHeld} in ${n.state.name}`);
    }
  }
}
