/**
 * File name patterns of `include` lines. keepalived passes the pattern to glob(3) with
 * GLOB_MARK | GLOB_BRACE (lib/parser.c read_conf_file()); this is the part of glob(3) that
 * matters here: `*`, `?`, `[...]`, `\` escapes and `{a,b}` alternatives, in any path component,
 * wildcards not matching a leading `.`, matches sorted. Node 20 has no fs.globSync (added in 22).
 */
import { readdirSync, statSync, lstatSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/**
 * expandBraces expands `{a,b}` alternatives (GLOB_BRACE), nested ones too, in order. A brace
 * without a matching close or without a comma at its level is taken literally.
 */
export function expandBraces(pattern: string): string[] {
  const open = findBraceGroup(pattern);
  if (open === null) return [pattern];
  const { start, end, commas } = open;
  const head = pattern.slice(0, start);
  const tail = pattern.slice(end + 1);
  const out: string[] = [];
  let from = start + 1;
  for (const comma of [...commas, end]) {
    for (const expanded of expandBraces(head + pattern.slice(from, comma) + tail)) out.push(expanded);
    from = comma + 1;
  }
  return out;
}

/** findBraceGroup finds the first `{...}` with a top-level comma, skipping `\` escapes. */
function findBraceGroup(s: string): { start: number; end: number; commas: number[] } | null {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') {
      i++;
      continue;
    }
    if (s[i] !== '{') continue;
    let depth = 0;
    const commas: number[] = [];
    for (let j = i; j < s.length; j++) {
      const c = s[j];
      if (c === '\\') {
        j++;
      } else if (c === '{') {
        depth++;
      } else if (c === '}') {
        depth--;
        if (depth === 0) {
          if (commas.length > 0) return { start: i, end: j, commas };
          break;
        }
      } else if (c === ',' && depth === 1) {
        commas.push(j);
      }
    }
  }
  return null;
}

/** hasMagic is true when a pattern component holds an unescaped `*`, `?` or `[`. */
export function hasMagic(component: string): boolean {
  for (let i = 0; i < component.length; i++) {
    const c = component[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?' || c === '[') return true;
  }
  return false;
}

function unescapeComponent(component: string): string {
  return component.replace(/\\(.)/g, '$1');
}

/**
 * componentMatcher compiles one pattern component to an anchored regular expression. The
 * expression has no nested quantifiers, so matching a file name cannot blow up.
 */
export function componentMatcher(component: string): RegExp {
  let re = '';
  for (let i = 0; i < component.length; i++) {
    const c = component[i]!;
    if (c === '\\' && i + 1 < component.length) {
      re += escapeRegExp(component[++i]!);
    } else if (c === '*') {
      re += '.*';
    } else if (c === '?') {
      re += '.';
    } else if (c === '[') {
      const cls = readClass(component, i);
      if (cls === null) {
        re += '\\[';
      } else {
        re += cls.re;
        i = cls.end;
      }
    } else {
      re += escapeRegExp(c);
    }
  }
  return new RegExp(`^${re}$`, 'su');
}

/** readClass reads a `[...]` bracket expression starting at s[at]: `!` or `^` negates, a leading `]` is literal. */
function readClass(s: string, at: number): { re: string; end: number } | null {
  let i = at + 1;
  let negate = false;
  if (s[i] === '!' || s[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (c === ']' && !first) return { re: `[${negate ? '^' : ''}${body}]`, end: i };
    first = false;
    if (c === '-' && body !== '' && s[i + 1] !== ']') body += '-';
    else body += c === '\\' || c === ']' || c === '[' || c === '^' || c === '-' ? `\\${c}` : c;
  }
  return null;
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * globFiles returns the paths matching one brace-free pattern, relative patterns resolved
 * against baseDir (keepalived chdir()s to the including file's directory). Paths are returned
 * as baseDir joined with the match, sorted like glob(3) in the C locale; an empty list is
 * GLOB_NOMATCH.
 */
export function globFiles(pattern: string, baseDir: string): string[] {
  const absolute = isAbsolute(pattern);
  const components = pattern.split('/').filter((c) => c !== '');
  let paths = [absolute ? '/' : baseDir];
  for (let k = 0; k < components.length; k++) {
    const component = components[k]!;
    const last = k === components.length - 1;
    if (!hasMagic(component)) {
      const name = unescapeComponent(component);
      paths = paths.map((p) => join(p, name));
      continue;
    }
    const matcher = componentMatcher(component);
    // glob(3) without GLOB_PERIOD: a wildcard never matches a leading dot.
    const dotOk = component.startsWith('.');
    const next: string[] = [];
    for (const dir of paths) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      names.sort(byteOrder);
      for (const name of names) {
        if (!dotOk && name.startsWith('.')) continue;
        if (!matcher.test(name)) continue;
        const full = join(dir, name);
        if (!last && !isDirectory(full)) continue;
        next.push(full);
      }
    }
    paths = next;
    if (paths.length === 0) return [];
  }
  return paths.filter(exists);
}

/** expandIncludePattern applies brace expansion, then globbing, keeping glob(3)'s order per alternative. */
export function expandIncludePattern(pattern: string, baseDir: string): string[] {
  const out: string[] = [];
  for (const alternative of expandBraces(pattern)) out.push(...globFiles(alternative, baseDir));
  return out;
}
