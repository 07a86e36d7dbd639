/**
 * `keepvip --config-test [-f FILE] [--peer FILE]`: keepalived -t's job, with findings printed
 * the way editors read them (`FILE:LINE:COL: error|warning: message`). Exit codes follow the
 * project contract: 0 usable, 3 cannot read the main file, 4 errors found. (keepalived 2.2.7's
 * own -t exits 0 even for a missing file and 5 for any reported problem, warnings included.)
 */
import { accessSync, constants, statSync } from 'node:fs';
import type { SourcePos } from './ast.js';
import { type Diagnostic, formatDiagnostic } from './diagnostics.js';
import { loadConfig } from './load.js';
import type { KeepvipConfig } from './model.js';
import { checkLocalRealServers } from './lvs-local.js';
import { checkPair } from './pair-check.js';

/** ConfigTestOptions: the files to check and where lines go. */
export interface ConfigTestOptions {
  file: string;
  peer?: string;
  configId?: string;
  out: (line: string) => void;
  /**
   * notes adds informational lines from layers config/ cannot import (the CLI passes
   * track/idiom-watch.ts's scriptWatchNotes: which vrrp_scripts get no watch). They print as
   * `FILE:LINE:COL: note: ...` and change neither the counts nor the exit code.
   */
  notes?: (config: KeepvipConfig) => ConfigNote[];
}

/** ConfigNote is one informational finding: where, and what. */
export interface ConfigNote {
  pos: SourcePos;
  message: string;
}

/** CONFIG_TEST_EXIT are runConfigTest's exit codes. */
export const CONFIG_TEST_EXIT = { ok: 0, unreadable: 3, errors: 4 } as const;

/** runConfigTest prints every finding as `FILE:LINE:COL: error|warning: message` and returns keepalived -t's exit code: 0 fine, 3 cannot read/run (e.g. missing main file), 4 errors found. */
export function runConfigTest(options: ConfigTestOptions): number {
  const files = options.peer === undefined ? [options.file] : [options.file, options.peer];
  for (const f of files) {
    const problem = unreadable(f);
    if (problem !== undefined) {
      options.out(`${f}: error: cannot read configuration: ${problem}`);
      return CONFIG_TEST_EXIT.unreadable;
    }
  }
  const loadOptions = options.configId === undefined ? {} : { configId: options.configId };
  const results = files.map((f) => loadConfig(f, loadOptions));
  const findings: Diagnostic[] = results.flatMap((r) => r.diagnostics);
  const [a, b] = results;
  if (a?.config && b?.config) findings.push(...checkPair(a.config, b.config));
  // On the director itself: DR/TUN real servers that are this host's own addresses.
  if (a?.config) findings.push(...checkLocalRealServers(a.config));
  for (const d of findings) options.out(formatDiagnostic(d));
  for (const r of options.notes ? results : []) {
    for (const n of r.config ? options.notes!(r.config) : []) {
      options.out(`${n.pos.file}:${n.pos.line}:${n.pos.col}: note: ${n.message}`);
    }
  }
  const errors = findings.filter((d) => d.severity === 'error').length;
  const warnings = findings.length - errors;
  options.out(`${files.join(' + ')}: ${errors} error(s), ${warnings} warning(s)`);
  return errors > 0 ? CONFIG_TEST_EXIT.errors : CONFIG_TEST_EXIT.ok;
}

/** unreadable says why a file cannot be read, or undefined when it can. */
function unreadable(file: string): string | undefined {
  try {
    if (statSync(file).isDirectory()) return 'is a directory';
    accessSync(file, constants.R_OK);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}
