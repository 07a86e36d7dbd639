/**
 * Safe apply of a rendered nginx file. nginx reads its configuration only at start and on
 * reload, so the steps are: nothing to do when the content is unchanged; write a temporary
 * file in the destination directory (same filesystem, so the rename is atomic); keep the
 * previous version as `<output>.keepvip-prev`; rename the new file into place; run `nginx -t`
 * on the top-level configuration, which is what includes the file (a fragment tested alone
 * passes or fails for the wrong reasons, the gap confd has); reload. When the test or the
 * reload fails, the previous content is put back with the same atomic rename and the rejected
 * rendering is kept as `<output>.keepvip-rejected` for the operator. The temporary and backup
 * names do not end in `.conf`, so an `include conf.d/*.conf` never picks them up.
 */
import { dirname, join, basename } from 'node:path';
import { KeepvipError } from '../util/errors.js';

/** ApplyStep names a step that can fail. */
export type ApplyStep = 'write' | 'test' | 'reload';

/** ApplyFailedError reports a failed apply; `step` says where, `restored` whether the previous file is back (code E_NGINX_APPLY). */
export class ApplyFailedError extends KeepvipError {
  readonly step: ApplyStep;
  readonly restored: boolean;
  readonly output: string;
  constructor(step: ApplyStep, message: string, restored: boolean, output = '') {
    super('E_NGINX_APPLY', message);
    this.step = step;
    this.restored = restored;
    this.output = output;
  }
}

/** CommandResult is the outcome of a test or reload command. */
export interface CommandResult {
  ok: boolean;
  /** output is the command's stdout and stderr, for the log. */
  output: string;
}

/** ApplyPorts are the file and process operations apply needs (real ones in fs-ports.ts; fakes in tests). */
export interface ApplyPorts {
  /** readFile returns undefined when the file does not exist. */
  readFile(path: string): Promise<string | undefined>;
  writeFile(path: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  run(command: string): Promise<CommandResult>;
}

/** ApplyTarget is where the content goes and how nginx checks and loads it. */
export interface ApplyTarget {
  output: string;
  testCommand: string;
  reloadCommand: string;
}

/** ApplyResult: `unchanged` wrote nothing; `applied` is in place and nginx reloaded. */
export type ApplyResult =
  | { status: 'unchanged' }
  | { status: 'applied'; previous: string | undefined; testMs: number; reloadMs: number };

/** sidePaths are the temporary, backup and rejected-file names next to `output`. */
export function sidePaths(output: string): { temp: string; previous: string; rejected: string } {
  return {
    temp: join(dirname(output), `.${basename(output)}.keepvip-new`),
    previous: `${output}.keepvip-prev`,
    rejected: `${output}.keepvip-rejected`,
  };
}

/** applyRendered puts `content` in place (see the module comment); throws ApplyFailedError with the previous file restored. */
export async function applyRendered(
  target: ApplyTarget,
  content: string,
  ports: ApplyPorts,
  now: () => number = () => performance.now(),
): Promise<ApplyResult> {
  const current = await ports.readFile(target.output).catch((err: Error) => {
    throw new ApplyFailedError('write', `cannot read ${target.output}: ${err.message}`, true);
  });
  if (current === content) return { status: 'unchanged' };
  const side = sidePaths(target.output);
  try {
    await ports.writeFile(side.temp, content);
    if (current !== undefined) await ports.writeFile(side.previous, current);
    await ports.rename(side.temp, target.output);
  } catch (err) {
    await ports.unlink(side.temp).catch(() => {});
    // The rename is the last step, so the output is still the previous file.
    throw new ApplyFailedError('write', `cannot write ${target.output}: ${(err as Error).message}`, true);
  }
  const t0 = now();
  const test = await ports.run(target.testCommand);
  const testMs = now() - t0;
  if (!test.ok) {
    const restored = await restore(target.output, current, content, ports);
    throw new ApplyFailedError(
      'test',
      `${target.testCommand} rejected the new ${target.output}${restored ? '; previous version restored' : ''}: ${oneLine(test.output)}`,
      restored,
      test.output,
    );
  }
  const t1 = now();
  const reload = await ports.run(target.reloadCommand);
  const reloadMs = now() - t1;
  if (!reload.ok) {
    // nginx did not take the signal (not running, wrong pid file): it still runs the previous
    // configuration, or none; put the file back so disk and memory agree.
    const restored = await restore(target.output, current, content, ports);
    throw new ApplyFailedError(
      'reload',
      `${target.reloadCommand} failed${restored ? '; previous version restored' : ''}: ${oneLine(reload.output)}`,
      restored,
      reload.output,
    );
  }
  return { status: 'applied', previous: current, testMs, reloadMs };
}

/** restore puts `previous` back at `output` atomically (or removes the file when there was none); true when it worked. */
async function restore(
  output: string,
  previous: string | undefined,
  rejected: string,
  ports: ApplyPorts,
): Promise<boolean> {
  const side = sidePaths(output);
  await ports.writeFile(side.rejected, rejected).catch(() => {});
  try {
    if (previous === undefined) {
      await ports.unlink(output);
    } else {
      await ports.writeFile(side.temp, previous);
      await ports.rename(side.temp, output);
    }
    return true;
  } catch {
    await ports.unlink(side.temp).catch(() => {});
    return false;
  }
}

function oneLine(text: string): string {
  const t = text.trim().replace(/\s*\n\s*/g, ' | ');
  return t.length > 400 ? `${t.slice(0, 400)}…` : t || '(no output)';
}
