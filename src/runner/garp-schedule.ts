/**
 * GarpSchedule announces an instance's addresses with gratuitous ARPs (IPv4) or unsolicited
 * neighbour advertisements (IPv6) in keepalived's pattern: on becoming MASTER a burst of
 * garp_master_repeat now and another after garp_master_delay, then garp_master_refresh_repeat
 * every garp_master_refresh; on a lower-priority advert heard as MASTER, garp_lower_prio_repeat
 * now and again after garp_lower_prio_delay. Every timer is on the injected clock and cancel()
 * stops them all (leaving MASTER).
 */
import type { VrrpInstance } from '../config/model.js';
import type { VipSpec } from '../kernel/port.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { InstanceIo } from './instance-io.js';

/** GarpScheduleOptions give the schedule its settings, addresses and the kernel's announce. */
export interface GarpScheduleOptions {
  instance: VrrpInstance;
  /** addresses are every held address: VIPs and excluded addresses. */
  addresses: VipSpec[];
  io: Pick<InstanceIo, 'announce'>;
  clock: Clock;
  log: Logger;
}

/** GarpSchedule sends and schedules one instance's announcement bursts. */
export class GarpSchedule {
  private timers: TimerHandle[] = [];

  constructor(private readonly o: GarpScheduleOptions) {}

  /** pending is the number of armed GARP timers (tests: refreshes must not pile up). */
  get pending(): number {
    return this.timers.length;
  }

  /** becameMaster sends keepalived's announcement pattern: a burst now, another after garp_master_delay, then refreshes. */
  becameMaster(): void {
    const { clock } = this.o;
    const g = this.o.instance.garp;
    const burst = (repeat: number) => this.burst(repeat);
    this.cancel();
    burst(g.masterRepeat);
    const now = clock.nowMs();
    if (g.masterDelayMs > 0) {
      this.timers.push(clock.at(now + g.masterDelayMs, () => burst(g.masterRepeat)));
    }
    if (g.masterRefreshMs > 0) {
      // One refresh timer at a time: the slot is re-armed, not appended (they used to pile up).
      const slot = this.timers.length;
      const refresh = (at: number) => {
        this.timers[slot] = clock.at(at, () => {
          burst(g.masterRefreshRepeat);
          refresh(at + g.masterRefreshMs);
        });
      };
      refresh(now + g.masterRefreshMs);
    }
  }

  /**
   * heardLowerPriority is keepalived's answer to a lower-priority advert heard as MASTER
   * (vrrp_state_master_rx): besides the advert the state machine sends, garp_lower_prio_repeat
   * gratuitous ARPs at once and as many again after garp_lower_prio_delay (if still MASTER then),
   * so hosts that followed the other router's ARPs come back.
   */
  heardLowerPriority(stillMaster: () => boolean): void {
    const { clock } = this.o;
    const g = this.o.instance.garp;
    if (g.lowerPrioRepeat <= 0) return;
    this.burst(g.lowerPrioRepeat);
    if (g.lowerPrioDelayMs > 0) {
      const at = clock.nowMs() + g.lowerPrioDelayMs;
      this.timers.push(
        clock.at(at, () => {
          if (stillMaster()) this.burst(g.lowerPrioRepeat);
        }),
      );
    }
  }

  /** cancel stops every scheduled burst. */
  cancel(): void {
    for (const t of this.timers.splice(0)) t.cancel();
  }

  /** burst sends one burst of `repeat` gratuitous ARPs / unsolicited NAs for every held address, per device. */
  private burst(repeat: number): void {
    const inst = this.o.instance;
    const byDev = new Map<string, VipSpec[]>();
    for (const v of this.o.addresses) byDev.set(v.dev, [...(byDev.get(v.dev) ?? []), v]);
    for (const [dev, vips] of byDev) {
      const what = inst.family === 'inet' ? 'gratuitous ARPs' : 'unsolicited neighbour advertisements';
      this.o.log.info(
        `(${inst.name}) Sending/queueing ${what} on ${dev} for ${vips.map((v) => v.address).join(' ')}`,
      );
      this.o.io.announce(dev, vips, repeat, inst.garp.intervalMs).catch((err: Error) => {
        this.o.log.warn(`(${inst.name}) announcing VIPs on ${dev} failed: ${err.message}`);
      });
    }
  }
}
