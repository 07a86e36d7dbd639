/**
 * The check idioms keepvip recognises in a vrrp_script — its string, or the text of a small
 * script file it runs — so it can watch what the check looks at and run the check the moment
 * that changes (track/idiom-watch.ts), instead of waiting for the next interval:
 *
 *   killall -0 NAME, pidof NAME, pgrep [-x|-f] NAME     -> the processes named NAME (pidfd)
 *   ps -C NAME, ps aux | grep NAME                      -> likewise (the seed write-ups' habit)
 *   kill -0 $(cat FILE), kill -0 `cat FILE`, $(< FILE)  -> FILE (inotify) and the pid in it (pidfd)
 *   systemctl is-active [--quiet] UNIT                  -> the unit's invocation file and cgroup
 *   [ -f FILE ], [[ -e FILE ]], test -s FILE ...        -> FILE (inotify), as down-file.ts does
 *
 * Pure: text in, idioms out. A guess that is wrong costs one extra run of the script, never a
 * wrong verdict (the script's exit status still decides), so the recogniser prefers to find
 * too much over too little, and gives up on what it cannot resolve (`$1`, globs).
 */
import { isAbsolute } from 'node:path';
import { resolveInvocation, splitWords } from '../util/command.js';
import { testedPaths } from './down-file.js';

/** Idiom is one thing a check script looks at, with the text that showed it. */
export type Idiom =
  | {
      kind: 'process';
      /** name is the process name (killall, pidof, pgrep -x) or pgrep's pattern. */
      name: string;
      /** match: exact name (killall, pidof, pgrep -x) or pgrep's regular expression. */
      match: 'exact' | 'regex';
      /** full: pgrep -f matches the whole command line, not the name. */
      full: boolean;
      source: string;
    }
  | { kind: 'pid-file'; path: string; source: string }
  | { kind: 'unit'; unit: string; source: string }
  | { kind: 'file'; path: string; source: string };

/** SCRIPT_FILE_MAX_BYTES: a script file larger than this is not read (a few KB of shell at most). */
export const SCRIPT_FILE_MAX_BYTES = 16 * 1024;

/** SHELLS run a script file given as their first argument (`bash /etc/keepalived/check.sh`). */
const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'ksh', 'zsh', 'busybox']);

/**
 * WORD is a process or unit name as scripts write it, quoted or bare, ending where the shell
 * word ends (so `nginx)` in `$(pidof nginx)` is `nginx`, and `2` in `2>/dev/null` is no name).
 */
const WORD = String.raw`(?:"[^"]+"|'[^']+'|[A-Za-z0-9_.@:+\-]+)(?=\s|$|[;&|)\x60])`;

/** unquote strips one level of matching quotes. */
function unquote(word: string): string {
  if (word.length >= 2 && (word[0] === '"' || word[0] === "'") && word.at(-1) === word[0]) {
    return word.slice(1, -1);
  }
  return word;
}

/** stripComments drops shell comments: from a `#` at a line's start or after a blank to its end. */
export function stripComments(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/(^|[\s;])#.*$/, '$1'))
    .join('\n');
}

/**
 * substituteVariables replaces `$NAME` and `${NAME}` by the value of a literal assignment
 * (`PIDFILE=/run/nginx.pid`, `PID=$(cat /run/nginx.pid)`) made once in the text; a variable
 * assigned twice or from anything else is left alone (its value is not known statically).
 */
export function substituteVariables(text: string): string {
  const assigned = new Map<string, string | null>();
  const assignment =
    /(?:^|[\n;&|]|\bthen\b|\bdo\b)\s*(?:export\s+|local\s+|readonly\s+|declare\s+)?([A-Za-z_]\w*)=("[^"`\n]*"|'[^'\n]*'|\$\(\s*(?:cat\s+|<\s*)[^\s)]+\s*\)|`\s*cat\s+[^\s`]+\s*`|[^\s;&|$`'"()]+)(?=[\s;&|]|$)/g;
  for (const m of text.matchAll(assignment)) {
    const name = m[1]!;
    let value = m[2]!;
    if (value.startsWith("'")) value = value.slice(1, -1);
    else if (value.startsWith('"')) value = value.slice(1, -1);
    assigned.set(name, assigned.has(name) ? null : value);
  }
  let out = text;
  for (const [name, value] of assigned) {
    if (value === null || value.includes(`$${name}`)) continue;
    out = out.replace(new RegExp(String.raw`\$\{${name}\}|\$${name}(?!\w)`, 'g'), value);
  }
  return out;
}

function words(list: string): string[] {
  return splitWords(list.trim()).filter((w) => w !== '');
}

/** processIdioms finds killall -0, pidof and pgrep. */
function processIdioms(text: string): Idiom[] {
  const out: Idiom[] = [];
  // killall -0 [opts] NAME...: -0 is signal 0, the existence test. Options with an argument
  // (-u USER, -o/-y TIME, -n PID) take the next word.
  const killall = new RegExp(
    String.raw`\bkillall((?:\s+-[A-Za-z0-9]+(?:\s+(?!-)\S+)?)*?)\s+-0\b((?:\s+-[a-zA-Z]+)*)((?:\s+${WORD})+)`,
    'g',
  );
  for (const m of text.matchAll(killall)) {
    for (const w of words(m[3]!)) {
      if (w.startsWith('-') || /^[&|;>]/.test(w) || /^\d*[<>]/.test(w)) break;
      out.push({ kind: 'process', name: unquote(w), match: 'exact', full: false, source: m[0].trim() });
    }
  }
  const pidof = new RegExp(String.raw`\bpidof((?:\s+(?:-o\s+\S+|-[a-zA-Z]+))*)((?:\s+${WORD})+)`, 'g');
  for (const m of text.matchAll(pidof)) {
    for (const w of words(m[2]!)) {
      if (w.startsWith('-') || /^[&|;>]/.test(w) || /^\d*[<>]/.test(w)) break;
      out.push({ kind: 'process', name: unquote(w), match: 'exact', full: false, source: m[0].trim() });
    }
  }
  // ps -C NAME (exact command name), as in `ps -C nginx --no-header | wc -l`.
  const psC = new RegExp(String.raw`\bps\s+(?:-[a-zA-Z]+\s+)*-C\s+(${WORD})`, 'g');
  for (const m of text.matchAll(psC)) {
    for (const name of unquote(m[1]!).split(',')) {
      if (name !== '') out.push({ kind: 'process', name, match: 'exact', full: false, source: m[0].trim() });
    }
  }
  // ps aux | grep [opts] PATTERN (grep -v grep or the [n]ginx trick after it): the pattern
  // against whole command lines, as grep sees ps's output.
  const psGrep = /\bps\b[^|\n]*\|\s*grep\s+(?:-[a-zA-Z]+\s+)*("[^"]+"|'[^']+'|[^\s|;&)]+)/g;
  for (const m of text.matchAll(psGrep)) {
    const pattern = unquote(m[1]!);
    if (pattern === 'grep' || pattern.startsWith('-')) continue;
    out.push({ kind: 'process', name: pattern, match: 'regex', full: true, source: m[0].trim() });
  }
  // pgrep [opts] PATTERN: one pattern. Options that take an argument.
  const pgrep = new RegExp(
    String.raw`\bpgrep((?:\s+(?:-[dFgGPsStuU]\s+\S+|--[a-z-]+(?:=\S+)?|-[a-zA-Z]+))*)\s+(${WORD})`,
    'g',
  );
  for (const m of text.matchAll(pgrep)) {
    const opts = m[1] ?? '';
    const flags = opts.match(/(?:^|\s)-[a-zA-Z]+/g)?.join('') ?? '';
    const exact = /-[a-zA-Z]*x/.test(flags) || /--exact/.test(opts);
    const full = /-[a-zA-Z]*f/.test(flags) || /--full/.test(opts);
    const pattern = unquote(m[2]!);
    if (pattern.startsWith('-')) continue;
    out.push({
      kind: 'process',
      name: pattern,
      match: exact ? 'exact' : 'regex',
      full,
      source: m[0].trim(),
    });
  }
  return out;
}

/** pidFileIdioms finds `kill -0 $(cat FILE)`, `` kill -0 `cat FILE` `` and `kill -0 $(< FILE)`. */
function pidFileIdioms(text: string): Idiom[] {
  const out: Idiom[] = [];
  const path = String.raw`("[^"]+"|'[^']+'|[^\s)\x60"';&|]+)`;
  const forms = [
    new RegExp(String.raw`\bkill\s+-(?:0|s\s+0)\s+"?\$\(\s*(?:cat\s+|<\s*)${path}\s*\)"?`, 'g'),
    new RegExp(String.raw`\bkill\s+-(?:0|s\s+0)\s+"?\x60\s*cat\s+${path}\s*\x60"?`, 'g'),
  ];
  for (const re of forms) {
    for (const m of text.matchAll(re)) {
      const p = unquote(m[1]!);
      if (isAbsolute(p) && !/[$`*?]/.test(p)) out.push({ kind: 'pid-file', path: p, source: m[0].trim() });
    }
  }
  return out;
}

/** unitIdioms finds `systemctl is-active [--quiet] UNIT...`. */
function unitIdioms(text: string): Idiom[] {
  const out: Idiom[] = [];
  const re = new RegExp(
    String.raw`\bsystemctl((?:\s+-[-a-zA-Z]+)*)\s+is-active((?:\s+(?:-[-a-zA-Z]+|${WORD}))+)`,
    'g',
  );
  for (const m of text.matchAll(re)) {
    for (const w of words(m[2]!)) {
      if (w.startsWith('-')) continue;
      if (/^[&|;>]/.test(w) || /^\d*[<>]/.test(w)) break;
      const unit = unquote(w);
      if (/[$`*?]/.test(unit)) continue;
      out.push({ kind: 'unit', unit: unitName(unit), source: m[0].trim() });
    }
  }
  return out;
}

/** unitName adds `.service` to a unit named without a type, as systemctl does. */
export function unitName(unit: string): string {
  return /\.(service|socket|target|mount|timer|path|scope|slice|swap|device|automount)$/.test(unit)
    ? unit
    : `${unit}.service`;
}

/** recogniseIdioms lists the idioms in one text (a script string or a script file's contents), without duplicates. */
export function recogniseIdioms(text: string): Idiom[] {
  const prepared = substituteVariables(stripComments(text));
  const found: Idiom[] = [
    ...processIdioms(prepared),
    ...pidFileIdioms(prepared),
    ...unitIdioms(prepared),
    ...testedPaths(prepared).map((path): Idiom => ({ kind: 'file', path, source: `file test on ${path}` })),
  ];
  const seen = new Set<string>();
  return found.filter((i) => {
    const key = idiomKey(i);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** idiomKey identifies an idiom regardless of the text that showed it. */
export function idiomKey(i: Idiom): string {
  switch (i.kind) {
    case 'process':
      return `process ${i.match}${i.full ? ' full' : ''} ${i.name}`;
    case 'pid-file':
      return `pid-file ${i.path}`;
    case 'unit':
      return `unit ${i.unit}`;
    case 'file':
      return `file ${i.path}`;
  }
}

/**
 * scriptFileOf names the script file a vrrp_script string runs, if it runs one by absolute
 * path: `/etc/keepalived/check.sh arg`, `bash /etc/keepalived/check.sh`, or a shell string
 * whose first command is such a file (`/etc/keepalived/check.sh && exit 0`).
 */
export function scriptFileOf(script: string): string | undefined {
  const inv = resolveInvocation(script);
  let argv = inv.viaShell ? splitWords(script.split(/&&|\|\||[;|&]/)[0] ?? '') : [inv.file, ...inv.args];
  if (argv[0] !== undefined && /^(?:exec|command|nice|timeout\s)$/.test(argv[0])) argv = argv.slice(1);
  const [first, ...rest] = argv;
  if (first === undefined) return undefined;
  const base = first.slice(first.lastIndexOf('/') + 1);
  if (SHELLS.has(base)) {
    const file = rest.find((a) => !a.startsWith('-'));
    if (rest.includes('-c') || file === undefined) return undefined;
    return isAbsolute(file) ? file : undefined;
  }
  return isAbsolute(first) && !/[$`*?]/.test(first) ? first : undefined;
}

/** looksLikeScript tells a small text file (shell) from a program: no NUL bytes, within the size limit. */
export function looksLikeScript(content: Buffer | string): boolean {
  const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  if (size > SCRIPT_FILE_MAX_BYTES) return false;
  const text = typeof content === 'string' ? content : content.toString('latin1');
  return !text.includes('\0');
}

/**
 * recogniseScript lists the idioms of a vrrp_script: those in its string and, when the string
 * runs a small script file, those in the file (read through readFile, which returns undefined
 * for a file that is missing, too large or binary).
 */
export function recogniseScript(
  script: string,
  readFile: (path: string) => string | undefined,
): { idioms: Idiom[]; scriptFile?: string } {
  const idioms = recogniseIdioms(script);
  const file = scriptFileOf(script);
  const content = file === undefined ? undefined : readFile(file);
  if (content === undefined) return { idioms };
  const seen = new Set(idioms.map(idiomKey));
  for (const i of recogniseIdioms(content)) if (!seen.has(idiomKey(i))) idioms.push(i);
  return { idioms, scriptFile: file };
}

/** describeIdiom renders an idiom for logs and `keepvip status`: `process nginx (killall -0 nginx)`. */
export function describeIdiom(i: Idiom): string {
  switch (i.kind) {
    case 'process':
      return `process ${i.name}${i.match === 'regex' ? ' (pattern)' : ''}${i.full ? ' (full command)' : ''}`;
    case 'pid-file':
      return `pid file ${i.path}`;
    case 'unit':
      return `unit ${i.unit}`;
    case 'file':
      return `file ${i.path}`;
  }
}
