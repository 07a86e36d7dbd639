/** FakePorts: an in-memory filesystem and scripted commands for the apply steps, recording every call. */
import type { ApplyPorts, CommandResult } from '../../../src/nginx/apply.js';

/** FakePorts implements ApplyPorts over a Map; `failOn` makes one operation fail. */
export class FakePorts implements ApplyPorts {
  readonly files = new Map<string, string>();
  readonly calls: string[] = [];
  /** results maps a command to its result (default ok). */
  readonly results = new Map<string, CommandResult>();
  /** failOn names an operation and path (`rename:/x`, `writeFile:/x`) that throws EACCES. */
  failOn = new Set<string>();
  /** seenAtTest is the output file's content when each command ran. */
  readonly seenByCommand: { command: string; output: string | undefined }[] = [];
  constructor(private readonly watched = '') {}

  private check(op: string, path: string): void {
    this.calls.push(`${op} ${path}`);
    if (this.failOn.has(`${op}:${path}`))
      throw Object.assign(new Error(`EACCES: ${op} ${path}`), { code: 'EACCES' });
  }
  async readFile(path: string) {
    this.check('readFile', path);
    return this.files.get(path);
  }
  async writeFile(path: string, data: string) {
    this.check('writeFile', path);
    this.files.set(path, data);
  }
  async rename(from: string, to: string) {
    this.check('rename', from);
    const v = this.files.get(from);
    if (v === undefined) throw Object.assign(new Error(`ENOENT ${from}`), { code: 'ENOENT' });
    this.files.set(to, v);
    this.files.delete(from);
  }
  async unlink(path: string) {
    this.check('unlink', path);
    if (!this.files.delete(path)) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
  }
  async run(command: string) {
    this.calls.push(`run ${command}`);
    this.seenByCommand.push({ command, output: this.files.get(this.watched) });
    return this.results.get(command) ?? { ok: true, output: '' };
  }
}
