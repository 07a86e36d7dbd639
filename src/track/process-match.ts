/**
 * Which processes a vrrp_track_process counts, as keepalived.conf(5) "VRRP track processes"
 * defines it: an exact match (not a regular expression: `process ssh` does not count sshd) of the
 * process name (the `Name:` of /proc/PID/status, 15 characters at most), or of argv[0] when
 * parameters are given or `full_command` is set; parameters match exactly, as a leading subset
 * (`partial`), or with the last one a prefix (`initial`). Zombies are not running processes.
 */
import type { TrackProcessDef } from '../config/model.js';

/** TASK_COMM_LEN: the kernel keeps 15 characters of a process name (include/linux/sched.h, 16 with NUL). */
export const TASK_COMM_LEN = 16;

/** ProcInfo is what /proc says of one process. */
export interface ProcInfo {
  pid: number;
  /** comm is the process name from /proc/PID/stat. */
  comm: string;
  /** state is the one-letter state from /proc/PID/stat (Z for a zombie). */
  state: string;
  /** argv is /proc/PID/cmdline split on NUL (read only when needed). */
  argv?: string[];
}

/** parseProcStat reads `PID (COMM) STATE ...`; the name may itself hold spaces and parentheses. */
export function parseProcStat(text: string): { pid: number; comm: string; state: string } | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number.parseInt(text.slice(0, open), 10);
  const state =
    text
      .slice(close + 1)
      .trim()
      .split(' ')[0] ?? '';
  if (!Number.isInteger(pid)) return undefined;
  return { pid, comm: text.slice(open + 1, close), state };
}

/** parseCmdline splits /proc/PID/cmdline (NUL-separated, NUL-terminated). */
export function parseCmdline(raw: string): string[] {
  const parts = raw.split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/** needsArgv tells whether matching this definition needs /proc/PID/cmdline. */
export function needsArgv(def: TrackProcessDef): boolean {
  return def.fullCommand || def.params !== undefined;
}

/** matchesProcess tells whether a process counts for a vrrp_track_process (name matching only; pid_file is separate). */
export function matchesProcess(def: TrackProcessDef, p: ProcInfo): boolean {
  if (p.state === 'Z' || p.state === 'X' || def.process === '') return false;
  if (!needsArgv(def)) return p.comm === def.process.slice(0, TASK_COMM_LEN - 1);
  const argv = p.argv ?? [];
  if (argv[0] !== def.process) return false;
  const want = def.params;
  if (want === undefined) return true;
  const have = argv.slice(1);
  switch (def.paramMatch) {
    case 'exact':
      return have.length === want.length && want.every((w, i) => have[i] === w);
    case 'partial':
      return have.length >= want.length && want.every((w, i) => have[i] === w);
    case 'initial': {
      if (have.length < want.length) return false;
      const last = want.length - 1;
      return want.every((w, i) => (i === last ? have[i]!.startsWith(w) : have[i] === w));
    }
  }
}

/** quorumMet applies quorum and quorum_max to a count of matching processes. */
export function quorumMet(def: TrackProcessDef, count: number): boolean {
  return count >= def.quorum && (def.quorumMax === undefined || count <= def.quorumMax);
}
