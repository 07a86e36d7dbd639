/**
 * Loading a configuration: parse (./parser.ts), build the typed model (./build/), validate
 * (./validate.ts). Bad input is never an exception: every finding comes back as a Diagnostic,
 * and `canRun` says whether keepvip can start with it (as keepalived would).
 */
import { hostname } from 'node:os';
import type { Statement } from './ast.js';
import { buildConfig } from './build/config.js';
import { type Diagnostic, DiagnosticSink } from './diagnostics.js';
import type { KeepvipConfig } from './model.js';
import { type ParseResult, parseConfigFile, parseConfigText } from './parser.js';
import { validateConfig } from './validate.js';

/** LoadOptions select `@id` conditional lines (keepalived's -i / --config-id). */
export interface LoadOptions {
  configId?: string;
  /** hostname overrides the host name used for router_id and e-mail defaults (tests). */
  hostname?: string;
}

/** LoadResult is the model (when it can run) and every finding, parser's first. */
export interface LoadResult {
  config?: KeepvipConfig;
  diagnostics: Diagnostic[];
  /** canRun is true when there is no error-severity finding. */
  canRun: boolean;
}

/** loadConfig parses, builds and validates; never throws for bad input. */
export function loadConfig(path: string, options: LoadOptions = {}): LoadResult {
  return finish(parseConfigFile(path, parseOptions(options)), options);
}

/** loadConfigText is loadConfig for text already in memory; `file` names it in messages. */
export function loadConfigText(text: string, file: string, options: LoadOptions = {}): LoadResult {
  return finish(parseConfigText(text, file, parseOptions(options)), options);
}

/** buildFromStatements builds and validates an already parsed tree (used by tests and the parser-less path). */
export function buildFromStatements(
  statements: readonly Statement[],
  files: string[],
  options: LoadOptions = {},
  parserDiagnostics: readonly Diagnostic[] = [],
): LoadResult {
  const sink = new DiagnosticSink();
  sink.items.push(...parserDiagnostics);
  const config = buildConfig({ sink, hostname: options.hostname ?? hostname() }, statements, files);
  validateConfig(config, sink);
  const canRun = !sink.hasErrors;
  return canRun ? { config, diagnostics: sink.items, canRun } : { diagnostics: sink.items, canRun };
}

function parseOptions(options: LoadOptions): { configId?: string } {
  return options.configId === undefined ? {} : { configId: options.configId };
}

function finish(parsed: ParseResult, options: LoadOptions): LoadResult {
  return buildFromStatements(parsed.statements, parsed.files, options, parsed.diagnostics);
}

/** dumpConfig renders the model as JSON with sorted keys, for `keepvip --dump-conf` and diffs. */
export function dumpConfig(config: KeepvipConfig): string {
  return JSON.stringify(
    config,
    (_key, value: unknown) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(value).sort()) sorted[k] = (value as Record<string, unknown>)[k];
      return sorted;
    },
    2,
  );
}
