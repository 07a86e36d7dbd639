/**
 * vrrp_sync_group NAME { group { VI_1 VI_2 } track_script {...} notify_* smtp_alert }
 * (keepalived.conf(5) "VRRP synchronization group(s)").
 */
import type { Statement } from '../ast.js';
import type { NotifyCommands, VrrpSyncGroup } from '../model.js';
import {
  type BuildContext,
  type Handler,
  listWords,
  readBool,
  readCommand,
  requireArg,
  walkBlock,
} from './values.js';
import { readTrackList } from './track-refs.js';

const setCommand =
  (key: keyof NotifyCommands): Handler<VrrpSyncGroup> =>
  (ctx, st, g) => {
    const cmd = readCommand(ctx, st);
    if (cmd !== undefined) g.notify[key] = cmd;
  };

const handlers: Record<string, Handler<VrrpSyncGroup>> = {
  group(_ctx, st, g) {
    g.members.push(...listWords(st).map((w) => w.text));
  },
  track_script(ctx, st, g) {
    g.trackScripts.push(...readTrackList(ctx, st, 253));
  },
  track_interface(ctx, st, g) {
    g.trackInterfaces.push(...readTrackList(ctx, st, 254));
  },
  track_file(ctx, st, g) {
    g.trackFiles.push(...readTrackList(ctx, st, 254));
  },
  track_process(ctx, st, g) {
    g.trackProcesses.push(...readTrackList(ctx, st, 254));
  },
  notify_master: setCommand('master'),
  notify_backup: setCommand('backup'),
  notify_fault: setCommand('fault'),
  notify_stop: setCommand('stop'),
  notify: setCommand('any'),
  smtp_alert(ctx, st, g) {
    g.smtpAlert = readBool(ctx, st);
  },
  global_tracking(ctx, st) {
    ctx.sink.warning(
      st.keyword.pos,
      'deprecated-keyword',
      'global_tracking is obsolete in keepalived 2.x; ignored',
    );
  },
};

/** buildSyncGroup reads one vrrp_sync_group block; members are checked against instances in validate. */
export function buildSyncGroup(ctx: BuildContext, st: Statement): VrrpSyncGroup | undefined {
  const name = requireArg(ctx, st, 0, 'a name');
  if (name === undefined) return undefined;
  const group: VrrpSyncGroup = {
    name: name.text,
    members: [],
    trackScripts: [],
    trackInterfaces: [],
    trackFiles: [],
    trackProcesses: [],
    notify: {},
    pos: st.keyword.pos,
  };
  walkBlock(ctx, st.block, handlers, group, `vrrp_sync_group ${name.text}`);
  return group;
}
