import { isBlank, type SourceText, sliceText } from './lexer.js';

/**
 * applyConditional resolves a `@ID rest` / `@^ID rest` line (keepalived read_line()): the rest
 * is used only when the config id equals ID (`@`) or differs from it (`@^`); otherwise the
 * line is dropped (null). A line that is only `@ID`, with nothing after the id, is dropped
 * either way, as keepalived does. Lines not starting with `@` are returned unchanged.
 */
export function applyConditional(t: SourceText, configId: string): SourceText | null {
  const s = t.text;
  if (s.charCodeAt(0) !== 0x40 /* @ */) return t;
  const negated = s.charCodeAt(1) === 0x5e; /* ^ */
  const idStart = negated ? 2 : 1;
  let idEnd = idStart;
  while (idEnd < s.length && !isBlank(s.charCodeAt(idEnd))) idEnd++;
  if (idEnd >= s.length) return null;
  const matches = s.slice(idStart, idEnd) === configId;
  if (matches === negated) return null;
  let rest = idEnd;
  while (rest < s.length && isBlank(s.charCodeAt(rest))) rest++;
  return sliceText(t, rest, s.length);
}
