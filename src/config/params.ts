/**
 * keepalived configuration parameters (`$NAME=value`, then `$NAME` / `${NAME}` in later lines)
 * and `~SEQ(...)` line generators, as lib/parser.c implements them (check_definition(),
 * find_definition(), replace_param(), add_seq()).
 */
import { colAt, isBlank, type SourceText, spliceText } from './lexer.js';

/** ParamDefinition is one `$NAME=` parameter or one of keepalived's standard parameters. */
export interface ParamDefinition {
  name: string;
  /** lines holds the value; a single-line parameter has exactly one. */
  lines: string[];
  /** multiline marks a `\`-continued definition, which keepalived expands only at the end of a line. */
  multiline: boolean;
  /** maxParams is how many numeric arguments `${NAME a b}` accepts (only `_RANDOM` takes any). */
  maxParams: number;
  /** compute produces the value of a standard parameter on every use. */
  compute?: (args: number[]) => string;
}

/** ParamTable holds the parameters defined so far; definitions persist across included files. */
export class ParamTable {
  private readonly defs = new Map<string, ParamDefinition>();
  /** currentDir is the directory of the file being read, the value of `$_PWD` (keepalived chdir()s there). */
  currentDir = '.';

  constructor(configId: string, random: () => number = Math.random) {
    this.defs.set('_PWD', {
      name: '_PWD',
      lines: [],
      multiline: false,
      maxParams: 0,
      compute: () => this.currentDir,
    });
    this.defs.set('_INSTANCE', {
      name: '_INSTANCE',
      lines: [],
      multiline: false,
      maxParams: 0,
      compute: () => configId,
    });
    this.defs.set('_RANDOM', {
      name: '_RANDOM',
      lines: [],
      multiline: false,
      maxParams: 2,
      // keepalived get_random(): uniform in [min, max], defaults 0 and 32767.
      compute: (args) => {
        const min = args[0] ?? 0;
        const max = args.length > 1 ? args[1]! : 32767;
        return String(Math.floor(random() * (max - min + 1)) + min);
      },
    });
  }

  /** get returns the definition of name, if any. */
  get(name: string): ParamDefinition | undefined {
    return this.defs.get(name);
  }

  /** define sets a parameter, replacing an earlier definition or a standard parameter. */
  define(name: string, lines: string[], multiline: boolean): ParamDefinition {
    const def: ParamDefinition = { name, lines, multiline, maxParams: 0 };
    this.defs.set(name, def);
    return def;
  }
}

/** valueLines is the replacement text of a parameter: its lines, or the computed value. */
function valueLines(def: ParamDefinition, args: number[]): string[] {
  return def.compute ? [def.compute(args)] : def.lines;
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isNameStart(c: number): boolean {
  return isAlpha(c) || c === 0x5f;
}

function isNameChar(c: number): boolean {
  return isAlpha(c) || isDigit(c) || c === 0x5f;
}

/** DefinitionStart is a recognised `$NAME=value` line. */
export interface DefinitionStart {
  name: string;
  /** valueStart is the index of the value in the line, after blanks following `=`. */
  valueStart: number;
}

/**
 * parseDefinition recognises `$NAME=value` (check_definition()): NAME is [A-Za-z_][A-Za-z0-9_]*
 * and `=` must follow it directly. Returns 'spaced' for `$NAME = value`, which keepalived does
 * not take as a definition (the line is then read as an ordinary line).
 */
export function parseDefinition(s: string): DefinitionStart | 'spaced' | null {
  if (s.charCodeAt(0) !== 0x24 /* $ */ || !isNameStart(s.charCodeAt(1))) return null;
  let p = 2;
  while (p < s.length && isNameChar(s.charCodeAt(p))) p++;
  if (s.charCodeAt(p) !== 0x3d /* = */) {
    let q = p;
    while (q < s.length && isBlank(s.charCodeAt(q))) q++;
    return q > p && s.charCodeAt(q) === 0x3d ? 'spaced' : null;
  }
  let valueStart = p + 1;
  while (valueStart < s.length && isBlank(s.charCodeAt(valueStart))) valueStart++;
  return { name: s.slice(1, p), valueStart };
}

/** Reference is a syntactically valid `$NAME`, `${NAME}` or `${NAME args}` in a line. */
export interface Reference {
  name: string;
  /** end is the index just after the reference. */
  end: number;
  /** args holds the numbers of `${NAME 1 2}`; null without arguments. */
  args: number[] | null;
  /** atEnd is true when nothing follows the reference; only then may a multi-line parameter expand. */
  atEnd: boolean;
}

/**
 * readReference reads the reference whose `$` is at s[at] (find_definition()): a plain `$NAME`
 * must be followed by a blank, `,`, `)` or the end of the line; `${NAME}` may be followed by
 * anything and may carry numeric arguments separated by spaces.
 */
export function readReference(s: string, at: number): Reference | null {
  let p = at + 1;
  const braces = s.charCodeAt(p) === 0x7b; /* { */
  if (braces) p++;
  const nameStart = p;
  if (!isNameStart(s.charCodeAt(p))) return null;
  p++;
  while (p < s.length && isNameChar(s.charCodeAt(p))) p++;
  const name = s.slice(nameStart, p);
  if (!braces) {
    if (p < s.length) {
      const c = s.charCodeAt(p);
      if (!(isBlank(c) || c === 0x2c /* , */ || c === 0x29) /* ) */) return null;
    }
    return { name, end: p, args: null, atEnd: p === s.length };
  }
  let argsStart = -1;
  let argsEnd = -1;
  while (p < s.length) {
    const c = s.charCodeAt(p);
    if (isDigit(c)) {
      if (argsStart < 0) argsStart = p;
      argsEnd = p + 1;
    } else if (c !== 0x20) break;
    p++;
  }
  // Arguments may not be followed by a space before the closing brace.
  if (argsStart >= 0 && argsEnd !== p) return null;
  if (s.charCodeAt(p) !== 0x7d /* } */) return null;
  const args =
    argsStart >= 0
      ? s
          .slice(argsStart, argsEnd)
          .split(' ')
          .filter((a) => a !== '')
          .map(Number)
      : null;
  return { name, end: p + 1, args, atEnd: p + 1 === s.length };
}

/** lookup returns the definition a reference expands to, with keepalived's restrictions. */
function lookup(table: ParamTable, ref: Reference): ParamDefinition | undefined {
  const def = table.get(ref.name);
  if (def === undefined) return undefined;
  if (def.multiline && !ref.atEnd) return undefined;
  if (ref.args !== null && (def.maxParams === 0 || ref.args.length > def.maxParams)) return undefined;
  return def;
}

/** MAX_EXPANSIONS bounds replacements in one line: `$A=$A` loops forever in keepalived itself. */
const MAX_EXPANSIONS = 1000;
/**
 * MAX_EXPANDED_LENGTH bounds an expanded line, as keepalived's fixed line buffer does ("would
 * exceed maximum line length"); with MAX_EXPANSIONS it keeps a runaway expansion cheap.
 */
const MAX_EXPANDED_LENGTH = 64 * 1024;

/** Expansion is the result of expandParams. */
export interface Expansion {
  text: SourceText;
  /** extra holds the further lines of multi-line parameters, to be read after this one. */
  extra: SourceText[];
  changed: boolean;
  /** overflowCol is the column of the reference at which expansion was given up, or 0. */
  overflowCol: number;
}

/** constantText is a line whose every character reports the same column (an expansion). */
function constantText(text: string, col: number): SourceText {
  return { text, cols: new Int32Array(text.length).fill(col), baseCol: col };
}

/**
 * expandParams replaces parameter references once through the line, as replace_param() does:
 * scanning resumes at the start of the inserted text, so values that contain references are
 * expanded too. Every inserted character takes the column of the `$` it replaces. A multi-line
 * parameter (allowed only at the end of the line) puts its first line in place and returns the
 * rest in `extra`.
 */
export function expandParams(t: SourceText, table: ParamTable): Expansion {
  let cur = t;
  let extra: SourceText[] = [];
  let changed = false;
  let count = 0;
  let pos = 0;
  for (;;) {
    const s = cur.text;
    const at = s.indexOf('$', pos);
    if (at < 0 || at + 1 >= s.length) break;
    const ref = readReference(s, at);
    const def = ref === null ? undefined : lookup(table, ref);
    if (ref === null || def === undefined) {
      pos = at + 1;
      continue;
    }
    const col = colAt(cur, at);
    const lines = valueLines(def, ref.args ?? []);
    const first = lines[0] ?? '';
    if (++count > MAX_EXPANSIONS || s.length + first.length > MAX_EXPANDED_LENGTH) {
      return { text: cur, extra, changed, overflowCol: col };
    }
    if (def.multiline)
      extra = lines
        .slice(1)
        .map((l) => constantText(l, col))
        .concat(extra);
    cur = spliceText(cur, at, ref.end, first, col);
    changed = true;
    pos = at;
    // keepalived stops replacing in a line once a value starting with `~` (a ~SEQ) is inserted.
    if (first.trimStart().startsWith('~')) break;
  }
  return { text: cur, extra, changed, overflowCol: 0 };
}

/** ParamFinding is a warning about a `$` that was left as written. */
export interface ParamFinding {
  col: number;
  code: string;
  message: string;
}

/**
 * findUnexpanded explains every `$NAME` left in an expanded line. keepalived silently leaves
 * them as written (a shell variable in a script line stays for the shell); we warn, because a
 * misspelt parameter otherwise only shows up as a strange value much later.
 */
export function findUnexpanded(t: SourceText, table: ParamTable): ParamFinding[] {
  const s = t.text;
  const out: ParamFinding[] = [];
  let at = s.indexOf('$');
  while (at >= 0 && at + 1 < s.length) {
    const col = colAt(t, at);
    const ref = readReference(s, at);
    if (ref !== null) {
      const def = table.get(ref.name);
      if (def === undefined) {
        out.push({
          col,
          code: 'undefined-parameter',
          message: `parameter $${ref.name} is not defined; left as written`,
        });
      } else if (def.multiline && !ref.atEnd) {
        out.push({
          col,
          code: 'multiline-parameter-position',
          message: `multi-line parameter $${ref.name} is expanded only at the end of a line; left as written`,
        });
      } else if (ref.args !== null) {
        out.push({
          col,
          code: 'parameter-arguments',
          message: `parameter $${ref.name} takes at most ${def.maxParams} arguments; left as written`,
        });
      }
    } else {
      let p = at + 1;
      if (s.charCodeAt(p) === 0x7b) p++;
      const nameStart = p;
      while (p < s.length && isNameChar(s.charCodeAt(p))) p++;
      const name = s.slice(nameStart, p);
      if (name !== '' && isNameStart(name.charCodeAt(0)) && table.get(name) !== undefined) {
        const next = p < s.length ? s[p] : 'end of line';
        out.push({
          col,
          code: 'parameter-not-expanded',
          message: `$${name} is followed by '${next}' and is not expanded (keepalived expands $NAME only before a blank, ',' or ')'); write \${${name}}`,
        });
      }
    }
    at = s.indexOf('$', at + 1);
  }
  return out;
}

/** SeqSpec is a parsed `~SEQ(var, start, step, end) text` line. */
export interface SeqSpec {
  name: string;
  start: number;
  step: number;
  end: number;
  hex: boolean;
  /** textStart is the index of the repeated text after `)`. */
  textStart: number;
}

/** parseCLong reads an integer the way strtol(s, &end, 0) does, allowing blanks around it. */
function parseCLong(s: string): number | null {
  const m = /^[ \t]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)[ \t]*$/.exec(s);
  if (m === null) return s.trim() === '' ? 0 : null;
  const digits = m[2]!;
  const value = /^0[xX]/.test(digits)
    ? Number.parseInt(digits.slice(2), 16)
    : digits.length > 1 && digits.startsWith('0')
      ? Number.parseInt(digits, 8)
      : Number.parseInt(digits, 10);
  return m[1] === '-' ? -value : value;
}

/**
 * parseSeq reads `~SEQ(var, end)`, `~SEQ(var, start, end)` or `~SEQ(var, start, step, end)`
 * (`~SEQx` for hexadecimal values), as add_seq() does; the numbers may be parameters. Returns
 * a reason string when the line is not a valid ~SEQ.
 */
export function parseSeq(t: SourceText, table: ParamTable): SeqSpec | string {
  const s = t.text;
  let p = 4;
  const hex = s[p] === 'x';
  if (hex) p++;
  while (isBlank(s.charCodeAt(p))) p++;
  if (s[p] !== '(') return "expected '(' after ~SEQ";
  p++;
  while (isBlank(s.charCodeAt(p))) p++;
  const nameStart = p;
  while (p < s.length && !isBlank(s.charCodeAt(p)) && s[p] !== ',' && s[p] !== ')') p++;
  const name = s.slice(nameStart, p);
  while (isBlank(s.charCodeAt(p))) p++;
  if (name === '' || p >= s.length || s[p] === ')') return 'expected a variable name and numbers';
  p++;
  const close = s.indexOf(')', p);
  if (close < 0) return "missing ')'";
  const expanded = expandParams({ text: s.slice(p, close), cols: null, baseCol: colAt(t, p) }, table);
  if (expanded.extra.length > 0) return 'a ~SEQ number may not be a multi-line parameter';
  const nums = expanded.text.text.split(',').map(parseCLong);
  if (nums.length < 1 || nums.length > 3 || nums.some((n) => n === null)) return 'expected 1 to 3 integers';
  const [a, b, c] = nums as number[];
  let start: number;
  let step: number;
  let end: number;
  if (nums.length === 1) {
    end = a!;
    step = end < 1 ? -1 : 1;
    start = end < 0 ? -1 : 1;
  } else if (nums.length === 2) {
    start = a!;
    end = b!;
    step = start <= end ? 1 : -1;
  } else {
    start = a!;
    step = b!;
    end = c!;
    if (step === 0 || (start < end && step < 0) || (start > end && step > 0))
      return 'step does not lead from start to end';
  }
  if (hex && (start < 0 || end < 0)) return '~SEQx is only valid for positive numbers';
  let textStart = close + 1;
  while (isBlank(s.charCodeAt(textStart))) textStart++;
  return { name, start, step, end, hex, textStart };
}
