/**
 * bench/spawn.ts: how long starting a program holds the event loop, Node's child_process (fork +
 * exec) against the addon's clone(CLONE_VM | CLONE_VFORK) (kernel/spawn.ts), at the daemon's
 * resident size and at a large one. Each start is a vrrp_script-like `bash -c 'killall -0 nginx
 * …'`; the figure is the time spent inside the start call (the loop can do nothing else then),
 * p50 and max over --runs starts, one at a time. The exit is awaited between starts.
 *
 * Run: node --import tsx bench/spawn.ts [--runs N] [--sizes 0,200] (MiB of extra resident
 * buffers before measuring).
 */
import { nativeStarter } from '../src/kernel/spawn.js';
import { ManualClock } from '../src/util/manual-clock.js';
import { nodeStarter, type ProcessStarter, startProcess, useProcessStarter } from '../src/util/spawn.js';
import { argValue, median } from './lib/args.js';

const RUNS = Number(argValue('--runs') ?? 30);
const SIZES = (argValue('--sizes') ?? '0,200').split(',').map(Number);
const CALL = { file: '/bin/bash', args: ['-c', 'killall -0 nginx 2>/dev/null && exit 0 || exit 1'] };

async function measure(starter: ProcessStarter): Promise<number[]> {
  useProcessStarter(starter);
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const h = startProcess(CALL, { clock: new ManualClock(), output: 'stderr' });
    out.push(performance.now() - t0);
    await h.exited;
  }
  return out;
}

const ballast: Buffer[] = [];
console.log('| extra MiB | RSS MB | Node fork p50 / max ms | addon clone p50 / max ms | ratio (p50) |');
console.log('|---|---|---|---|---|');
for (const mib of SIZES) {
  while (ballast.length < mib) ballast.push(Buffer.alloc(1 << 20, 1));
  const fork = await measure(nodeStarter);
  const clone = await measure(nativeStarter);
  const rss = process.memoryUsage().rss / 1e6;
  const f = median(fork);
  const c = median(clone);
  console.log(
    `| ${mib} | ${rss.toFixed(0)} | ${f.toFixed(2)} / ${Math.max(...fork).toFixed(2)} | ${c.toFixed(3)} / ${Math.max(...clone).toFixed(3)} | ${(c / f).toFixed(3)} |`,
  );
}
