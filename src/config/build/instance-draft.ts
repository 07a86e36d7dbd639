/**
 * InstanceDraft is a vrrp_instance while its keywords are read (./instance-keywords.ts): what
 * the file did not set stays undefined until ./vrrp-instance.ts completes it with keepalived's rules.
 */
import type { SourcePos, Statement, Word } from '../ast.js';
import type { GarpSettings, NotifyCommands, TrackRef, VirtualIpAddress } from '../model.js';

/** InstanceDraft is an instance while it is read: what the file did not set stays undefined. */
export interface InstanceDraft {
  name: string;
  pos: SourcePos;
  state?: 'MASTER' | 'BACKUP';
  interface?: string;
  vrid?: number;
  /** vridBad: virtual_router_id was written but invalid (already reported). */
  vridBad: boolean;
  priority?: number;
  advertS?: number;
  advertWord?: Word;
  version?: 2 | 3;
  versionWord?: Word;
  auth: { type?: 'PASS' | 'AH'; typeWord?: Word; password?: string; pos?: SourcePos };
  vips: VirtualIpAddress[];
  excluded: VirtualIpAddress[];
  /** routeLines / ruleLines are read at completion, when the instance's family is known. */
  routeLines: Statement[];
  ruleLines: Statement[];
  trackScripts: TrackRef[];
  trackInterfaces: TrackRef[];
  trackFiles: TrackRef[];
  trackProcesses: TrackRef[];
  handoff?: 'fast' | 'rfc';
  nopreempt?: Word;
  preemptDelayMs: number;
  unicastSrcIp?: string;
  unicastPeers: string[];
  unicastPeerTtl: Record<string, { min: number; max: number }>;
  unicastWord?: Word;
  mcastSrcIp?: string;
  notify: NotifyCommands;
  smtpAlert?: boolean;
  garp: Partial<GarpSettings>;
  accept?: boolean;
  promoteSecondaries: boolean;
  dontTrackPrimary: boolean;
  /** useVmac: `use_vmac [NAME]` was written ('' without a name: vrrp.VRID at completion). */
  useVmac?: string;
  vmacXmitBase?: boolean;
  /** lvsSyncInterface is the 1.x `lvs_sync_daemon_interface IFACE` (statement), mapped onto global lvs_sync_daemon. */
  lvsSyncInterface?: Statement;
}

/** newInstanceDraft is an empty draft for `vrrp_instance NAME` at pos. */
export function newInstanceDraft(name: string, pos: SourcePos): InstanceDraft {
  return {
    name,
    pos,
    vridBad: false,
    auth: {},
    vips: [],
    excluded: [],
    routeLines: [],
    ruleLines: [],
    trackScripts: [],
    trackInterfaces: [],
    trackFiles: [],
    trackProcesses: [],
    preemptDelayMs: 0,
    unicastPeers: [],
    unicastPeerTtl: {},
    notify: {},
    garp: {},
    promoteSecondaries: false,
    dontTrackPrimary: false,
  };
}
