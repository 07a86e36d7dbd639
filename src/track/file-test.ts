/**
 * A vrrp_script that is nothing but a shell file test, the maintenance "down file" check of the
 * nginx write-ups (`[[ -f /etc/keepalived/down ]] && exit 1 || exit 0`), is answered in-process
 * with one stat(2) instead of starting bash: starting a process blocks the event loop while the
 * kernel copies this one (12-80 ms at 100 MB), and fifty such scripts at `interval 1` held the
 * VRRP timers for most of every second. Only the exact forms below are taken, with bash's
 * meaning; anything else (a variable, a glob, a second command) runs as a script, as before.
 *
 *   TEST                          exit 0 when the test holds, else 1
 *   TEST && exit A || exit B      A when it holds, else B
 *   TEST || exit A                0 when it holds, else A
 *   TEST  :=  [[ -X PATH ]]  |  [ -X PATH ]  |  test -X PATH, each optionally after `! `
 *   -X    :=  -f (regular file) -e (exists) -d (directory) -s (exists, size > 0), symlinks followed
 *
 * Pure but for fileStat, the one stat(2) the tracker makes.
 */
import { statSync } from 'node:fs';

/** FileTestScript is a recognised file-test script. */
export interface FileTestScript {
  op: 'f' | 'e' | 'd' | 's';
  path: string;
  negate: boolean;
  /** exitWhenTrue / exitWhenFalse are the script's exit status for each outcome of the test. */
  exitWhenTrue: number;
  exitWhenFalse: number;
}

/** FileStat is what the test needs to know of a path (undefined: stat failed, as bash treats it). */
export type FileStat = { isFile: boolean; isDirectory: boolean; size: number } | undefined;

const PATH = String.raw`(\/[A-Za-z0-9_.\/@+:-]*)`;
const QUOTED = `(?:${PATH}|"${PATH}"|'${PATH}')`;
const TEST = String.raw`(!\s+)?(?:\[\[\s+-([feds])\s+${QUOTED}\s+\]\]|\[\s+-([feds])\s+${QUOTED}\s+\]|test\s+-([feds])\s+${QUOTED})`;
const EXIT = String.raw`exit\s+(\d{1,3})`;
const FORMS = new RegExp(
  String.raw`^\s*${TEST}\s*(?:&&\s*${EXIT}\s*\|\|\s*${EXIT}|\|\|\s*${EXIT})?\s*;?\s*$`,
);

/** parseFileTestScript recognises a file-test script; undefined for anything else. */
export function parseFileTestScript(script: string): FileTestScript | undefined {
  const m = FORMS.exec(script);
  if (!m) return undefined;
  const op = (m[2] ?? m[6] ?? m[10]) as FileTestScript['op'];
  const path = [m[3], m[4], m[5], m[7], m[8], m[9], m[11], m[12], m[13]].find((p) => p !== undefined);
  if (path === undefined) return undefined;
  const codes = [m[14], m[15], m[16]].map((c) => (c === undefined ? undefined : Number(c)));
  if (codes.some((c) => c !== undefined && c > 255)) return undefined;
  const [andExit, orExit, onlyOr] = codes;
  return {
    op,
    path,
    negate: m[1] !== undefined,
    exitWhenTrue: andExit ?? 0,
    exitWhenFalse: orExit ?? onlyOr ?? 1,
  };
}

/** evaluateFileTest is the script's exit status given the stat of its path. */
export function evaluateFileTest(t: FileTestScript, st: FileStat): number {
  let holds: boolean;
  switch (t.op) {
    case 'f':
      holds = st?.isFile === true;
      break;
    case 'd':
      holds = st?.isDirectory === true;
      break;
    case 's':
      holds = st !== undefined && st.size > 0;
      break;
    default:
      holds = st !== undefined;
  }
  if (t.negate) holds = !holds;
  return holds ? t.exitWhenTrue : t.exitWhenFalse;
}

/** fileStat is stat(2) of a path as a shell test sees it (symlinks followed; any error: no file). */
export function fileStat(path: string): FileStat {
  try {
    const st = statSync(path);
    return { isFile: st.isFile(), isDirectory: st.isDirectory(), size: st.size };
  } catch {
    return undefined;
  }
}
