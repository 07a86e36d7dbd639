/**
 * How a script string from keepalived.conf is run. keepalived 1.x ran every script through
 * `/bin/sh -c`; 2.x executes it directly, splitting words on spaces and honouring quotes, so
 * `killall -0 nginx && exit 0 || exit 1` (a seed config's check) became a call of killall with
 * `&&` as an argument. keepvip keeps the author's meaning: a string with shell syntax runs
 * through `/bin/bash -c` (bash, because `[[ ]]` in the seed configs is a bash-ism); a plain
 * command runs directly, split as keepalived splits it.
 */

/** SHELL_SYNTAX matches what only a shell can interpret: operators, redirections, expansions, tests, globs. */
const SHELL_SYNTAX = /&&|\|\||[|;<>`$(){}*?~]|\[\[|^\s*\[\s|^\s*!\s|^\s*(if|for|while|case|test|exit)\b/;

/** Invocation is a resolved way to run a script string. */
export interface Invocation {
  file: string;
  args: string[];
  /** viaShell is true when the string needed a shell. */
  viaShell: boolean;
}

/** needsShell tells whether a script string uses shell syntax. */
export function needsShell(script: string): boolean {
  return SHELL_SYNTAX.test(script);
}

/** splitWords splits like keepalived's script parsing: on blanks, with '...' and "..." grouping and \ escaping. */
export function splitWords(script: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < script.length) cur += script[++i];
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < script.length) {
      cur += script[++i];
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** resolveInvocation decides how to run a script string (see the module comment for the rule). */
export function resolveInvocation(script: string): Invocation {
  if (needsShell(script)) return { file: '/bin/bash', args: ['-c', script], viaShell: true };
  const [file, ...args] = splitWords(script);
  return { file: file ?? 'true', args, viaShell: false };
}

/**
 * STATUS_ONLY_TAIL matches a plain command followed only by `&& exit 0 || exit 1` or `|| exit 1`
 * (seed 001's `killall -0 nginx && exit 0 || exit 1`): the shell there only folds the command's
 * status into 0 or 1.
 */
const STATUS_ONLY_TAIL = /^(.*?)\s*(?:&&\s*exit\s+0\s*\|\|\s*exit\s+1|\|\|\s*exit\s+1)\s*;?\s*$/;

/**
 * resolveCheckInvocation is resolveInvocation for a check (vrrp_script), whose verdict is only
 * whether the status is 0: a plain command with a status-only tail runs directly, without the
 * bash that would only fold its status (two runs of bash were 9 of the ~45 ms a seed check added
 * to a failover in bench/tracking.ts). `statusOnly` says the status is to be read as 0 or 1.
 */
export function resolveCheckInvocation(script: string): Invocation & { statusOnly?: boolean } {
  const m = STATUS_ONLY_TAIL.exec(script);
  const command = m?.[1];
  if (command && !needsShell(command)) {
    const [file, ...args] = splitWords(command);
    if (file) return { file, args, viaShell: false, statusOnly: true };
  }
  return resolveInvocation(script);
}
