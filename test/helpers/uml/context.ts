import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StepOptions, StepResult, UmlGuest } from '../uml.js';
import { UmlStepError } from '../uml.js';

/**
 * GuestContext is a mount and network namespace of its own inside a UML guest, kept by bind
 * mounts under the guest's /run/kv-ctx (no process holds it): a private tmpfs /run (so
 * /run/netns, pid files and sockets are the context's own) and a network namespace with only
 * `lo`. Steps run in it with `ctx.run` (nsenter); processes they leave behind stay in it.
 * Several contexts let one guest run the same scenario (the same namespace names, addresses
 * and /run paths, e.g. test/fixtures/lvs/lab.sh) several times at once; the one CPU is shared,
 * the waits overlap.
 */
export class GuestContext {
  /** name is the context's name (its directory under /run/kv-ctx in the guest). */
  readonly name: string;
  /** guest is the guest the context lives in. */
  readonly guest: UmlGuest;
  private next = 1;

  private constructor(guest: UmlGuest, name: string) {
    this.guest = guest;
    this.name = name;
  }

  /** open creates the context in the guest. Open the contexts of one guest one after another. */
  static async open(guest: UmlGuest, name: string): Promise<GuestContext> {
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`bad context name ${name}`);
    await guest.check(`set -e
base=/run/kv-ctx
# unshare --mount=FILE needs FILE on a mount that is not shared.
if ! mountpoint -q $base; then mkdir -p $base; mount -t tmpfs tmpfs $base; mount --make-private $base; fi
mkdir -p $base/${name}
touch $base/${name}/mnt $base/${name}/net
unshare --mount=$base/${name}/mnt --net=$base/${name}/net --propagation private sh -c \\
  'mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p /run/netns /run/lock && ip link set lo up'
`);
    mkdirSync(join(guest.dir, 'ctx'), { recursive: true });
    return new GuestContext(guest, name);
  }

  /** run executes a bash script inside the context (as UmlGuest.run: never throws on a non-zero exit). */
  run(script: string, options: Omit<StepOptions, 'lang'> = {}): Promise<StepResult> {
    const file = join(this.guest.dir, 'ctx', `${this.name}-${this.next++}.sh`);
    writeFileSync(file, script);
    const base = `/run/kv-ctx/${this.name}`;
    return this.guest.run(`exec nsenter --mount=${base}/mnt --net=${base}/net bash ${file}`, options);
  }

  /** check runs a script like `run` and throws UmlStepError when it exits non-zero. */
  async check(script: string, options: Omit<StepOptions, 'lang'> = {}): Promise<StepResult> {
    const r = await this.run(script, options);
    if (r.exitCode !== 0) throw new UmlStepError(`[${this.name}] ${script.trim().split('\n')[0] ?? ''}`, r);
    return r;
  }
}
