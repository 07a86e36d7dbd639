/**
 * Who a script runs as, and whether it is safe to run as root. keepalived runs scripts as
 * `script_user` (global) or a vrrp_script's own `user`; with `enable_script_security` it refuses
 * a script that a non-root user could modify: the executable or any directory on its path
 * writable by someone other than root (keepalived's check_script_secure).
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { resolveInvocation, splitWords } from './command.js';
import { KeepvipError } from './errors.js';
import type { ProcessIdentity } from './spawn.js';

/** ScriptUser is a `user USERNAME [GROUPNAME]` setting (config/model.ts has the same shape; util/ cannot import it). */
export interface ScriptUser {
  user: string;
  group?: string;
}

/** ScriptIdentity is the uid, gid and supplementary groups a script runs with. */
export type ScriptIdentity = ProcessIdentity;

/** ScriptPolicy is how keepalived's rules let a script run: as whom, or why not at all. */
export interface ScriptPolicy {
  identity?: ScriptIdentity;
  /** refused says why the script must not run (unknown user, or insecure under enable_script_security). */
  refused?: string;
}

/** lookupId finds a name (or a number) in an /etc/passwd- or /etc/group-style file. */
function lookupId(file: string, name: string): { id: number; gid?: number } | undefined {
  if (/^\d+$/.test(name)) return { id: Number(name) };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name && fields[2] !== undefined) {
      return { id: Number(fields[2]), gid: fields[3] === undefined ? undefined : Number(fields[3]) };
    }
  }
  return undefined;
}

/** supplementaryGroups lists the ids of the /etc/group entries that name `user` as a member (initgroups(3)). */
export function supplementaryGroups(user: string, groupFile = '/etc/group'): number[] {
  let text: string;
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const [, , gid, members] = line.split(':');
    if (gid === undefined || members === undefined) continue;
    if (members.split(',').includes(user) && !out.includes(Number(gid))) out.push(Number(gid));
  }
  return out;
}

/** AccountFiles are where users and groups are read (tests point them elsewhere). */
export interface AccountFiles {
  passwd: string;
  group: string;
}

/** SYSTEM_ACCOUNTS are /etc/passwd and /etc/group. */
export const SYSTEM_ACCOUNTS: AccountFiles = { passwd: '/etc/passwd', group: '/etc/group' };

/**
 * resolveScriptUser turns `user [group]` into ids: the user's uid, the group's gid (default the
 * user's primary group) and the user's supplementary groups, as initgroups(3) gives a login.
 * Throws KeepvipError E_SCRIPT_USER when the user or group is unknown.
 */
export function resolveScriptUser(u: ScriptUser, files: AccountFiles = SYSTEM_ACCOUNTS): ScriptIdentity {
  const user = lookupId(files.passwd, u.user);
  if (!user) throw new KeepvipError('E_SCRIPT_USER', `script user '${u.user}' does not exist`);
  let gid = user.gid ?? user.id;
  if (u.group !== undefined) {
    const group = lookupId(files.group, u.group);
    if (!group) throw new KeepvipError('E_SCRIPT_USER', `script group '${u.group}' does not exist`);
    gid = group.id;
  }
  const groups = /^\d+$/.test(u.user)
    ? []
    : supplementaryGroups(u.user, files.group).filter((g) => g !== gid);
  return { uid: user.id, gid, groups };
}

/** DEFAULT_SCRIPT_USER is the user keepalived runs scripts as when `script_user` is not set and it exists. */
export const DEFAULT_SCRIPT_USER = 'keepalived_script';

/**
 * scriptPolicy applies keepalived's rules to one script string: it runs as its own `user`, else
 * `script_user`, else keepalived_script when that user exists (keepalived.conf(5)), else root;
 * with `enable_script_security` a script that would run as root is refused when a non-root
 * user could modify what it runs (keepalived check_script_secure).
 */
export function scriptPolicy(
  script: string,
  user: ScriptUser | undefined,
  enableScriptSecurity: boolean,
  files: AccountFiles = SYSTEM_ACCOUNTS,
): ScriptPolicy {
  let identity: ScriptIdentity | undefined;
  if (!user && lookupId(files.passwd, DEFAULT_SCRIPT_USER)) user = { user: DEFAULT_SCRIPT_USER };
  if (user) {
    try {
      identity = resolveScriptUser(user, files);
    } catch (err) {
      return { refused: (err as Error).message };
    }
  }
  if (enableScriptSecurity && (identity === undefined || identity.uid === 0)) {
    const why = scriptInsecurity(script);
    if (why !== undefined) return { identity, refused: `${why}, so running it as root is unsafe` };
  }
  return { identity };
}

/** findExecutable resolves a command name through PATH as execvp would; undefined when not found. */
export function findExecutable(
  name: string,
  path = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
): string | undefined {
  if (name.includes('/')) return isAbsolute(name) ? name : undefined;
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** executablesOf lists the files a script string runs: the shell and the command's own executable. */
export function executablesOf(script: string): string[] {
  const inv = resolveInvocation(script);
  const out = [inv.file];
  // With a shell, the first word is usually the check itself (`/etc/keepalived/check.sh && ...`).
  const first = inv.viaShell ? splitWords(script)[0] : undefined;
  if (first !== undefined && isAbsolute(first)) out.push(first);
  return out;
}

/**
 * insecureReason says why running `file` as root is unsafe, or undefined when it is safe: the file
 * or a directory above it is writable by a user other than root (owner, group or others).
 */
export function insecureReason(file: string): string | undefined {
  const resolved = findExecutable(file) ?? file;
  let p = resolved;
  for (;;) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      return p === resolved ? `${p} does not exist` : undefined;
    }
    if (st.uid !== 0 && (st.mode & 0o200) !== 0) return `${p} is writable by its owner uid ${st.uid}`;
    if (st.gid !== 0 && (st.mode & 0o020) !== 0) return `${p} is writable by group gid ${st.gid}`;
    // A world-writable directory with the sticky bit (/tmp) still protects others' files in it.
    const sticky = st.isDirectory() && (st.mode & 0o1000) !== 0 && p !== resolved;
    if ((st.mode & 0o002) !== 0 && !sticky) return `${p} is writable by every user`;
    const parent = dirname(p);
    if (parent === p) return undefined;
    p = parent;
  }
}

/** scriptInsecurity checks every executable of a script string; undefined when all are safe. */
export function scriptInsecurity(script: string): string | undefined {
  for (const file of executablesOf(script)) {
    const reason = insecureReason(file);
    if (reason !== undefined) return reason;
  }
  return undefined;
}
