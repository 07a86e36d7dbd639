/**
 * The keepalived.conf parser: builds the syntax tree (src/config/ast.ts) from the tokens the
 * preprocessor produces. It knows no keywords; which keywords take blocks is the model
 * builder's business. The shape rules follow keepalived's process_stream():
 * - a statement is the words of one line up to a brace;
 * - `{` opens the block of the statement just before it, on the same line or on a later one
 *   (`vrrp_instance VI_1` then `{` on the next line is accepted by keepalived 2.2.7);
 * - `}` closes the innermost block; words after a brace on the same line start a new statement.
 */
import { hostname } from 'node:os';
import type { SourcePos, Statement, Word } from './ast.js';
import { type Diagnostic, DiagnosticSink } from './diagnostics.js';
import { Preprocessor, type TokenSink } from './preprocess.js';

/** ParseOptions tune how a configuration is read. */
export interface ParseOptions {
  /** configId selects `@ID` lines; default the host name up to its first dot, as keepalived. */
  configId?: string;
}

/** ParseResult is the syntax tree of a configuration with everything found wrong in it. */
export interface ParseResult {
  statements: Statement[];
  /** files lists every file read, the main file first. */
  files: string[];
  diagnostics: Diagnostic[];
}

/** Frame is one open block. */
interface Frame {
  statements: Statement[];
  /** owner is the statement the block belongs to; null for a stray `{` (its contents are kept in the parent). */
  owner: Statement | null;
  openPos: SourcePos;
}

/** TreeBuilder assembles statements and blocks from tokens, recovering from brace errors. */
export class TreeBuilder implements TokenSink {
  readonly statements: Statement[] = [];
  private readonly stack: Frame[] = [];
  /** current is the statement whose words are being read, null between statements. */
  private current: Statement | null = null;
  /** last is the most recent statement of the innermost block, the one a `{` would open. */
  private last: Statement | null = null;

  constructor(private readonly diags: DiagnosticSink) {}

  private get block(): Statement[] {
    return this.stack.length > 0 ? this.stack[this.stack.length - 1]!.statements : this.statements;
  }

  word(word: Word): void {
    if (this.current === null) {
      this.current = { keyword: word, args: [] };
      this.block.push(this.current);
      this.last = this.current;
    } else {
      this.current.args.push(word);
    }
  }

  open(pos: SourcePos): void {
    this.current = null;
    const owner = this.last;
    if (owner !== null && owner.block === undefined) {
      owner.block = [];
      owner.blockPos = pos;
      this.stack.push({ statements: owner.block, owner, openPos: pos });
    } else {
      // keepalived: "Unexpected '{' - ignoring". We keep reading the block so that its `}`
      // still matches, and put its statements in the enclosing block.
      this.diags.error(
        pos,
        'unexpected-open-brace',
        owner === null ? "'{' without a keyword before it" : `'{' after the block of '${owner.keyword.text}'`,
      );
      this.stack.push({ statements: [], owner: null, openPos: pos });
    }
    this.last = null;
  }

  close(pos: SourcePos): void {
    this.current = null;
    const frame = this.stack.pop();
    if (frame === undefined) {
      this.diags.error(pos, 'unexpected-close-brace', "'}' without an open block");
      this.last = null;
      return;
    }
    if (frame.owner === null) this.block.push(...frame.statements);
    this.last = frame.owner;
  }

  endLine(): void {
    this.current = null;
  }

  /** finish reports every block still open at the end of the configuration, at its `{`. */
  finish(): Statement[] {
    while (this.stack.length > 0) {
      const frame = this.stack.pop()!;
      this.diags.error(frame.openPos, 'unclosed-block', `'{' is never closed (missing '}')`);
      if (frame.owner === null) this.block.push(...frame.statements);
    }
    return this.statements;
  }
}

/** defaultConfigId is keepalived's default config id: the node name up to its first dot. */
export function defaultConfigId(): string {
  const name = hostname();
  const dot = name.indexOf('.');
  return dot < 0 ? name : name.slice(0, dot);
}

function run(read: (pre: Preprocessor) => void, options: ParseOptions | undefined): ParseResult {
  const diags = new DiagnosticSink();
  const builder = new TreeBuilder(diags);
  const pre = new Preprocessor(builder, diags, options?.configId ?? defaultConfigId());
  read(pre);
  const statements = builder.finish();
  return { statements, files: pre.files, diagnostics: diags.items };
}

/** parseConfigFile reads a keepalived.conf and its includes into statements; never throws for bad input. */
export function parseConfigFile(path: string, options?: ParseOptions): ParseResult {
  return run((pre) => pre.readMainFile(path), options);
}

/** parseConfigText parses text as if read from `file` (includes resolve relative to dirname(file)). */
export function parseConfigText(text: string, file: string, options?: ParseOptions): ParseResult {
  return run((pre) => pre.processText(text, file), options);
}
