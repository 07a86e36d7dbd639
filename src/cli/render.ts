/**
 * `keepvip render [-f FILE] [--dry-run] [--diff] [--upstream NAME]`: render each nginx_upstream
 * of a configuration once, with every health-checked server taken as up, show what changes,
 * and (without --dry-run) apply it safely: nginx -t on the top-level config, atomic rename,
 * reload, the previous file restored on failure. Exit codes: 0 done or nothing to do,
 * 1 a render or apply failed, 4 the configuration has errors.
 */
import { formatDiagnostic } from '../config/diagnostics.js';
import { loadConfig } from '../config/load.js';
import { applyRendered } from '../nginx/apply.js';
import { unifiedDiff } from '../nginx/diff.js';
import { fsPorts } from '../nginx/fs-ports.js';
import { renderUpstream } from '../nginx/upstream.js';

/** RenderCliOptions are the parsed options of `keepvip render`. */
export interface RenderCliOptions {
  useFile: string;
  dryRun?: boolean;
  diff?: boolean;
  upstream?: string;
  configId?: string;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

/** RENDER_EXIT are runRender's exit codes. */
export const RENDER_EXIT = { ok: 0, failed: 1, configErrors: 4 } as const;

/** runRender renders (and unless dry-run applies) every selected nginx_upstream; returns the exit code. */
export async function runRender(o: RenderCliOptions): Promise<number> {
  const out = o.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = o.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const loaded = loadConfig(o.useFile, o.configId === undefined ? {} : { configId: o.configId });
  for (const d of loaded.diagnostics) err(formatDiagnostic(d));
  if (!loaded.config) return RENDER_EXIT.configErrors;
  const ups = loaded.config.nginxUpstreams.filter((u) => o.upstream === undefined || u.name === o.upstream);
  if (ups.length === 0) {
    err(`${o.useFile}: no nginx_upstream${o.upstream ? ` named ${o.upstream}` : ''}`);
    return RENDER_EXIT.failed;
  }
  let failed = false;
  for (const up of ups) {
    let content: string;
    try {
      content = renderUpstream(up, loaded.config);
    } catch (e) {
      err(`nginx_upstream ${up.name}: ${(e as Error).message}`);
      failed = true;
      continue;
    }
    const current = (await fsPorts.readFile(up.output).catch(() => undefined)) ?? '';
    const diff = unifiedDiff(current, content, { from: up.output, to: `${up.output} (rendered)` });
    if (o.diff || o.dryRun) {
      if (diff) out(diff.trimEnd());
    }
    if (diff === '') {
      err(`nginx_upstream ${up.name}: ${up.output} is up to date`);
      continue;
    }
    if (o.dryRun) {
      err(`nginx_upstream ${up.name}: ${up.output} would change (dry run, nothing written)`);
      continue;
    }
    try {
      await applyRendered(up, content, fsPorts);
      err(`nginx_upstream ${up.name}: ${up.output} written, ${up.testCommand} passed, nginx reloaded`);
    } catch (e) {
      err(`nginx_upstream ${up.name}: ${(e as Error).message}`);
      failed = true;
    }
  }
  return failed ? RENDER_EXIT.failed : RENDER_EXIT.ok;
}
