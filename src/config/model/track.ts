/**
 * What moves a VRRP priority in the configuration model: vrrp_script, track_file,
 * vrrp_track_process blocks, and the references instances and sync groups make to them.
 */
import type { SourcePos } from '../ast.js';
import type { ScriptUser } from './common.js';

/** VrrpScript is a `vrrp_script NAME { ... }` block. */
export interface VrrpScript {
  name: string;
  /** script is the command string exactly as written (shell syntax allowed, see track/). */
  script: string;
  /** intervalMs defaults to 1 s. */
  intervalMs: number;
  /** timeoutMs defaults to the interval. */
  timeoutMs: number;
  /** weight defaults to 0 (failure puts the instance in FAULT). */
  weight: number;
  weightReverse: boolean;
  /** fall and rise default to 1. */
  fall: number;
  rise: number;
  user?: ScriptUser;
  /** initFail: the script starts in the failed state (init_fail). */
  initFail: boolean;
  pos: SourcePos;
}

/** TrackFileDef is a `track_file NAME { file PATH; weight W [reverse]; init_file [V] [overwrite] }` block. */
export interface TrackFileDef {
  name: string;
  file: string;
  /** weight defaults to 1; the tracked value multiplied by it lowers or raises the priority. */
  weight: number;
  weightReverse: boolean;
  initFile?: { value: number; overwrite: boolean };
  pos: SourcePos;
}

/**
 * TrackProcessDef is a `vrrp_track_process NAME { process P [ARGS]; param_match; full_command;
 * pid_file; quorum; quorum_max; delay; terminate_delay; fork_delay; weight W [reverse] }` block.
 */
export interface TrackProcessDef {
  name: string;
  /** process is the name to match (`/proc/PID/comm`, or argv[0] with full_command); empty with pid_file alone. */
  process: string;
  /** params, when written, must match the process's arguments (see paramMatch). */
  params?: string[];
  /** paramMatch: `exact` (default), `partial` (the params appear in order), `initial` (a prefix). */
  paramMatch: 'exact' | 'partial' | 'initial';
  /** fullCommand: match argv[0] of /proc/PID/cmdline rather than the 15-character comm. */
  fullCommand: boolean;
  /** pidFile (keepvip): follow the process whose pid this file holds (nginx's `pid` file). */
  pidFile?: string;
  /** quorum defaults to 1: fewer running processes is a failure. */
  quorum: number;
  /** quorumMax: more running processes than this is a failure too (unset: no limit). */
  quorumMax?: number;
  /** terminateDelayMs: how long the quorum may be lost before it counts (default 0). */
  terminateDelayMs: number;
  /** forkDelayMs: how long the quorum must be back before it counts (default 0). */
  forkDelayMs: number;
  /** weight defaults to 1 (keepalived.conf(5)); 0 means FAULT while the quorum is not met; -254..254. */
  weight: number;
  weightReverse: boolean;
  pos: SourcePos;
}

/** TrackRef is one entry of a track_script / track_interface / track_file list. */
export interface TrackRef {
  name: string;
  /** weight overrides the tracked object's own weight when written. */
  weight?: number;
  weightReverse?: boolean;
  pos: SourcePos;
}
