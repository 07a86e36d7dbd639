/**
 * NginxSync keeps each nginx_upstream's file in step with its pool while the daemon runs:
 * health checks flip members, changes within `coalesce_delay` are rendered once, renders of
 * one upstream run one at a time, and every render goes through the safe apply (apply.ts).
 * A failed apply is logged and handed to the block's `notify` command; the running nginx keeps
 * its configuration.
 */
import type { KeepvipConfig, NginxUpstream } from '../config/model.js';
import type { Logger } from '../util/logger.js';
import { type ApplyPorts, ApplyFailedError, applyRendered } from './apply.js';
import { fsPorts, runCommand } from './fs-ports.js';
import { TcpHealthMonitor, tcpConnect } from './health.js';
import { type PoolMember, resolvePool } from './pool.js';
import { renderUpstream } from './upstream.js';

/** NginxSyncOptions: the configuration, the logger, and (for tests) the apply ports and whether to run health checks. */
export interface NginxSyncOptions {
  config: KeepvipConfig;
  log: Logger;
  ports?: ApplyPorts;
  healthChecks?: boolean;
  /** connect replaces the TCP connect of health checks (tests). */
  connect?: typeof tcpConnect;
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
  private readonly monitor: TcpHealthMonitor | undefined;
  private timer: NodeJS.Timeout | undefined;
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
    healthChecks: boolean,
    connect: typeof tcpConnect,
  ) {
    this.members = resolvePool(up, config);
    this.monitor =
      healthChecks && this.members.some((m) => m.check)
        ? new TcpHealthMonitor(
            this.members,
            (m, upNow) => {
              this.log.info(
                `nginx_upstream ${up.name}: server ${m.address}:${m.port} is ${upNow ? 'up' : 'down'} (health check)`,
              );
              this.schedule();
            },
            connect,
          )
        : undefined;
  }

  start(): Promise<void> {
    this.monitor?.start();
    return this.render('start');
  }

  /** schedule gathers changes for coalesceMs, then renders once. */
  schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.render('pool change');
    }, this.up.coalesceMs);
  }

  /** render queues one render and apply after any in progress. */
  render(reason: string): Promise<void> {
    this.chain = this.chain.then(() => this.renderOnce(reason));
    return this.chain;
  }

  async stop(): Promise<void> {
    this.monitor?.stop();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain;
  }

  status(): UpstreamStatus {
    const view = this.monitor?.view() ?? new Map<string, boolean>();
    return {
      name: this.up.name,
      output: this.up.output,
      members: this.members.map((m) => ({
        server: `${m.address}:${m.port}`,
        up: !m.adminDown && view.get(m.key) !== false,
        checked: m.check !== undefined && this.monitor !== undefined,
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
      content = renderUpstream(up, this.config, this.monitor?.view());
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

  constructor(private readonly options: NginxSyncOptions) {
    this.config = options.config;
  }

  /** start begins health checks and renders every upstream once (failures are logged, not thrown). */
  async start(): Promise<void> {
    this.running = true;
    this.syncs = this.config.nginxUpstreams.map(
      (up) =>
        new UpstreamSync(
          up,
          this.config,
          this.options.log,
          this.options.ports ?? fsPorts,
          this.options.healthChecks ?? true,
          this.options.connect ?? tcpConnect,
        ),
    );
    await Promise.all(this.syncs.map((s) => s.start()));
  }

  /**
   * rerender renders every upstream again now (templates are re-read). With a new configuration
   * (SIGHUP reload) the pools and health checks are rebuilt from it first; health restarts up.
   */
  async rerender(config?: KeepvipConfig): Promise<void> {
    if (!this.running) return;
    if (config !== undefined && config !== this.config) {
      await Promise.all(this.syncs.map((s) => s.stop()));
      this.config = config;
      await this.start();
      return;
    }
    await Promise.all(this.syncs.map((s) => s.render('rerender')));
  }

  /** stop ends health checks and waits for a render in progress. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.syncs.map((s) => s.stop()));
  }

  /** status describes each upstream's members and last render. */
  status(): UpstreamStatus[] {
    return this.syncs.map((s) => s.status());
  }
}
