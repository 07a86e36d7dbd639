/**
 * The state machine's types: parameters, state, events, effects (see ../state-machine.ts).
 */
import type { VrrpVersion } from '../packet.js';

/** VrrpStateName is the protocol state; FAULT and STOPPED are keepalived's, INIT is RFC 5798's Initialize. */
export type VrrpStateName = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOPPED';

/**
 * VrrpTimer names the one armed timer: RFC 5798's Adver_Timer (MASTER) and Master_Down_Timer
 * (BACKUP), and keepvip's release timer (a MASTER stopping in `fast` mode, holding its VIPs
 * until it hears the new master).
 */
export type VrrpTimer = 'adver' | 'master-down' | 'release';

/** HandoffMode chooses keepvip's fast hand-off (default) or strict RFC timing. */
export type HandoffMode = 'fast' | 'rfc';

/** VrrpInstanceParams are the fixed settings of one instance, resolved from the configuration. */
export interface VrrpInstanceParams {
  /** name is the vrrp_instance name, used in every log line as "(NAME)". */
  name: string;
  version: VrrpVersion;
  /** priority is the configured priority 1..255; 255 is the address owner. */
  priority: number;
  /** advertIntervalMs is our Advertisement_Interval. */
  advertIntervalMs: number;
  /** advertPhaseMs is where in the interval periodic adverts go (timers.ts advertPhaseMs; 0 if unset). */
  advertPhaseMs?: number;
  /** preempt is RFC 5798's Preempt_Mode (keepalived: false with `nopreempt`). */
  preempt: boolean;
  /** preemptDelayMs is keepalived's preempt_delay (0 = none). */
  preemptDelayMs: number;
  /** localAddress is the primary address we send from, for the equal-priority tie-break (RFC 5798 6.4.3). */
  localAddress: string;
  family: 'inet' | 'inet6';
  handoff: HandoffMode;
  /** initialState is keepalived's `state`; only an address owner starts as MASTER at once. */
  initialState: 'MASTER' | 'BACKUP';
}

/** VrrpState is everything the machine remembers between steps; treat it as immutable. */
export interface VrrpState {
  readonly name: VrrpStateName;
  /** priority is the effective priority (tracking may change it; a 255 owner's never changes). */
  readonly priority: number;
  /** deadlineMs is the absolute monotonic deadline of the one armed timer, or undefined. */
  readonly deadlineMs?: number;
  readonly timer?: VrrpTimer;
  /** masterAdvertIntervalMs is Master_Adver_Interval (v3: learnt from the master; v2: ours). */
  readonly masterAdvertIntervalMs: number;
  /** masterAddress and masterPriority describe the master last heard (ours when MASTER). */
  readonly masterAddress?: string;
  readonly masterPriority?: number;
  /** preemptDelayUntilMs is keepalived's preempt_time: until then a lower-priority master is accepted. */
  readonly preemptDelayUntilMs?: number;
}

/** VrrpEvent is an input to the machine. */
export type VrrpEvent =
  | { type: 'startup' }
  | { type: 'shutdown' }
  /** advert is a decoded advertisement that passed the packet and per-instance checks. */
  | { type: 'advert'; priority: number; advertIntervalMs: number; srcAddress: string }
  /** timer: the runner calls this when now >= deadlineMs. */
  | { type: 'timer' }
  /** fault / fault-cleared: interface carrier or tracking says the instance is (no longer) faulty. */
  | { type: 'fault' }
  | { type: 'fault-cleared' }
  /** priority is a new effective priority from tracking. */
  | { type: 'priority'; priority: number }
  /**
   * sync-master / sync-backup: another member of this instance's vrrp_sync_group became MASTER
   * or left MASTER, and the group moves together (keepalived's sync group semantics).
   */
  | { type: 'sync-master'; group: string }
  | { type: 'sync-backup'; group: string };

/** VrrpEffect is an action the runner carries out, in order. */
export type VrrpEffect =
  /** send-advert: encode and send an advertisement with this priority (0 when stopping). */
  | { type: 'send-advert'; priority: number }
  /** add-vips: add the VIPs, then announce them (gratuitous ARP / unsolicited NA). */
  | { type: 'add-vips' }
  /**
   * remove-vips: release the VIPs. `yieldedTo` names the new master when we release because we
   * heard it (a higher priority, or its advert while stopping): in fast mode the runner may then
   * keep answering briefly until that master's gratuitous ARPs have moved the clients.
   */
  | { type: 'remove-vips'; yieldedTo?: string }
  | { type: 'transition'; from: VrrpStateName; to: VrrpStateName; reason: string }
  | { type: 'log'; level: 'info' | 'debug' | 'warn'; message: string };

/** StepResult is the next state and the effects to carry out. */
export interface StepResult {
  state: VrrpState;
  effects: VrrpEffect[];
}

/** Ctx carries what every handler needs for one step (internal to the machine). */
export interface Ctx {
  readonly p: VrrpInstanceParams;
  readonly now: number;
  readonly out: VrrpEffect[];
}

/** AdvertEvent is the `advert` event. */
export type AdvertEvent = Extract<VrrpEvent, { type: 'advert' }>;
