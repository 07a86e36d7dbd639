/**
 * The typed, validated configuration model. Every value is resolved to keepalived 2.2.7's
 * default when the file does not set it, and converted to host units: times in milliseconds
 * (`...Ms`), addresses as strings in canonical form. Components read only this model, never
 * the syntax tree. Every object made from a statement keeps `pos` for messages.
 *
 * The types live in model/ by concept: common, globals, vrrp (instances, sync groups, virtual
 * addresses, routes, rules), track, checkers, lvs, nginx; this file holds the root and re-exports
 * them, so importers name only config/model.js.
 */
import type { GlobalDefs } from './model/globals.js';
import type { VirtualServer, VirtualServerGroup } from './model/lvs.js';
import type { NginxUpstream } from './model/nginx.js';
import type { TrackFileDef, TrackProcessDef, VrrpScript } from './model/track.js';
import type { VrrpInstance, VrrpSyncGroup } from './model/vrrp.js';

export type * from './model/checkers.js';
export type * from './model/common.js';
export type * from './model/globals.js';
export type * from './model/lvs.js';
export type * from './model/nginx.js';
export type * from './model/track.js';
export type * from './model/vrrp.js';

/** KeepvipConfig is the whole resolved configuration. */
export interface KeepvipConfig {
  /** files lists every file that was read, the main file first. */
  files: string[];
  globalDefs: GlobalDefs;
  vrrpScripts: VrrpScript[];
  trackFiles: TrackFileDef[];
  /** trackProcesses are the `vrrp_track_process` blocks. */
  trackProcesses: TrackProcessDef[];
  vrrpInstances: VrrpInstance[];
  vrrpSyncGroups: VrrpSyncGroup[];
  virtualServers: VirtualServer[];
  /** virtualServerGroups are the `virtual_server_group NAME { ... }` blocks (LVS). */
  virtualServerGroups?: VirtualServerGroup[];
  /** nginxUpstreams are keepvip's `nginx_upstream NAME { ... }` blocks (src/nginx/ renders them). */
  nginxUpstreams: NginxUpstream[];
}
