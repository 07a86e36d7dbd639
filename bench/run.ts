/**
 * bench/run.ts: runs every benchmark bench/<topic>.ts (all but this file), one after the other,
 * each in its own `node --import tsx` process so one benchmark's namespaces, timers and exit
 * hooks never touch the next. `npm run bench` runs them all; `npm run bench -- failover config`
 * runs the named ones; options after the names go to each benchmark run, e.g.
 * `npm run bench -- failover --repeats 5`. Exits non-zero if any benchmark failed.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const SELF = 'run.ts';
let interrupted = false;

/** listBenchmarks returns the topic names of bench/*.ts, sorted, without this runner. */
export function listBenchmarks(dir = BENCH_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && e.name !== SELF && !e.name.endsWith('.d.ts'))
    .map((e) => e.name.slice(0, -'.ts'.length))
    .sort();
}

/** runBenchmark runs one benchmark with inherited stdio and resolves with its exit code (or signal). */
function runBenchmark(
  topic: string,
  args: string[],
): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, `${topic}.ts`), ...args], {
      stdio: 'inherit',
    });
    // A SIGTERM to the runner alone is passed on, so the benchmark cleans up its namespaces.
    const forward = () => {
      interrupted = true;
      child.kill('SIGTERM');
    };
    process.once('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      process.removeListener('SIGTERM', forward);
      resolve({ code, signal });
    });
    child.on('error', () => resolve({ code: 127, signal: null }));
  });
}

async function main(): Promise<void> {
  // Leading words name benchmarks; from the first option on, everything goes to each benchmark.
  const argv = process.argv.slice(2);
  const firstOption = argv.findIndex((a) => a.startsWith('-'));
  const names = firstOption >= 0 ? argv.slice(0, firstOption) : argv;
  const passThrough = firstOption >= 0 ? argv.slice(firstOption) : [];
  if (passThrough[0] === '--') passThrough.shift();
  const available = listBenchmarks();
  const unknown = names.filter((n) => !available.includes(n.replace(/\.ts$/, '')));
  if (unknown.length) {
    console.error(`bench: unknown benchmark(s) ${unknown.join(', ')}; available: ${available.join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const selected = names.length ? names.map((n) => n.replace(/\.ts$/, '')) : available;
  // Ctrl-C reaches the running benchmark too (same process group); it cleans up, then we stop.
  process.on('SIGINT', () => {
    interrupted = true;
  });
  const summary: string[] = [];
  for (const topic of selected) {
    if (interrupted) break;
    console.log(`\n=== bench/${topic}.ts ===`);
    const t0 = performance.now();
    const { code, signal } = await runBenchmark(topic, passThrough);
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    const outcome = signal ? `killed by ${signal}` : code === 0 ? 'ok' : `exit ${code}`;
    summary.push(`${topic}: ${outcome} (${seconds} s)`);
    if (code !== 0) process.exitCode = 1;
  }
  console.log(`\n=== bench summary ===\n${summary.join('\n')}${interrupted ? '\n(interrupted)' : ''}`);
}

await main();
