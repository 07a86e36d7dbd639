/**
 * Value parsing shared by the block builders: numbers, times, addresses, booleans and
 * `[username [groupname]]` tails. Each helper reports a diagnostic at the offending word and
 * returns undefined, so the caller can keep keepalived's default, as keepalived does after
 * "number 'X' outside range" (read_int_strvec / read_decimal_unsigned_strvec in parser.c).
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Statement, Word } from '../ast.js';
import type { DiagnosticSink, Severity } from '../diagnostics.js';
import type { AddressFamily, ScriptUser } from '../model.js';

/** BuildContext is what every builder gets: where findings go. */
export interface BuildContext {
  sink: DiagnosticSink;
  /** hostname is the default for router_id, smtp_helo_name and notification_email_from. */
  hostname: string;
}

/** BadValue says how a bad value is reported and what keepvip does instead (mirroring keepalived). */
export interface BadValue {
  severity: Severity;
  code: string;
  /** then completes the message: what happens instead, e.g. `using default 100`. */
  fallback: string;
}

/** outOfRange is the usual BadValue: a warning with code `value-range`, keepalived-style "using X instead". */
export function outOfRange(fallback: string): BadValue {
  return { severity: 'warning', code: 'value-range', fallback };
}

/** keywordOf names a statement for messages. */
export function keywordOf(st: Statement): string {
  return st.keyword.text;
}

/** requireArg returns argument `index` of a statement, or reports that it is missing. */
export function requireArg(ctx: BuildContext, st: Statement, index: number, what: string): Word | undefined {
  const word = st.args[index];
  if (word === undefined) {
    ctx.sink.error(st.keyword.pos, 'missing-argument', `${st.keyword.text} needs ${what}`);
  }
  return word;
}

/** parseIntegerText parses a decimal integer strictly (no trailing garbage); undefined when it is not one. */
export function parseIntegerText(text: string): number | undefined {
  if (!/^[-+]?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** parseDecimalText parses a decimal number such as `0.5` or `3`; undefined when it is not one. */
export function parseDecimalText(text: string): number | undefined {
  if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * readNumber reads argument `index` with `parse`, reporting a word that is not a number or lies
 * outside [min, max] (`unit` is appended to the range in the message) with `onBad`.
 */
function readNumber(
  ctx: BuildContext,
  st: Statement,
  parse: (text: string) => number | undefined,
  range: { min: number; max: number; unit: string; what: string },
  onBad: BadValue,
  index: number,
): number | undefined {
  const word = requireArg(ctx, st, index, range.what);
  if (word === undefined) return undefined;
  const n = parse(word.text);
  const problem =
    n === undefined
      ? `'${word.text}' is not a number`
      : n < range.min || n > range.max
        ? `${word.text} outside ${range.min}..${range.max}${range.unit}`
        : undefined;
  if (problem !== undefined) {
    report(ctx, word, onBad.severity, onBad.code, `${st.keyword.text} ${problem}; ${onBad.fallback}`);
    return undefined;
  }
  return n;
}

/** readInteger reads an integer argument within [min, max], reporting `code` otherwise. */
export function readInteger(
  ctx: BuildContext,
  st: Statement,
  range: { min: number; max: number },
  onBad: BadValue,
  index = 0,
): number | undefined {
  return readNumber(ctx, st, parseIntegerText, { ...range, unit: '', what: 'a number' }, onBad, index);
}

/** readSecondsMs reads a decimal number of seconds within [minS, maxS] and returns milliseconds. */
export function readSecondsMs(
  ctx: BuildContext,
  st: Statement,
  range: { minS: number; maxS: number },
  onBad: BadValue,
  index = 0,
): number | undefined {
  const s = readNumber(
    ctx,
    st,
    parseDecimalText,
    { min: range.minS, max: range.maxS, unit: ' s', what: 'a time in seconds' },
    onBad,
    index,
  );
  return s === undefined ? undefined : Math.round(s * 1000);
}

/** report adds a finding of the given severity at a word. */
export function report(
  ctx: BuildContext,
  word: Word,
  severity: Severity,
  code: string,
  message: string,
): void {
  if (severity === 'error') ctx.sink.error(word.pos, code, message);
  else ctx.sink.warning(word.pos, code, message);
}

/** ParsedAddress is an IP address in canonical text form with its family. */
export interface ParsedAddress {
  address: string;
  family: AddressFamily;
}

/** parseIpAddress validates an IPv4 or IPv6 address (as inet_pton would) and canonicalises IPv6. */
export function parseIpAddress(text: string): ParsedAddress | undefined {
  if (isIPv4(text)) return { address: text, family: 'inet' };
  if (isIPv6(text) && !text.includes('%')) {
    // The WHATWG URL parser prints IPv6 in RFC 5952 canonical form (lower case, longest zero run as ::).
    return { address: new URL(`http://[${text}]/`).hostname.slice(1, -1), family: 'inet6' };
  }
  return undefined;
}

/** ParsedPrefix is `IP[/prefix]`; prefixLength is undefined when not written. */
export interface ParsedPrefix extends ParsedAddress {
  prefixLength?: number;
}

/** parseAddressPrefix splits `IP[/prefix]`; returns a reason string when it is not valid. */
export function parseAddressPrefix(text: string): ParsedPrefix | { reason: string; fallback?: ParsedPrefix } {
  const slash = text.indexOf('/');
  const ipText = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIpAddress(ipText);
  if (ip === undefined) return { reason: `invalid IP address '${ipText}'` };
  if (slash < 0) return ip;
  const max = ip.family === 'inet' ? 32 : 128;
  const prefix = parseIntegerText(text.slice(slash + 1));
  if (prefix === undefined || prefix < 0 || prefix > max) {
    // keepalived: "Invalid address prefix len 33 for address X - using 32" and carries on.
    return {
      reason: `invalid prefix length '${text.slice(slash + 1)}' (0..${max})`,
      fallback: { ...ip, prefixLength: max },
    };
  }
  return { ...ip, prefixLength: prefix };
}

/** readBool reads keepalived's optional `<BOOL>` argument: absent means true; on/off, yes/no, true/false. */
export function readBool(ctx: BuildContext, st: Statement): boolean {
  const word = st.args[0];
  if (word === undefined) return true;
  const t = word.text.toLowerCase();
  if (t === 'on' || t === 'yes' || t === 'true') return true;
  if (t === 'off' || t === 'no' || t === 'false') return false;
  ctx.sink.warning(
    word.pos,
    'invalid-bool',
    `${st.keyword.text} '${word.text}' is not a boolean (on/off, yes/no, true/false); using true`,
  );
  return true;
}

/** readScriptUser reads `USERNAME [GROUPNAME]` starting at argument `index`. */
export function readScriptUser(st: Statement, index: number): ScriptUser | undefined {
  const user = st.args[index];
  if (user === undefined) return undefined;
  const group = st.args[index + 1];
  return group === undefined ? { user: user.text } : { user: user.text, group: group.text };
}

/** readCommand reads `<STRING>|<QUOTED-STRING> [username [groupname]]`: the command is the first word. */
export function readCommand(ctx: BuildContext, st: Statement): string | undefined {
  const word = requireArg(ctx, st, 0, 'a command');
  if (word === undefined) return undefined;
  if (!word.quoted && st.args.length > 3) {
    // keepalived reads the words after an unquoted command as user and group; more is a mistake.
    ctx.sink.warning(
      st.args[3]!.pos,
      'command-not-quoted',
      `${st.keyword.text}: extra words after the command; quote a command that has arguments`,
    );
  }
  return word.text;
}

/** unknownKeyword reports a keyword that has no meaning in its block, as keepalived does (and ignores it). */
export function unknownKeyword(ctx: BuildContext, st: Statement, where: string): void {
  ctx.sink.warning(
    st.keyword.pos,
    'unknown-keyword',
    `unknown keyword '${st.keyword.text}' in ${where}; ignored`,
  );
}

/** Handler consumes one statement of a block. */
export type Handler<T> = (ctx: BuildContext, st: Statement, target: T) => void;

/** WalkObserver sees the keyword table of every block walkBlock reads: where, its keywords, its not-supported set. */
export type WalkObserver = (
  where: string,
  keywords: readonly string[],
  unsupported: readonly string[],
) => void;

let walkObserver: WalkObserver | undefined;

/** observeWalks sets (or, without an argument, clears) the WalkObserver; the keyword walk test uses it to find every table. */
export function observeWalks(observer?: WalkObserver): void {
  walkObserver = observer;
}

/** walkBlock applies the handler for each statement's keyword, reporting unknown keywords. */
export function walkBlock<T>(
  ctx: BuildContext,
  block: readonly Statement[] | undefined,
  handlers: Readonly<Record<string, Handler<T>>>,
  target: T,
  where: string,
  unsupported?: ReadonlySet<string>,
): void {
  walkObserver?.(where, Object.keys(handlers), unsupported === undefined ? [] : [...unsupported]);
  for (const st of block ?? []) {
    const handler = Object.hasOwn(handlers, st.keyword.text) ? handlers[st.keyword.text] : undefined;
    if (handler !== undefined) handler(ctx, st, target);
    else if (unsupported?.has(st.keyword.text)) warnUnsupported(ctx, st, where);
    else unknownKeyword(ctx, st, where);
  }
}

/** NOT_SUPPORTED is the one wording of every "keepalived acts on it, keepvip does not" finding. */
export const NOT_SUPPORTED = 'not supported by keepvip';

/**
 * notSupported reports a keyword or option keepalived 2.2.7 acts on and keepvip does not, at the
 * word itself (`FILE:LINE:COL: warning: 'X' in WHERE is not supported by keepvip; ignored`), so
 * nothing configured is silently ignored. `then` says what keepvip does instead.
 */
export function notSupported(ctx: BuildContext, word: Word, where?: string, then = 'ignored'): void {
  ctx.sink.warning(
    word.pos,
    'unsupported-keyword',
    `'${word.text}'${where === undefined ? '' : ` in ${where}`} is ${NOT_SUPPORTED}; ${then}`,
  );
}

/** warnUnsupported says that a keepalived keyword is understood but has no effect in keepvip. */
export function warnUnsupported(ctx: BuildContext, st: Statement, where: string): void {
  notSupported(ctx, st.keyword, where);
}

/** listWords returns every word of a list block (`{ a b \n c }`): keywords and their arguments. */
export function listWords(st: Statement): Word[] {
  const words: Word[] = [];
  for (const item of st.block ?? []) words.push(item.keyword, ...item.args);
  return words;
}

/** requireBlock reports a statement that should have a `{ ... }` block and has none. */
export function requireBlock(ctx: BuildContext, st: Statement): Statement[] | undefined {
  if (st.block === undefined) {
    ctx.sink.error(st.keyword.pos, 'missing-block', `${st.keyword.text} needs a { ... } block`);
  }
  return st.block;
}
