/**
 * The top level of keepalived.conf: dispatches each block to its builder and assembles the
 * KeepvipConfig. Cross-object checks (references, duplicate VRIDs) live in ../validate.ts.
 */
import type { Statement } from '../ast.js';
import type { KeepvipConfig } from '../model.js';
import { buildGlobalDefs } from './global-defs.js';
import { buildVirtualServerGroup } from './lvs-globals.js';
import { UNSUPPORTED_TOP } from './keywords.js';
import { buildNginxUpstream, checkNginxUpstreams } from './nginx-upstream.js';
import { buildSyncGroup } from './sync-group.js';
import { buildTrackFile } from './track-file.js';
import { buildTrackProcess } from './track-process.js';
import { type BuildContext, requireBlock, unknownKeyword, warnUnsupported } from './values.js';
import { buildVirtualServer, checkVirtualServers } from './virtual-server.js';
import { buildVrrpInstance } from './vrrp-instance.js';
import { buildVrrpScript } from './vrrp-script.js';

/** BLOCK_KEYWORDS are the top-level keywords that must have a `{ ... }` block. */
const BLOCK_KEYWORDS = new Set([
  'global_defs',
  'vrrp_script',
  'track_file',
  'vrrp_track_file',
  'vrrp_track_process',
  'vrrp_instance',
  'vrrp_sync_group',
  'virtual_server',
  'virtual_server_group',
  'nginx_upstream',
]);

/** buildConfig turns the statements of a whole configuration into the typed model (before validation). */
export function buildConfig(
  ctx: BuildContext,
  statements: readonly Statement[],
  files: string[],
): KeepvipConfig {
  const globalBlocks: Statement[] = [];
  const rest: Statement[] = [];
  for (const st of statements) {
    const kw = st.keyword.text;
    if (BLOCK_KEYWORDS.has(kw)) {
      if (requireBlock(ctx, st) === undefined) continue;
      if (kw === 'global_defs') globalBlocks.push(st);
      else rest.push(st);
    } else if (UNSUPPORTED_TOP.has(kw)) warnUnsupported(ctx, st, 'the top level');
    else unknownKeyword(ctx, st, 'the top level');
  }
  // global_defs is read first wherever it stands: instances inherit vrrp_version and the GARP settings.
  const config: KeepvipConfig = {
    files,
    globalDefs: buildGlobalDefs(ctx, globalBlocks),
    vrrpScripts: [],
    trackFiles: [],
    trackProcesses: [],
    vrrpInstances: [],
    vrrpSyncGroups: [],
    virtualServers: [],
    nginxUpstreams: [],
  };
  for (const st of rest) {
    switch (st.keyword.text) {
      case 'vrrp_script': {
        const s = buildVrrpScript(ctx, st);
        if (s) config.vrrpScripts.push(s);
        break;
      }
      case 'vrrp_track_file':
      case 'track_file': {
        if (st.keyword.text === 'vrrp_track_file') {
          ctx.sink.warning(
            st.keyword.pos,
            'deprecated-keyword',
            'vrrp_track_file is the deprecated name of track_file',
          );
        }
        const t = buildTrackFile(ctx, st);
        if (t) config.trackFiles.push(t);
        break;
      }
      case 'vrrp_track_process': {
        const t = buildTrackProcess(ctx, st);
        if (t) config.trackProcesses.push(t);
        break;
      }
      case 'vrrp_instance': {
        const i = buildVrrpInstance(ctx, st, config.globalDefs);
        if (i) config.vrrpInstances.push(i);
        break;
      }
      case 'vrrp_sync_group': {
        const g = buildSyncGroup(ctx, st);
        if (g) config.vrrpSyncGroups.push(g);
        break;
      }
      case 'virtual_server': {
        const v = buildVirtualServer(ctx, st);
        if (v) config.virtualServers.push(v);
        break;
      }
      case 'virtual_server_group': {
        const g = buildVirtualServerGroup(ctx, st);
        if (g) {
          config.virtualServerGroups ??= [];
          config.virtualServerGroups.push(g);
        }
        break;
      }
      case 'nginx_upstream': {
        const u = buildNginxUpstream(ctx, st);
        if (u) config.nginxUpstreams.push(u);
        break;
      }
    }
  }
  checkVirtualServers(ctx, config);
  checkNginxUpstreams(ctx, config);
  return config;
}
