/**
 * DriverHarness runs the real InstanceDriver for one instance on the manual clock
 * (src/util/manual-clock.ts) with the fake kernel port (fake-kernel.ts), and records every
 * step's effects with its time, so state machine tests see exactly when the driver's own
 * armed timer fired. instanceFor() turns VrrpInstanceParams into the VrrpInstance the driver
 * runs (ONE_INSTANCE_V3 with the parameters applied; the driver must derive the same params).
 */
import { loadConfigText } from '../../../src/config/load.js';
import type { GlobalDefs, VrrpInstance } from '../../../src/config/model.js';
import { InstanceDriver } from '../../../src/runner/instance.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import type {
  VrrpEffect,
  VrrpEvent,
  VrrpInstanceParams,
  VrrpState,
} from '../../../src/vrrp/state-machine.js';
import { checkInvariants } from '../vrrp/params.js';
import { FakeKernel, ONE_INSTANCE_V3 } from './fake-kernel.js';

/** RecordedEffect is an effect with the time it was produced. */
export interface RecordedEffect {
  atMs: number;
  effect: VrrpEffect;
}

const base = loadConfigText(ONE_INSTANCE_V3, 'test.conf').config!;

/** GLOBALS are ONE_INSTANCE_V3's global_defs (multicast groups 224.0.0.18 and ff02::12). */
export const GLOBALS: GlobalDefs = base.globalDefs;

/** instanceFor is ONE_INSTANCE_V3's instance with the parameters' settings (an IPv6 VIP for inet6). */
export function instanceFor(p: VrrpInstanceParams): VrrpInstance {
  const inst = base.vrrpInstances[0]!;
  const vip = inst.virtualIpAddresses[0]!;
  return {
    ...inst,
    name: p.name,
    version: p.version,
    priority: p.priority,
    advertIntervalMs: p.advertIntervalMs,
    nopreempt: !p.preempt,
    preemptDelayMs: p.preemptDelayMs,
    family: p.family,
    handoff: p.handoff,
    initialState: p.initialState,
    virtualIpAddresses: [
      p.family === 'inet' ? vip : { ...vip, address: 'fd00::7', family: 'inet6', prefixLength: 128 },
    ],
  };
}

/** HarnessOptions share a clock and a kernel between harnesses, and observe sent adverts. */
export interface HarnessOptions {
  clock?: ManualClock;
  kernel?: FakeKernel;
  /** send replaces the kernel's socket send (sim-network.ts puts adverts on its simulated wire). */
  send?: (data: Buffer, dst: string, src: string) => Promise<void>;
  /** onStep sees every step after the harness recorded it. */
  onStep?: (effects: readonly VrrpEffect[], state: VrrpState) => void;
}

/** DriverHarness drives one real InstanceDriver and records its steps. */
export class DriverHarness {
  readonly driver: InstanceDriver;
  readonly clock: ManualClock;
  readonly kernel: FakeKernel;
  readonly log: RecordedEffect[] = [];
  private last: VrrpState;

  constructor(
    readonly p: VrrpInstanceParams,
    o: HarnessOptions = {},
  ) {
    this.clock = o.clock ?? new ManualClock(0);
    const kernel = o.kernel ?? new FakeKernel(p.localAddress);
    this.kernel = kernel;
    this.driver = new InstanceDriver({
      instance: instanceFor(p),
      globals: GLOBALS,
      localAddress: p.localAddress,
      io: {
        send:
          o.send ??
          (async (data, dst) => void kernel.sent.push({ ifname: 'eth0', family: p.family, data, dst })),
        addAddress: (v) => kernel.addAddress(v),
        deleteAddress: (v) => kernel.deleteAddress(v),
        announce: (ifname, vips, repeat) => kernel.announce(ifname, vips, repeat),
      },
      clock: this.clock,
      log: silentLogger,
      handoff: p.handoff,
      onStep: ({ nowMs, state, effects }) => {
        checkInvariants(state, nowMs);
        this.last = state;
        for (const effect of effects) this.log.push({ atMs: nowMs, effect });
        o.onStep?.(effects, state);
      },
    });
    this.last = this.driver.protocolState;
    const derived = this.driver.params;
    for (const k of Object.keys(p) as (keyof VrrpInstanceParams)[])
      if (derived[k] !== p[k]) throw new Error(`driver derived ${k}=${derived[k]}, wanted ${p[k]}`);
  }

  /** state is the state machine's state after the last step. */
  get state(): VrrpState {
    return this.last;
  }

  /**
   * send feeds one event through the driver's own entry points (start, receive, setFault,
   * setPriority, followGroup; a bare shutdown or timer through handle) and returns its effects.
   */
  send(event: VrrpEvent): VrrpEffect[] {
    const from = this.log.length;
    const d = this.driver;
    switch (event.type) {
      case 'startup':
        d.start();
        break;
      case 'advert':
        d.receive(
          {
            version: this.p.version,
            vrid: 7,
            priority: event.priority,
            advertIntervalMs: event.advertIntervalMs,
            addresses: [],
            authType: 0,
          },
          event.srcAddress,
        );
        break;
      case 'fault':
      case 'fault-cleared':
        d.setFault(event.type === 'fault');
        break;
      case 'sync-master':
      case 'sync-backup':
        d.followGroup(event.group, event.type === 'sync-master' ? 'MASTER' : 'BACKUP');
        break;
      default:
        d.handle(event);
    }
    return this.log.slice(from).map((r) => r.effect);
  }

  /** advert delivers an advertisement (interval defaults to ours). */
  advert(priority: number, srcAddress: string, advertIntervalMs = this.p.advertIntervalMs): VrrpEffect[] {
    return this.send({ type: 'advert', priority, advertIntervalMs, srcAddress });
  }

  /** advanceTo moves the manual clock to `ms`: the driver's armed timers fire on the way, each at its deadline. */
  advanceTo(ms: number): void {
    this.clock.advanceTo(ms);
  }

  /** advance moves the clock forward by `ms`. */
  advance(ms: number): void {
    this.clock.advance(ms);
  }

  /** effects lists the recorded effects of one type (optionally since a time). */
  effects<T extends VrrpEffect['type']>(type: T, sinceMs = -1): Extract<VrrpEffect, { type: T }>[] {
    return this.log
      .filter((r) => r.atMs >= sinceMs && r.effect.type === type)
      .map((r) => r.effect as Extract<VrrpEffect, { type: T }>);
  }

  /** messages lists the log lines produced so far. */
  messages(): string[] {
    return this.effects('log').map((e) => e.message);
  }

  /** timeOf returns when the first transition to `to` happened, or undefined. */
  timeOf(to: VrrpState['name']): number | undefined {
    return this.log.find((r) => r.effect.type === 'transition' && r.effect.to === to)?.atMs;
  }
}

/** drive builds a harness and feeds it events at absolute times, the driver's timers firing in between. */
export function drive(p: VrrpInstanceParams, events: { atMs: number; event: VrrpEvent }[]): DriverHarness {
  const d = new DriverHarness(p);
  for (const { atMs, event } of events) {
    d.advanceTo(atMs);
    d.send(event);
  }
  return d;
}
