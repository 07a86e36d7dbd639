/**
 * Notifier is the one place transitions and alerts leave the daemon: notify scripts (serialised
 * per instance or group), the notify FIFOs, SMTP alerts, and split-brain alerts. The runner calls
 * it; it never blocks the runner (every method returns at once, the work is queued).
 *
 * Split brain (keepvip's own, see split-brain.ts): while an instance is MASTER the notifier
 * probes its first IPv4 VIP every `probeIntervalMs` (and at once on becoming master; with more
 * instances than the probe budget allows, less often and spread out) and takes
 * the adverts the runner reports. One alert per episode start and one per end: a log line, the
 * instance's `splitBrainEpisodes` counter, `notify` called with SPLIT_BRAIN / SPLIT_BRAIN_END as
 * the state, a FIFO line, and a mail when the instance's SMTP alerts are on.
 *
 * Notify and FIFO scripts follow the rules track scripts follow (keepalived's): they run as
 * `script_user` (else root), and with `enable_script_security` a script that would run as root
 * while a non-root user can modify it is not run (logged once as a SECURITY VIOLATION).
 */
import { hostname } from 'node:os';
import type { KeepvipConfig, NotifyCommands, VrrpInstance, VrrpSyncGroup } from '../config/model.js';
import type { Logger } from '../util/logger.js';
import { type Clock, systemClock, type TimerHandle } from '../util/clock.js';
import type { InstanceCounters } from '../util/counters.js';
import { type ScriptPolicy, scriptPolicy } from '../util/script-security.js';
import { fifoLine, NotifyFifo } from './fifo.js';
import {
  alertMail,
  MailQueue,
  type MailQueueOptions,
  type MailTransport,
  nodemailerTransport,
  smtpAlertEnabled,
  smtpAttemptTimeoutMs,
} from './mail.js';
import { commandsFor, type NotifyEvent, NotifyQueue, type NotifyState } from './notify-scripts.js';
import {
  type SplitBrainChange,
  SplitBrainDetector,
  type SplitBrainEvidence,
  splitBrainParams,
} from './split-brain.js';
import { type ArpProber, nativeArpProber, ProbeUnavailableError } from '../kernel/arp-probe.js';

/** DEFAULT_PROBE_INTERVAL_MS is the period of split-brain VIP probes while MASTER. */
export const DEFAULT_PROBE_INTERVAL_MS = 2000;

/**
 * PROBE_BUDGET_PER_S caps the split-brain ARP probes of the whole daemon: a probe frame crosses
 * the link in our context (~0.5 ms on a veth and bridge), and at 255 MASTER instances one every
 * 2 s each was 128 frames a second, more CPU than the adverts. With more instances than
 * PROBE_BUDGET_PER_S x 2 s, each instance is probed less often (255: every 10.2 s); adverts from
 * another master still count as evidence at once.
 */
export const PROBE_BUDGET_PER_S = 25;

/** probeIntervalFor is the probe period for a configuration: the default, or longer within the budget. */
export function probeIntervalFor(config: KeepvipConfig, baseMs: number): number {
  const probed = config.vrrpInstances.filter((i) =>
    i.virtualIpAddresses.some((v) => v.family === 'inet'),
  ).length;
  return Math.max(baseMs, Math.ceil((probed * 1000) / PROBE_BUDGET_PER_S));
}

/** staggerOf spreads instances' first probes over the period (a stable hash of the name). */
function staggerOf(name: string, periodMs: number): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return ((h >>> 0) % 1000) * (periodMs / 1000);
}

/** NotifierOptions are the notifier's collaborators; each has a real default. */
export interface NotifierOptions {
  clock?: Clock;
  /** countersFor finds an instance's counters (to count split-brain episodes). */
  countersFor?: (instance: string) => InstanceCounters | undefined;
  /** mailTransport replaces nodemailer (tests); null disables mail. */
  mailTransport?: MailTransport | null;
  mailQueue?: MailQueueOptions;
  /** prober replaces the kernel's ARP probe (tests); null disables VIP probes. */
  prober?: ArpProber | null;
  probeIntervalMs?: number;
  hostname?: string;
}

/** SplitBrainStatus is what `keepvip status` shows of an instance's split-brain detector. */
export interface SplitBrainStatus {
  episodes: number;
  active: boolean;
  lastEvidence?: SplitBrainEvidence;
}

interface MasterWatch {
  timer?: TimerHandle;
  stopped: boolean;
}

/** Notifier fans transitions out to scripts, FIFOs and mail, and watches for split brain. */
export class Notifier {
  private readonly scripts: NotifyQueue;
  private fifos: NotifyFifo[] = [];
  private mail: MailQueue | undefined;
  private readonly clock: Clock;
  private readonly prober: ArpProber | undefined;
  private readonly probeIntervalMs: number;
  private readonly host: string;
  private readonly detectors = new Map<string, SplitBrainDetector>();
  private readonly watches = new Map<string, MasterWatch>();
  private readonly priorities = new Map<string, number>();
  private probeUnavailableLogged = false;
  /** policies caches scriptPolicy per script string for the current configuration. */
  private readonly policies = new Map<string, ScriptPolicy>();

  constructor(
    private config: KeepvipConfig,
    private readonly log: Logger,
    private readonly options: NotifierOptions = {},
  ) {
    const g = config.globalDefs;
    this.clock = options.clock ?? systemClock;
    this.scripts = new NotifyQueue(log, g.notifyScriptTimeoutMs, this.clock);
    this.prober = options.prober === null ? undefined : (options.prober ?? nativeArpProber(this.clock));
    this.probeIntervalMs = probeIntervalFor(config, options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS);
    this.host = options.hostname ?? hostname();
    this.mail = this.mailQueueFor(config);
    this.fifos = this.openFifos(config);
  }

  /**
   * reconfigure takes a reloaded configuration: instances and groups are read from the calls
   * anyway; mail settings and FIFOs are rebuilt only when they changed (a mail in flight on
   * the old queue still goes out).
   */
  reconfigure(next: KeepvipConfig): void {
    const a = this.config.globalDefs;
    const b = next.globalDefs;
    const mailKey = (g: typeof a) =>
      JSON.stringify([g.smtpServer, g.smtpHeloName, g.smtpConnectTimeoutMs, g.notificationEmail.length > 0]);
    const fifoKey = (g: typeof a) =>
      JSON.stringify([g.notifyFifo, g.vrrpNotifyFifo, g.scriptUser, g.enableScriptSecurity]);
    this.config = next;
    this.policies.clear();
    if (mailKey(a) !== mailKey(b)) {
      void this.mail?.drain();
      this.mail = this.mailQueueFor(next);
    }
    if (fifoKey(a) !== fifoKey(b)) {
      for (const f of this.fifos.splice(0)) f.close();
      this.fifos = this.openFifos(next);
    }
  }

  private mailQueueFor(config: KeepvipConfig): MailQueue | undefined {
    const g = config.globalDefs;
    const o = this.options;
    const transport = o.mailTransport === null ? undefined : (o.mailTransport ?? nodemailerTransport(g));
    if (!transport || g.notificationEmail.length === 0) return undefined;
    return new MailQueue(transport, this.log, {
      clock: this.clock,
      attemptTimeoutMs: smtpAttemptTimeoutMs(g),
      ...o.mailQueue,
    });
  }

  /** policy is keepalived's user and security rule for one script string; a refusal is logged once. */
  private policy(script: string): ScriptPolicy {
    let p = this.policies.get(script);
    if (!p) {
      const g = this.config.globalDefs;
      p = scriptPolicy(script, g.scriptUser, g.enableScriptSecurity);
      this.policies.set(script, p);
      if (p.refused !== undefined) {
        this.log.error(`SECURITY VIOLATION - notify script ${script} is not run: ${p.refused}`);
      }
    }
    return p;
  }

  /** allowed drops the notify strings the policy refuses. */
  private allowed(notify: NotifyCommands): NotifyCommands {
    const out: NotifyCommands = {};
    for (const k of ['master', 'backup', 'fault', 'stop', 'any'] as const) {
      const script = notify[k];
      if (script !== undefined && this.policy(script).refused === undefined) out[k] = script;
    }
    return out;
  }

  private openFifos(config: KeepvipConfig): NotifyFifo[] {
    const g = config.globalDefs;
    const out: NotifyFifo[] = [];
    // keepalived writes every event to notify_fifo and VRRP events to vrrp_notify_fifo too.
    const seen = new Set<string>();
    for (const f of [g.notifyFifo, g.vrrpNotifyFifo]) {
      if (!f || seen.has(f.path)) continue;
      seen.add(f.path);
      const p = f.script === undefined ? undefined : this.policy(f.script);
      const script = p?.refused === undefined ? f.script : undefined;
      const fifo = NotifyFifo.open(f.path, script, this.log, { clock: this.clock, identity: p?.identity });
      if (fifo) out.push(fifo);
    }
    return out;
  }

  /** instanceTransition reports that an instance entered a state, with its effective priority. */
  instanceTransition(inst: VrrpInstance, state: NotifyState, priority: number): void {
    this.priorities.set(inst.name, priority);
    if (state !== 'MASTER') {
      this.stopWatch(inst.name);
      const ended = this.detectors.get(inst.name)?.leftMaster(this.clock.nowMs(), state);
      if (ended) this.splitBrainChange(inst, ended);
    }
    this.emitInstance(inst, state, priority);
    if (state === 'MASTER') this.startWatch(inst);
  }

  /** groupTransition reports that a vrrp_sync_group entered a state (keepalived: notify gets GROUP NAME STATE PRIORITY). */
  groupTransition(group: VrrpSyncGroup, state: NotifyState, priority: number): void {
    this.emit('GROUP', group.name, group.notify, group.smtpAlert, state, priority);
  }

  /** advertWhileMaster reports an advertisement an instance heard while it was MASTER (split-brain evidence). */
  advertWhileMaster(inst: VrrpInstance, priority: number, srcAddress: string): void {
    // Priority 0 is a master stepping down (RFC 5798 6.4.3), not a rival.
    if (priority === 0 || !this.watches.has(inst.name)) return;
    const change = this.detector(inst).evidence({ kind: 'advert', from: srcAddress }, this.clock.nowMs());
    if (change) this.splitBrainChange(inst, change);
  }

  /** splitBrainStatus is the split-brain view of one instance. */
  splitBrainStatus(name: string): SplitBrainStatus {
    const d = this.detectors.get(name);
    return { episodes: d?.episodes ?? 0, active: d?.active ?? false, lastEvidence: d?.lastEvidence };
  }

  /** mailStats are the SMTP alert counters (undefined when mail is off). */
  get mailStats() {
    return this.mail?.stats;
  }

  /** drain stops the probes and waits for queued scripts and mails (bounded by their own timeouts). */
  async drain(): Promise<void> {
    for (const name of [...this.watches.keys()]) this.stopWatch(name);
    await Promise.all([this.scripts.drain(), this.mail?.drain()]);
    for (const f of this.fifos.splice(0)) f.close();
  }

  private emitInstance(inst: VrrpInstance, event: NotifyEvent, priority: number, detail?: string): void {
    this.emit('INSTANCE', inst.name, inst.notify, inst.smtpAlert, event, priority, detail);
  }

  private emit(
    kind: 'INSTANCE' | 'GROUP',
    name: string,
    notify: NotifyCommands,
    smtpAlert: boolean | undefined,
    event: NotifyEvent,
    priority: number,
    detail?: string,
  ): void {
    const allowed = this.allowed(notify);
    const commands = commandsFor(allowed, kind, name, event, priority);
    // Every notify string of one configuration runs as the same script_user.
    const first = Object.values(allowed)[0];
    const identity = first === undefined ? undefined : this.policy(first).identity;
    if (commands.length > 0) void this.scripts.enqueue(`${kind}/${name}`, commands, identity);
    for (const fifo of this.fifos) fifo.write(fifoLine(kind, name, event, priority));
    const g = this.config.globalDefs;
    if (this.mail && smtpAlertEnabled(smtpAlert, g)) {
      const mail = alertMail(
        kind,
        name,
        event,
        { routerId: g.routerId, hostname: this.host, date: new Date() },
        detail,
      );
      if (mail) this.mail.enqueue({ ...mail, from: g.notificationEmailFrom, to: g.notificationEmail });
    }
  }

  private detector(inst: VrrpInstance): SplitBrainDetector {
    let d = this.detectors.get(inst.name);
    if (!d) {
      d = new SplitBrainDetector(splitBrainParams(inst.advertIntervalMs, this.probeIntervalMs));
      this.detectors.set(inst.name, d);
    }
    return d;
  }

  private splitBrainChange(inst: VrrpInstance, change: SplitBrainChange): void {
    const priority = this.priorities.get(inst.name) ?? inst.priority;
    if (change.type === 'started') {
      const e = change.evidence;
      const detail =
        e.kind === 'arp'
          ? `VIP answered by another host (MAC ${e.from})`
          : `advertisements from another master (${e.from})`;
      const counters = this.options.countersFor?.(inst.name);
      if (counters) counters.splitBrainEpisodes++;
      this.log.warn(`(${inst.name}) split brain detected on VRID ${inst.virtualRouterId}: ${detail}`);
      this.emitInstance(inst, 'SPLIT_BRAIN', priority, detail);
    } else {
      const detail = `${change.reason}; lasted ${Math.round(change.durationMs)} ms`;
      this.log.warn(`(${inst.name}) split brain ended: ${detail}`);
      this.emitInstance(inst, 'SPLIT_BRAIN_END', priority, detail);
    }
  }

  private startWatch(inst: VrrpInstance): void {
    this.stopWatch(inst.name);
    const watch: MasterWatch = { stopped: false };
    this.watches.set(inst.name, watch);
    this.detector(inst);
    const vip = inst.virtualIpAddresses.find((v) => v.family === 'inet');
    const round = async () => {
      if (watch.stopped) return;
      const detector = this.detector(inst);
      const tick = detector.tick(this.clock.nowMs());
      if (tick) this.splitBrainChange(inst, tick);
      if (vip && this.prober && !this.probeUnavailableLogged) {
        const macs = await this.prober.probe(vip.dev ?? inst.interface, vip.address).catch((err: Error) => {
          if (err instanceof ProbeUnavailableError) {
            if (!this.probeUnavailableLogged)
              this.log.warn(`split-brain VIP probes disabled: ${err.message}`);
            this.probeUnavailableLogged = true;
          } else {
            this.log.debug(`(${inst.name}) VIP probe failed: ${err.message}`);
          }
          return [] as string[];
        });
        if (watch.stopped) return;
        for (const mac of macs) {
          const change = detector.evidence({ kind: 'arp', from: mac }, this.clock.nowMs());
          if (change) this.splitBrainChange(inst, change);
        }
      }
      if (watch.stopped) return;
      watch.timer = this.clock.at(this.clock.nowMs() + this.probeIntervalMs, () => void round());
    };
    // The first probe at once when the probes are few; spread over the period when they are
    // rationed (255 instances becoming MASTER together must not send 255 frames in one turn).
    if (this.probeIntervalMs <= (this.options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS)) void round();
    else
      watch.timer = this.clock.at(
        this.clock.nowMs() + staggerOf(inst.name, this.probeIntervalMs),
        () => void round(),
      );
  }

  private stopWatch(name: string): void {
    const w = this.watches.get(name);
    if (!w) return;
    w.stopped = true;
    w.timer?.cancel();
    this.watches.delete(name);
  }
}
