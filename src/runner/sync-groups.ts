/**
 * SyncGroups moves the members of a vrrp_sync_group together: a member that becomes MASTER, or
 * leaves MASTER for BACKUP, makes the other members follow (`sync-master` / `sync-backup`
 * events; the followers' own transitions do not fan out again), a member's fault faults the
 * group, and the group's notify scripts run once per group state, not once per member.
 */
import type { KeepvipConfig, VrrpSyncGroup } from '../config/model.js';
import type { NotifyState } from '../notify/notify-scripts.js';
import type { InstanceDriver, TransitionRecord } from './instance.js';

/** notifyStateOf maps a protocol state to the state word notify scripts get. */
export function notifyStateOf(state: string): NotifyState | undefined {
  if (state === 'MASTER' || state === 'BACKUP' || state === 'FAULT') return state;
  return state === 'STOPPED' ? 'STOP' : undefined;
}

/** SyncGroupsOptions give the groups the running drivers and the group notify hook. */
export interface SyncGroupsOptions {
  drivers: ReadonlyMap<string, InstanceDriver>;
  /** groupTransition runs the group's notify scripts (Notifier.groupTransition). */
  groupTransition(group: VrrpSyncGroup, state: NotifyState, priority: number): void;
}

/** SyncGroups indexes the vrrp_sync_groups of the configuration in force and fans transitions out. */
export class SyncGroups {
  private readonly groupOfMember = new Map<string, VrrpSyncGroup>();
  private readonly groupState = new Map<string, NotifyState>();
  private syncing = false;

  constructor(private readonly o: SyncGroupsOptions) {}

  /** index re-reads the groups (start-up and every reload). */
  index(config: KeepvipConfig): void {
    this.groupOfMember.clear();
    for (const g of config.vrrpSyncGroups) for (const m of g.members) this.groupOfMember.set(m, g);
  }

  /** groupOf is the vrrp_sync_group an instance belongs to, if any. */
  groupOf(name: string): VrrpSyncGroup | undefined {
    return this.groupOfMember.get(name);
  }

  /**
   * memberFaults names the other members of an instance's group that are faulty (keepalived: a
   * sync group is in FAULT while any member is); `faulty` tells a member's own fault.
   */
  memberFaults(name: string, faulty: (member: string) => boolean): string[] {
    const group = this.groupOfMember.get(name);
    const out: string[] = [];
    for (const m of group?.members ?? [])
      if (m !== name && faulty(m)) out.push(`sync group ${group!.name} member ${m}`);
    return out;
  }

  /** follow moves the other members of a vrrp_sync_group with one that became or left MASTER. */
  follow(name: string, t: TransitionRecord, priority: number): void {
    const group = this.groupOfMember.get(name);
    if (!group) return;
    // The group's own notify scripts run once per group state change, not once per member.
    const groupState = notifyStateOf(t.to);
    if (groupState && this.groupState.get(group.name) !== groupState) {
      this.groupState.set(group.name, groupState);
      this.o.groupTransition(group, groupState, priority);
    }
    if (this.syncing) return;
    const to = t.to === 'MASTER' ? 'MASTER' : t.from === 'MASTER' && t.to === 'BACKUP' ? 'BACKUP' : undefined;
    if (!to) return;
    this.syncing = true;
    try {
      for (const m of group.members) {
        if (m !== name) this.o.drivers.get(m)?.followGroup(group.name, to);
      }
    } finally {
      this.syncing = false;
    }
  }
}
