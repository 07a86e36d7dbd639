/**
 * Writing dump files safely (keepalived CVE-2018-19044: a dump followed a symlink planted under
 * /tmp; CVE-2018-19045: dumps were created mode 0666). A dump is written to a fresh temporary
 * name opened O_CREAT|O_EXCL|O_NOFOLLOW with mode 0600, then renamed over the target; rename
 * never follows a symlink. The directory must be ours and writable by nobody else, except the
 * keepalived-compatible /tmp/keepalived.json, written into a sticky directory only over a
 * regular file we own.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  type Stats,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { KeepvipError } from '../util/errors.js';

const euid = () => process.geteuid?.() ?? 0;

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * checkPrivateDir throws E_DUMP_UNSAFE unless dir is a real directory (not a symlink) owned by
 * us and not writable by group or others; with allowSticky a world-writable directory is
 * accepted when it has the sticky bit (/tmp), where others cannot replace our files.
 */
export function checkPrivateDir(dir: string, allowSticky = false): void {
  const st = lstatOrUndefined(dir);
  if (!st) throw new KeepvipError('E_DUMP_UNSAFE', `${dir} does not exist`);
  if (st.isSymbolicLink()) throw new KeepvipError('E_DUMP_UNSAFE', `${dir} is a symlink`);
  if (!st.isDirectory()) throw new KeepvipError('E_DUMP_UNSAFE', `${dir} is not a directory`);
  if (allowSticky && st.mode & constants.S_IWOTH && st.mode & 0o1000) return;
  if (st.uid !== euid())
    throw new KeepvipError('E_DUMP_UNSAFE', `${dir} is owned by uid ${st.uid}, not ${euid()}`);
  if (st.mode & 0o022)
    throw new KeepvipError(
      'E_DUMP_UNSAFE',
      `${dir} is writable by others (mode ${(st.mode & 0o7777).toString(8)})`,
    );
}

/** ensurePrivateDir creates dir (mode 0700) when missing, then checks it as checkPrivateDir does. */
export function ensurePrivateDir(dir: string): void {
  if (!lstatOrUndefined(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkPrivateDir(dir);
}

/** writeExclusive writes text to path through a new O_EXCL|O_NOFOLLOW temporary file and a rename. */
function writeExclusive(path: string, text: string, mode: number): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}`);
  const fd = openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
  try {
    fchmodSync(fd, mode);
    const buf = Buffer.from(text);
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** writePrivateFile writes a dump into a private directory (checkPrivateDir) with mode 0600. */
export function writePrivateFile(path: string, text: string): void {
  checkPrivateDir(dirname(path));
  const old = lstatOrUndefined(path);
  if (old?.isDirectory()) throw new KeepvipError('E_DUMP_UNSAFE', `${path} is a directory`);
  writeExclusive(path, text, 0o600);
}

/**
 * writeCompatFile writes a file at a fixed, well-known path in a shared directory (/tmp for
 * keepalived-exporter's /tmp/keepalived.json): refused when the path is a symlink, is not a
 * regular file, or belongs to another user (someone planted it); mode 0600.
 */
export function writeCompatFile(path: string, text: string): void {
  checkPrivateDir(dirname(path), true);
  const old = lstatOrUndefined(path);
  if (old?.isSymbolicLink())
    throw new KeepvipError('E_DUMP_UNSAFE', `${path} is a symlink; not following it`);
  if (old && !old.isFile()) throw new KeepvipError('E_DUMP_UNSAFE', `${path} is not a regular file`);
  if (old && old.uid !== euid())
    throw new KeepvipError(
      'E_DUMP_UNSAFE',
      `${path} is owned by uid ${old.uid}, not ${euid()}; not replacing it`,
    );
  writeExclusive(path, text, 0o600);
}
