/**
 * One nginx_upstream from configuration to file content: pool → context → template. Shared by
 * the daemon (NginxSync) and `keepvip render`.
 */
import type { KeepvipConfig, NginxUpstream } from '../config/model.js';
import { type HealthView, upstreamContext } from './context.js';
import { resolvePool } from './pool.js';
import { renderTemplateFile } from './render.js';

/** renderUpstream renders an upstream's file with the given health (members without an entry are up). */
export function renderUpstream(
  up: NginxUpstream,
  config: Pick<KeepvipConfig, 'virtualServers'>,
  health: HealthView = new Map(),
): string {
  const context = upstreamContext(up, resolvePool(up, config), health);
  return renderTemplateFile(up.template, context, up.templateDir);
}
