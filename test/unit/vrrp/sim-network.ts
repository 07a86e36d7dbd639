/**
 * SimLan runs several real InstanceDrivers (test/unit/runner/driver-harness.ts) on one manual
 * clock over a simulated wire: every advert a driver sends is decoded from its bytes
 * (vrrp/ipv4.ts, vrrp/codec.ts) and handed to the other nodes' receive after a latency, and
 * each driver's own armed timers fire exactly on time. Discrete-event simulation; nothing
 * sleeps. It also checks what the runner relies on: VIPs are added only when not held, removed
 * only when held, and no step leaves a deadline in the past (the harness checks every step).
 */
import { ManualClock } from '../../../src/util/manual-clock.js';
import { decodeAdvert } from '../../../src/vrrp/codec.js';
import { decodeIpv4Datagram } from '../../../src/vrrp/ipv4.js';
import type { ReceivedDatagram } from '../../../src/vrrp/packet.js';
import type {
  VrrpEffect,
  VrrpEvent,
  VrrpInstanceParams,
  VrrpState,
} from '../../../src/vrrp/state-machine.js';
import { DriverHarness } from '../runner/driver-harness.js';

/** SLICE_MS is how far runUntil advances the clock at a time. */
const SLICE_MS = 250;

/** SimNode is one instance on the simulated LAN. */
export interface SimNode {
  readonly p: VrrpInstanceParams;
  readonly harness: DriverHarness;
  readonly state: VrrpState;
  vipsHeld: boolean;
  readonly effects: { atMs: number; effect: VrrpEffect }[];
}

/** wireDatagram is what a receiving socket makes of the bytes a driver sent. */
function wireDatagram(p: VrrpInstanceParams, data: Buffer, dst: string, src: string): ReceivedDatagram {
  if (p.family === 'inet6')
    return { family: 'inet6', srcAddress: src, dstAddress: dst, ttl: 255, payload: data };
  const ip = decodeIpv4Datagram(data);
  if (!ip.ok) throw new Error(`${p.name} sent a bad IPv4 datagram: ${ip.reason}`);
  return ip.value;
}

/** SimLan is a tiny discrete-event network of VRRP instances. */
export class SimLan {
  readonly clock = new ManualClock(0);
  readonly nodes: SimNode[];

  constructor(
    params: VrrpInstanceParams[],
    /** latencyMs gives the delivery delay of each advert (from, to); 1 ms by default. */
    private readonly latencyMs: (from: number, to: number) => number = () => 1,
  ) {
    this.nodes = params.map((p, index) => {
      const harness: DriverHarness = new DriverHarness(p, {
        clock: this.clock,
        // Synchronous, so a bad advert throws out of the step that sent it instead of being logged.
        send: (data, dst, src) => {
          this.wire(index, data, dst, src);
          return Promise.resolve();
        },
        onStep: (effects, state) => this.check(index, effects, state),
      });
      return {
        p,
        harness,
        get state() {
          return harness.state;
        },
        vipsHeld: false,
        effects: harness.log,
      };
    });
  }

  /** nowMs is the simulated time. */
  get nowMs(): number {
    return this.clock.nowMs();
  }

  /** schedule queues an external event (startup, fault, ...) for a node at an absolute time. */
  schedule(atMs: number, node: number, event: VrrpEvent): void {
    this.clock.at(atMs, () => this.nodes[node]!.harness.send(event));
  }

  /** runUntil runs deliveries, external events and the drivers' timers in time order up to `untilMs`. */
  runUntil(untilMs: number): void {
    // In slices: the manual clock drops fired and cancelled timers at the end of each advance,
    // so a long run at a 10 ms advert interval does not scan an ever longer timer list.
    while (this.clock.nowMs() + SLICE_MS < untilMs) this.clock.advance(SLICE_MS);
    this.clock.advanceTo(untilMs);
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

  /** wire delivers the advert a node sent to every other node after its latency, as it left the node. */
  private wire(from: number, data: Buffer, dst: string, src: string): void {
    const p = this.nodes[from]!.p;
    const decoded = decodeAdvert(wireDatagram(p, data, dst, src));
    if (!decoded.ok) throw new Error(`${p.name} sent a bad advert: ${decoded.reason} (${decoded.detail})`);
    const advert = decoded.value;
    this.nodes.forEach((n, to) => {
      if (to === from) return;
      this.clock.at(this.clock.nowMs() + this.latencyMs(from, to), () =>
        n.harness.driver.receive(advert, src),
      );
    });
  }

  private check(index: number, effects: readonly VrrpEffect[], state: VrrpState): void {
    const n = this.nodes[index];
    if (!n) return; // a step inside the constructor (none today)
    for (const effect of effects) {
      if (effect.type === 'add-vips') {
        if (n.vipsHeld) throw new Error(`${n.p.name}: add-vips while holding VIPs`);
        n.vipsHeld = true;
      } else if (effect.type === 'remove-vips') {
        if (!n.vipsHeld) throw new Error(`${n.p.name}: remove-vips without VIPs`);
        n.vipsHeld = false;
      }
    }
    if (n.vipsHeld !== (state.name === 'MASTER')) {
      throw new Error(`${n.p.name}: vipsHeld=${n.vipsHeld} in ${state.name}`);
    }
  }
}
