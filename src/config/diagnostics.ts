import type { SourcePos } from './ast.js';

/** Severity of a configuration finding; `error` means the configuration cannot be used. */
export type Severity = 'error' | 'warning';

/** Diagnostic is one finding about a configuration, anchored at a file position. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  severity: Severity;
  /** code is a stable identifier such as `unknown-keyword`, `vrid-range`, `include-loop`. */
  code: string;
  message: string;
}

/** diagnostic builds a Diagnostic at a position. */
export function diagnostic(pos: SourcePos, severity: Severity, code: string, message: string): Diagnostic {
  return { file: pos.file, line: pos.line, col: pos.col, severity, code, message };
}

/** formatDiagnostic renders a finding the way compilers and editors expect: `FILE:LINE:COL: error: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`;
}

/** DiagnosticSink collects findings while a configuration is read. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  error(pos: SourcePos, code: string, message: string): void {
    this.items.push(diagnostic(pos, 'error', code, message));
  }
  warning(pos: SourcePos, code: string, message: string): void {
    this.items.push(diagnostic(pos, 'warning', code, message));
  }
  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}
