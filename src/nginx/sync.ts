/**
 * NginxSync keeps each nginx_upstream's file in step with its pool while the daemon runs:
 * health checks flip members, changes within `coalesce_delay` are rendered once, renders of
 * one upstream run one at a time, and every render goes through the safe apply (apply.ts).
 * A failed apply is logged and handed to the block's `notify` command; the running nginx keeps
 * its configuration.
 */
import type { CheckScheduler } from '../check/scheduler.js';
import type { RealServerKey, VerdictSource } from '../check/verdict.js';
import type { KeepvipConfig, NginxUpstream } from '../config/model.js';
import { type Clock, systemClock, type TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { type ApplyPorts, ApplyFailedError, applyRendered } from './apply.js';
import { fsPorts, runCommand } from './fs-ports.js';
import { withUpstreamHealth } from './health.js';
import { type PoolMember, resolvePool } from './pool.js';
import { renderUpstream } from './upstream.js';

/** NginxSyncOptions: the configuration, the logger, and (for tests) the apply ports and whether to run health checks. */
export interface NginxSyncOptions {
  config: KeepvipConfig;
  log: Logger;
  ports?: ApplyPorts;
  /**
   * verdicts are the checkers' verdicts (the daemon's CheckScheduler, which also runs the
   * upstreams' health_check members: nginx/health.ts). Without them NginxSync runs its own
   * scheduler over the same checks (keepvip render, tests).
   */
  verdicts?: VerdictSource;
  healthChecks?: boolean;
  /** connect replaces the probe of the TCP checks of an own scheduler (tests). */
  connect?: (host: string, port: number, timeoutMs: number) => Promise<boolean>;
  clock?: Clock;
}

/** UpstreamStatus is what `keepvip status` can show for one upstream. */
export interface UpstreamStatus {
  name: string;
  output: string;
  members: { server: string; up: boolean; checked: boolean }[];
  renders: number;
  applies: number;
  failures: number;
  lastResult?: string;
  lastAt?: string;
}

/** UpstreamSync is the running state of one nginx_upstream. */
class UpstreamSync {
  readonly members: PoolMember[];
  private readonly unsubscribe: (() => void) | undefined;
  private readonly watched: Set<RealServerKey>;
  private timer: TimerHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly stats = { renders: 0, applies: 0, failures: 0 } as {
    renders: number;
    applies: number;
    failures: number;
    lastResult?: string;
    lastAt?: string;
  };

  constructor(
    readonly up: NginxUpstream,
    private readonly config: KeepvipConfig,
    private readonly log: Logger,
    private readonly ports: ApplyPorts,
    private readonly verdicts: VerdictSource | undefined,
    private readonly clock: Clock,
  ) {
    this.members = resolvePool(up, config);
    this.watched = new Set(this.members.flatMap((m) => (m.verdictKey === undefined ? [] : [m.verdictKey])));
    this.unsubscribe =
      verdicts !== undefined && this.watched.size > 0
        ? verdicts.subscribe((key, v) => {
            if (!this.watched.has(key)) return;
            for (const m of this.members)
              if (m.verdictKey === key)
                this.log.info(
                  `nginx_upstream ${up.name}: server ${m.address}:${m.port} is ${v.alive ? 'up' : 'down'} (health check)`,
                );
            this.schedule();
          })
        : undefined;
  }

  /** view is each member's up/down from the verdicts (a member without a verdict yet is up). */
  view(): Map<string, boolean> {
    const out = new Map<string, boolean>();
    if (this.verdicts === undefined) return out;
    for (const m of this.members) {
      if (m.verdictKey === undefined) continue;
      const v = this.verdicts.get(m.verdictKey);
      if (v !== undefined) out.set(m.key, v.alive);
    }
    return out;
  }

  start(): Promise<void> {
    return this.render('start');
  }

  /** schedule gathers changes for coalesceMs, then renders once. */
  schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = this.clock.at(this.clock.nowMs() + this.up.coalesceMs, () => {
      this.timer = undefined;
      void this.render('pool change');
    });
  }

  /** render queues one render and apply after any in progress. */
  render(reason: string): Promise<void> {
    this.chain = this.chain.then(() => this.renderOnce(reason));
    return this.chain;
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.timer?.cancel();
    this.timer = undefined;
    await this.chain;
  }

  status(): UpstreamStatus {
    const view = this.view();
    return {
      name: this.up.name,
      output: this.up.output,
      members: this.members.map((m) => ({
        server: `${m.address}:${m.port}`,
        up: !m.adminDown && view.get(m.key) !== false,
        checked: m.verdictKey !== undefined && this.verdicts !== undefined,
      })),
      ...this.stats,
    };
  }

  private async renderOnce(reason: string): Promise<void> {
    const up = this.up;
    this.stats.renders++;
    this.stats.lastAt = new Date().toISOString();
    let content: string;
    try {
      content = renderUpstream(up, this.config, this.view());
    } catch (err) {
      await this.fail('render', (err as Error).message);
      return;
    }
    try {
      const r = await applyRendered(up, content, this.ports);
      if (r.status === 'unchanged') {
        this.log.debug(`nginx_upstream ${up.name}: ${up.output} unchanged (${reason})`);
        this.stats.lastResult = 'unchanged';
        return;
      }
      this.stats.applies++;
      this.stats.lastResult = 'applied';
      this.log.info(
        `nginx_upstream ${up.name}: ${up.output} updated and nginx reloaded (${reason}; test ${r.testMs.toFixed(0)} ms, reload ${r.reloadMs.toFixed(0)} ms)`,
      );
    } catch (err) {
      const step = err instanceof ApplyFailedError ? err.step : 'write';
      await this.fail(step, (err as Error).message);
    }
  }

  private async fail(step: string, message: string): Promise<void> {
    this.stats.failures++;
    this.stats.lastResult = `failed at ${step}: ${message}`;
    this.log.error(`nginx_upstream ${this.up.name}: ${step} failed: ${message}`);
    if (this.up.notify === undefined) return;
    // The notify command gets NAME STEP MESSAGE appended, as `notify` gets its state words.
    const r = await runCommand(this.up.notify, [this.up.name, step, message]).catch((err: Error) => ({
      ok: false,
      output: err.message,
    }));
    if (!r.ok) this.log.warn(`nginx_upstream ${this.up.name}: notify ${this.up.notify} failed: ${r.output}`);
  }
}

/** NginxSync runs every nginx_upstream of a configuration; the daemon starts it after the VRRP runner and stops it before. */
export class NginxSync {
  private syncs: UpstreamSync[] = [];
  private config: KeepvipConfig;
  private running = false;
  /** own is the scheduler NginxSync runs when it was given no verdicts. */
  private own: CheckScheduler | undefined;

  constructor(private readonly options: NginxSyncOptions) {
    this.config = options.config;
  }

  /** start begins health checks and renders every upstream once (failures are logged, not thrown). */
  async start(): Promise<void> {
    this.running = true;
    let verdicts = this.options.verdicts;
    if (
      verdicts === undefined &&
      (this.options.healthChecks ?? true) &&
      this.config.nginxUpstreams.length > 0
    ) {
      this.own = await this.ownScheduler(this.config);
      verdicts = this.own;
    }
    this.syncs = this.config.nginxUpstreams.map(
      (up) =>
        new UpstreamSync(
          up,
          this.config,
          this.options.log,
          this.options.ports ?? fsPorts,
          verdicts,
          this.options.clock ?? systemClock,
        ),
    );
    this.own?.start();
    await Promise.all(this.syncs.map((s) => s.start()));
  }

  /**
   * ownScheduler checks only what the upstreams use: their health_check members and their virtual
   * servers' real servers. The scheduler and every probe are loaded here, only then: the daemon
   * passes its checker thread's verdicts, and a VRRP-only daemon never loads the checker code
   * (about 1 MB resident of the 255-instance master's, bench/scale.ts).
   */
  private async ownScheduler(config: KeepvipConfig): Promise<CheckScheduler> {
    const { CheckScheduler } = await import('../check/scheduler.js');
    const used = config.virtualServers.filter((vs) =>
      config.nginxUpstreams.some((up) =>
        up.fromVirtualServers.some((r) => r.address === vs.address && r.port === vs.port),
      ),
    );
    const connect = this.options.connect;
    return new CheckScheduler({
      config: withUpstreamHealth({ ...config, virtualServers: used }),
      clock: this.options.clock ?? systemClock,
      log: this.options.log,
      ...(connect === undefined
        ? {}
        : {
            probeFor: (c, _vs, rs) => async () => {
              const ok = await connect(
                c.connectIp ?? rs.address,
                c.connectPort ?? rs.port,
                c.connectTimeoutMs,
              );
              return { ok, reason: ok ? 'connected' : 'connect failed' };
            },
          }),
    });
  }

  /**
   * rerender renders every upstream again now (templates are re-read). With a new configuration
   * (SIGHUP reload) the pools and health checks are rebuilt from it first; health restarts up.
   */
  async rerender(config?: KeepvipConfig): Promise<void> {
    if (!this.running) return;
    if (config !== undefined && config !== this.config) {
      await Promise.all(this.syncs.map((s) => s.stop()));
      this.own?.stop();
      this.own = undefined;
      this.config = config;
      await this.start();
      return;
    }
    await Promise.all(this.syncs.map((s) => s.render('rerender')));
  }

  /** stop ends health checks and waits for a render in progress. */
  async stop(): Promise<void> {
    this.running = false;
    this.own?.stop();
    await Promise.all(this.syncs.map((s) => s.stop()));
  }

  /** status describes each upstream's members and last render. */
  status(): UpstreamStatus[] {
    return this.syncs.map((s) => s.status());
  }
}
