/**
 * The keepalived.conf lexer: comment stripping of one physical line (keepalived's `decomment()`
 * in lib/parser.c) and splitting of a preprocessed line into words and braces (its
 * `alloc_strvec()` plus the `{`/`}` splitting at the end of `read_line()`).
 *
 * Text carries the source column of every character (`SourceText`), so that words produced by
 * parameter expansion keep the position of the `$NAME` they came from. Everything here is pure
 * and linear in the length of the line: text is cut with `slice`, never built char by char.
 */

/** SourceText is a piece of one configuration line together with the column each character came from. */
export interface SourceText {
  readonly text: string;
  /** cols[i] is the 1-based column of text[i]; null when columns run consecutively from baseCol. */
  readonly cols: Int32Array | null;
  /** baseCol is the column of text[0] when cols is null. */
  readonly baseCol: number;
}

/** LineToken is one word or brace of a preprocessed line. */
export interface LineToken {
  kind: 'word' | 'open' | 'close';
  /** text is the word without its quotes and with `\"` / `\\` unescaped; `{` or `}` for braces. */
  text: string;
  quoted: boolean;
  col: number;
}

/** ScannedLine is a physical line with its comment and surrounding blanks removed. */
export interface ScannedLine {
  text: SourceText;
  /** continuationCol is the column of a final `\` (a continuation; see preprocess), or 0. */
  continuationCol: number;
  /** unterminatedQuoteCol is the column of a `"` that is never closed, or 0. */
  unterminatedQuoteCol: number;
}

/** TokenizedLine is the result of tokenizeLine. */
export interface TokenizedLine {
  tokens: LineToken[];
  /** unterminatedQuoteCol is the column of a `"` that is never closed, or 0. */
  unterminatedQuoteCol: number;
}

const TAB = 0x09;
const LF = 0x0a;
const VT = 0x0b;
const FF = 0x0c;
const CR = 0x0d;
const SPACE = 0x20;
const BANG = 0x21;
const QUOTE = 0x22;
const HASH = 0x23;
const BACKSLASH = 0x5c;
const OPEN = 0x7b;
const CLOSE = 0x7d;

/** isBlank is C's isblank(): keepalived trims only spaces and tabs around a line. */
export function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** isWhiteSpace matches keepalived's WHITE_SPACE (" \t\f\n\r\v"), which separates words. */
export function isWhiteSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === VT || c === FF || c === CR;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * lineText wraps a whole physical line. Columns count characters (code points), so a line with
 * characters outside the BMP gets an explicit column map; ordinary lines, Chinese text included,
 * need none.
 */
export function lineText(line: string): SourceText {
  if (!SURROGATE.test(line)) return { text: line, cols: null, baseCol: 1 };
  const cols = new Int32Array(line.length);
  let col = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    // A low surrogate shares the column of the high surrogate before it.
    if (!(c >= 0xdc00 && c <= 0xdfff && i > 0 && isHighSurrogate(line.charCodeAt(i - 1)))) col++;
    cols[i] = col;
  }
  return { text: line, cols, baseCol: 1 };
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/** colAt is the source column of text[i]; one past the last character for i at the end. */
export function colAt(t: SourceText, i: number): number {
  const cols = t.cols;
  if (cols === null) return t.baseCol + i;
  if (i < cols.length) return cols[i]!;
  return cols.length > 0 ? cols[cols.length - 1]! + 1 : t.baseCol;
}

/** sliceText is text[a, b) with its columns. */
export function sliceText(t: SourceText, a: number, b: number): SourceText {
  if (a === 0 && b === t.text.length) return t;
  if (t.cols === null) return { text: t.text.slice(a, b), cols: null, baseCol: t.baseCol + a };
  return { text: t.text.slice(a, b), cols: t.cols.subarray(a, b), baseCol: colAt(t, a) };
}

/** spliceText replaces text[a, b) with `insert`, every inserted character taking column insertCol. */
export function spliceText(
  t: SourceText,
  a: number,
  b: number,
  insert: string,
  insertCol: number,
): SourceText {
  const text = t.text.slice(0, a) + insert + t.text.slice(b);
  const cols = new Int32Array(text.length);
  const tailAt = a + insert.length;
  if (t.cols !== null) {
    cols.set(t.cols.subarray(0, a), 0);
    cols.set(t.cols.subarray(b), tailAt);
  } else {
    for (let i = 0; i < a; i++) cols[i] = t.baseCol + i;
    for (let i = b; i < t.text.length; i++) cols[tailAt + i - b] = t.baseCol + i;
  }
  cols.fill(insertCol, a, tailAt);
  return { text, cols, baseCol: cols.length > 0 ? cols[0]! : insertCol };
}

/** concatText joins pieces of (possibly different) lines, keeping each character's column. */
export function concatText(parts: readonly SourceText[]): SourceText {
  if (parts.length === 1) return parts[0]!;
  let length = 0;
  for (const p of parts) length += p.text.length;
  const cols = new Int32Array(length);
  let at = 0;
  for (const p of parts) {
    for (let i = 0; i < p.text.length; i++) cols[at + i] = colAt(p, i);
    at += p.text.length;
  }
  const text = parts.map((p) => p.text).join('');
  return { text, cols, baseCol: length > 0 ? cols[0]! : (parts[0]?.baseCol ?? 1) };
}

/**
 * scanLine removes a comment, leading and trailing blanks, and a continuation `\` from one
 * physical line, as keepalived's decomment() does:
 * - `!` and `#` start a comment anywhere outside double quotes; no blank is needed before them
 *   (`priority 100#x` is `priority 100`), so `auth_pass hell>com` stays whole but `a!b` is `a`.
 * - Outside quotes `\#` and `\!` stand for the characters themselves; any other `\x` pair is
 *   kept as written and is never a comment or quote start.
 * - A `\` as the very last character marks a continuation, even after a comment.
 */
export function scanLine(raw: SourceText): ScannedLine {
  const s = raw.text;
  const n = s.length;
  let start = 0;
  while (start < n && isBlank(s.charCodeAt(start))) start++;
  let quoteAt = -1;
  let commentAt = -1;
  let continuationCol = 0;
  let end = n;
  let escapes: number[] | null = null;
  for (let j = start; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c === BACKSLASH) {
      if (j + 1 >= n) {
        continuationCol = colAt(raw, j);
        end = j;
        break;
      }
      const next = s.charCodeAt(j + 1);
      if (commentAt < 0 && quoteAt < 0 && (next === HASH || next === BANG)) {
        escapes ??= [];
        escapes.push(j);
      }
      j++;
    } else if (commentAt >= 0) {
      // keepalived keeps scanning a comment only to find a trailing continuation `\`.
    } else if (c === QUOTE) {
      quoteAt = quoteAt < 0 ? j : -1;
    } else if (quoteAt < 0 && (c === HASH || c === BANG)) {
      commentAt = j;
    }
  }
  if (commentAt >= 0) end = commentAt;
  while (end > start && isBlank(s.charCodeAt(end - 1))) end--;
  let text = sliceText(raw, start, end);
  if (escapes !== null) {
    const parts: SourceText[] = [];
    let from = start;
    for (const at of escapes) {
      if (at >= end) break;
      parts.push(sliceText(raw, from, at));
      from = at + 1;
    }
    parts.push(sliceText(raw, from, end));
    text = concatText(parts);
  }
  return {
    text,
    continuationCol,
    unterminatedQuoteCol: quoteAt >= 0 && commentAt < 0 ? colAt(raw, quoteAt) : 0,
  };
}

/**
 * scanTokens splits a preprocessed line into words and braces.
 * - Words are separated by keepalived's WHITE_SPACE; `{` and `}` outside quotes are tokens of
 *   their own even when glued to a word (`VI_1{` is `VI_1` `{`, as read_line splits the line at
 *   every brace).
 * - `"` starts a quoted word anywhere, also inside a word (`a"b c"` is `a` and `b c`), and
 *   inside quotes braces, `#` and `!` are plain text.
 * - Deliberate difference: inside quotes `\"` and `\\` stand for `"` and `\`. keepalived's
 *   generic tokenizer knows no escapes (it rejects `"a\"b"` as an unmatched quote), but the
 *   script re-parser it uses for `script`/`notify*` lines does, so this is what those mean.
 *   Other backslash pairs are kept as written.
 */
export function scanTokens(t: SourceText, out: TokenReceiver): number {
  const s = t.text;
  const n = s.length;
  let unterminatedQuoteCol = 0;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isWhiteSpace(c)) {
      i++;
      continue;
    }
    if (c === OPEN || c === CLOSE) {
      out.brace(c === OPEN, colAt(t, i));
      i++;
      continue;
    }
    if (c === QUOTE) {
      const col = colAt(t, i);
      let j = i + 1;
      let pieces: string[] | null = null;
      let from = j;
      while (j < n) {
        const d = s.charCodeAt(j);
        if (d === QUOTE) break;
        if (d === BACKSLASH && j + 1 < n) {
          const e = s.charCodeAt(j + 1);
          if (e === QUOTE || e === BACKSLASH) {
            pieces ??= [];
            pieces.push(s.slice(from, j));
            from = j + 1;
          }
          j += 2;
          continue;
        }
        j++;
      }
      if (j >= n) {
        j = n;
        unterminatedQuoteCol ||= col;
      }
      let text = s.slice(from, j);
      if (pieces !== null) {
        pieces.push(text);
        text = pieces.join('');
      }
      out.word(text, true, col);
      i = j + 1;
      continue;
    }
    let j = i + 1;
    while (j < n) {
      const d = s.charCodeAt(j);
      if (isWhiteSpace(d) || d === OPEN || d === CLOSE) break;
      if (d === QUOTE) {
        // `\"` outside quotes was not a quote for decomment() either; keep it literal.
        if (s.charCodeAt(j - 1) === BACKSLASH) {
          j++;
          continue;
        }
        break;
      }
      j++;
    }
    out.word(s.slice(i, j), false, colAt(t, i));
    i = j;
  }
  return unterminatedQuoteCol;
}

/** TokenReceiver takes the tokens of a line as scanTokens finds them, without intermediate objects. */
export interface TokenReceiver {
  word(text: string, quoted: boolean, col: number): void;
  brace(open: boolean, col: number): void;
}

/** tokenizeLine is scanTokens collecting the tokens into an array. */
export function tokenizeLine(t: SourceText): TokenizedLine {
  const tokens: LineToken[] = [];
  const unterminatedQuoteCol = scanTokens(t, {
    word: (text, quoted, col) => tokens.push({ kind: 'word', text, quoted, col }),
    brace: (open, col) =>
      tokens.push({ kind: open ? 'open' : 'close', text: open ? '{' : '}', quoted: false, col }),
  });
  return { tokens, unterminatedQuoteCol };
}
