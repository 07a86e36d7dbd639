/**
 * `keepvip maint on|off [INSTANCE]`: puts a node into (or out of) maintenance the way the seed
 * documents do by hand, by creating or removing the "down file" that the configuration's
 * vrrp_scripts test (`[[ -f /etc/keepalived/down ]] && exit 1 || exit 0`), and says which file
 * and which check it affects. The daemon's file watch reacts within milliseconds.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatDiagnostic } from '../config/diagnostics.js';
import { loadConfig } from '../config/load.js';
import { testedPaths } from '../track/down-file.js';

/** DownFile is a file some tracked script tests, with who tracks it. */
export interface DownFile {
  path: string;
  script: string;
  instances: string[];
}

/**
 * isDownFile: a tested file is a maintenance switch when its presence fails the check — the
 * seed form `[[ -f P ]] && exit 1` — or when its name says so (down, maint). A file whose
 * presence means health (a pid file) is never touched.
 */
export function isDownFile(script: string, path: string): boolean {
  const base = path.split('/').pop() ?? '';
  if (/down|maint/i.test(base)) return true;
  const at = script.indexOf(path);
  return at >= 0 && /^["']?\s*\]{0,2}\s*&&\s*exit\s+[1-9]/.test(script.slice(at + path.length));
}

/** downFilesOf lists the files tracked scripts test, for one instance or all. */
export function downFilesOf(
  config: NonNullable<ReturnType<typeof loadConfig>['config']>,
  instance?: string,
): DownFile[] {
  const out = new Map<string, DownFile>();
  for (const inst of config.vrrpInstances) {
    if (instance && inst.name !== instance) continue;
    for (const ref of inst.trackScripts) {
      const def = config.vrrpScripts.find((s) => s.name === ref.name);
      for (const path of def ? testedPaths(def.script).filter((p) => isDownFile(def.script, p)) : []) {
        const entry = out.get(path) ?? { path, script: ref.name, instances: [] };
        if (!entry.instances.includes(inst.name)) entry.instances.push(inst.name);
        out.set(path, entry);
      }
    }
  }
  return [...out.values()];
}

/** runMaint creates (on) or removes (off) the down files and returns the exit code. */
export function runMaint(opts: { mode: string; instance?: string; file: string; configId?: string }): number {
  if (opts.mode !== 'on' && opts.mode !== 'off') {
    process.stderr.write(`keepvip maint: expected 'on' or 'off', got '${opts.mode}'\n`);
    return 2;
  }
  const loaded = loadConfig(opts.file, { configId: opts.configId });
  if (!loaded.config) {
    for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    return 3;
  }
  if (opts.instance && !loaded.config.vrrpInstances.some((i) => i.name === opts.instance)) {
    process.stderr.write(`keepvip maint: no vrrp_instance ${opts.instance} in ${opts.file}\n`);
    return 2;
  }
  const files = downFilesOf(loaded.config, opts.instance);
  if (files.length === 0) {
    process.stderr.write(
      `keepvip maint: ${opts.instance ?? 'no instance'} tracks no vrrp_script that tests a file (such as [[ -f /etc/keepalived/down ]]); nothing to do\n`,
    );
    return 1;
  }
  for (const f of files) {
    if (opts.mode === 'on') {
      mkdirSync(dirname(f.path), { recursive: true });
      writeFileSync(f.path, `maintenance since ${new Date().toISOString()}\n`);
      process.stdout.write(
        `maintenance on: created ${f.path} (vrrp_script ${f.script}, tracked by ${f.instances.join(', ')})\n`,
      );
    } else {
      rmSync(f.path, { force: true });
      process.stdout.write(
        `maintenance off: removed ${f.path} (vrrp_script ${f.script}, tracked by ${f.instances.join(', ')})\n`,
      );
    }
  }
  return 0;
}
