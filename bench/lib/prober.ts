import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { analyzeProbes, type OutageReport, type ProbeSample } from './outage.js';

/** PROBE_LOOP_SCRIPT is the plain-JS loop that runs inside the client namespace. */
export const PROBE_LOOP_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'probe-loop.js');

/** ProberOptions says where to probe from and what. */
export interface ProberOptions {
  /** netns is the client's network namespace; the loop runs there via `ip netns exec`. */
  netns: string;
  /** url is probed on a new connection each time, e.g. `http://10.77.5.100/`. */
  url: string;
  /** intervalMs between probe starts; 10 by default. */
  intervalMs?: number;
  /** timeoutMs after which a probe counts as failed; 100 by default. */
  timeoutMs?: number;
}

/**
 * Prober is a running probe loop in a client namespace. Samples stream in as they complete;
 * `stop()` ends the loop and returns them all.
 */
export class Prober {
  /** samples are the completed probes so far, in completion order. */
  readonly samples: ProbeSample[] = [];
  /** pid is the loop's host pid (also its process group). */
  readonly pid: number;
  private readonly child: ReturnType<typeof execa>;
  private readonly waiters = new Set<() => void>();
  private readonly stderr: string[] = [];
  private readonly ended: Promise<void>;
  private readonly onExit = () => this.kill();

  private constructor(options: ProberOptions, ready: (err?: Error) => void) {
    const args = [
      'netns',
      'exec',
      options.netns,
      process.execPath,
      PROBE_LOOP_SCRIPT,
      '--url',
      options.url,
      '--interval-ms',
      String(options.intervalMs ?? 10),
      '--timeout-ms',
      String(options.timeoutMs ?? 100),
    ];
    this.child = execa('ip', args, {
      detached: true,
      cleanup: false,
      reject: false,
      buffer: false,
      stdin: 'ignore',
    });
    if (this.child.pid === undefined) throw new Error('probe loop failed to spawn');
    this.pid = this.child.pid;
    process.once('exit', this.onExit);
    const rl = createInterface({ input: this.child.stdout!, crlfDelay: Number.POSITIVE_INFINITY });
    rl.on('line', (line) => {
      const msg = JSON.parse(line) as ProbeSample & { ready?: boolean; done?: boolean };
      if (msg.ready) return ready();
      if (msg.done) return;
      this.samples.push(msg);
      for (const w of this.waiters) w();
    });
    createInterface({ input: this.child.stderr! }).on('line', (l) => this.stderr.push(l));
    this.ended = this.child.then((r) => {
      process.removeListener('exit', this.onExit);
      ready(new Error(`probe loop exited (code ${r.exitCode}): ${this.stderr.join('\n')}`));
    });
  }

  /** start launches the probe loop and resolves once it is probing. */
  static start(options: ProberOptions): Promise<Prober> {
    return new Promise((resolve, reject) => {
      const prober: Prober = new Prober(options, (err) => (err ? reject(err) : resolve(prober)));
    });
  }

  /**
   * waitFor resolves when `predicate` holds for some completed sample (checked as they arrive),
   * e.g. the first answer from node n2; rejects after `timeoutMs`.
   */
  waitFor(predicate: (s: ProbeSample) => boolean, timeoutMs: number): Promise<ProbeSample> {
    return new Promise((resolve, reject) => {
      let seen = 0;
      const check = () => {
        for (; seen < this.samples.length; seen++) {
          const s = this.samples[seen]!;
          if (predicate(s)) {
            clearTimeout(timer);
            this.waiters.delete(check);
            resolve(s);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(`prober: no matching sample within ${timeoutMs} ms (${this.samples.length} samples)`),
        );
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** report analyses the samples so far. */
  report(): OutageReport {
    return analyzeProbes(this.samples);
  }

  /** stop ends the loop (SIGTERM; it finishes probes in flight) and returns every sample. */
  async stop(timeoutMs = 3000): Promise<ProbeSample[]> {
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => this.kill(), timeoutMs);
    await this.ended;
    clearTimeout(timer);
    return this.samples;
  }

  /** kill ends the loop at once (SIGKILL to its process group). */
  kill(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** startProber launches a probe loop in `options.netns`; see Prober. */
export function startProber(options: ProberOptions): Promise<Prober> {
  return Prober.start(options);
}
