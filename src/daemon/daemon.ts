/**
 * The daemon's lifecycle: read the configuration, take the pid file, start the VRRP runner,
 * and stop gracefully on SIGTERM / SIGINT (priority 0 sent, VIPs removed, exit 0).
 */
import { dumpConfig, loadConfig } from '../config/load.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import type { Logger } from '../util/logger.js';
import { installCrashPolicy } from './crash-policy.js';
import { daemonLog } from './log.js';
import { linuxKernel } from '../kernel/linux-kernel.js';
import { installNativeStarter } from '../kernel/spawn.js';
import { systemClock, systemTimers } from '../util/clock.js';
import { VrrpRunner } from '../runner/vrrp-runner.js';
import { NginxSync } from '../nginx/sync.js';
import { CheckerThread } from '../check/worker-host.js';
import { CheckerAlerts } from '../notify/checker-alerts.js';
import { DaemonLvs, lvsStateFiles } from './lvs.js';
import { applyReload, checkSide, type DaemonSide, checkersSide, lvsSide, vrrpSide } from './reload.js';
import { VERSION } from '../util/version.js';
import { acquirePidFile, releasePidFile } from './pidfile.js';
import { startControlServer } from '../control/server.js';
import { formatData, formatStats } from '../control/dumps.js';
import { DumpWriter, installDumpSignals } from '../control/dump-signals.js';
import { formatJsonDump } from '../control/json-dump.js';
import { renderMetrics, startMetricsServer } from '../control/metrics.js';
import { snapshotFromStatus } from '../control/snapshot.js';
import { holdSignals } from './early-signals.js';
import { DEFAULT_PID_FILE } from './paths.js';
import { rmSync } from 'node:fs';

/** DaemonOptions are what the command line resolved. */
export interface DaemonOptions {
  configFile: string;
  pidFile: string;
  logConsole: boolean;
  logDetail: boolean;
  logJson: boolean;
  configId?: string;
  controlSocket: string;
  /** metrics is `HOST:PORT` (loopback) or `unix:PATH` for the Prometheus endpoint; off when undefined. */
  metrics?: string;
  /** side: keepalived's -P (VRRP only: no nginx rendering) and -C (checkers only: no VRRP). */
  side?: DaemonSide;
  /** logFacility is the syslog facility (-S; default daemon); syslogSocket replaces /dev/log. */
  logFacility?: string;
  syslogSocket?: string;
  /** dontReleaseIpvs is keepalived's -I: the IPVS services stay on stop, for a restart to adopt. */
  dontReleaseIpvs?: boolean;
}

/** runDaemon runs until SIGTERM or SIGINT and returns the exit code. */
export async function runDaemon(o: DaemonOptions): Promise<number> {
  // Scripts, notify programs and logger(1) start through the addon's clone(CLONE_VM), not a fork
  // that holds the VRRP loop while the kernel copies this process (kernel/spawn.ts).
  installNativeStarter();
  // -l console, the journal under systemd, else syslog (keepalived's default): daemon/log.ts.
  // A SIGHUP / SIGUSR1 / SIGUSR2 while starting must not kill the daemon (Node's default action):
  // held until the real handlers exist, then delivered once (daemon/early-signals.ts).
  const held = holdSignals();
  const { log, close: closeLog } = daemonLog(o);
  process.once('exit', closeLog);
  log.info(`Starting Keepvip v${VERSION}`);
  // SIGTERM/SIGINT are ours from here: one that arrives while the configuration is read or the
  // pid file written (an init system stopping a daemon it just started) must still end in a clean
  // stop, not in Node's default exit with the pid file left behind.
  const stopSignal = waitForStopSignal(log);
  const loaded = loadConfig(o.configFile, { configId: o.configId });
  for (const d of loaded.diagnostics) {
    (d.severity === 'error' ? log.error : log.warn)(formatDiagnostic(d));
  }
  if (!loaded.config || !loaded.canRun) {
    log.error(`Configuration ${o.configFile} has errors; not starting`);
    return 1;
  }
  const pid = acquirePidFile(o.pidFile);
  if (!pid.ok) {
    log.error(pid.message);
    return 1;
  }
  const side = o.side ?? 'both';
  // -C runs the checkers side only: the VRRP runner gets no instances.
  const vrrpConfig = vrrpSide(loaded.config, side);
  // Real-server checkers (check/): one verdict per real server for IPVS, nginx pools and alerts;
  // they also run the nginx_upstream health_check members. -P runs none.
  // The checkers run in their own thread (check/worker-host.ts): their syscalls never delay VRRP timers.
  const checks = new CheckerThread({ config: checkersSide(loaded.config, side), log });
  const checkAlerts = new CheckerAlerts(loaded.config, log);
  checks.onEvent((e) => checkAlerts.handle(e));
  // virtual_server blocks and lvs_sync_daemon (lvs/); -P (VRRP only) programs no IPVS service.
  const lvs = new DaemonLvs({
    config: lvsSide(loaded.config, side),
    clock: systemClock,
    log,
    verdicts: checks,
    stateFiles: lvsStateFiles(o.pidFile),
    dontReleaseIpvs: o.dontReleaseIpvs === true,
  });
  const runner = new VrrpRunner({
    config: vrrpConfig,
    kernel: linuxKernel(log),
    clock: systemClock,
    log,
    onTransition: (instance, t) => lvs.onInstanceState(instance, t.to),
  });
  // Errors nobody caught: logged as bugs; an uncaught exception stops the VRRP side cleanly and
  // exits 70 for a restart (daemon/crash-policy.ts).
  installCrashPolicy({ log, emergencyStop: () => runner.stop() });
  // Keep the event loop alive from here until 'Stopped Keepvip', even for a configuration without
  // sockets: start-up and stop await replies on sockets that do not hold the loop (netlink,
  // pidfds), and without this a stop could end the process before it logged that it stopped.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    await runner.start();
  } catch (err) {
    log.error(`cannot start: ${(err as Error).message}`);
    await runner.stop().catch(() => {});
    releasePidFile(o.pidFile);
    clearInterval(keepAlive);
    return 1;
  }
  // nginx_upstream blocks: rendered once now, then on pool changes; SIGHUP calls nginx.rerender(newConfig).
  // -P runs the VRRP side only: no nginx_upstream rendering or health checks.
  const nginx = new NginxSync({ config: checkSide(loaded.config, side), log, verdicts: checks });
  // ha_suspend: checkers of a virtual server whose VIP is not here pause (lvs/ha-suspend.ts).
  await lvs.startHaSuspend((vsKeys) => checks.suspend(vsKeys));
  await checks.start();
  await nginx.start();
  await lvs.start();
  const startedAt = new Date().toISOString();
  const statusDoc = () => ({
    pid: process.pid,
    version: VERSION,
    configFile: o.configFile,
    routerId: runner.currentConfig.globalDefs.routerId,
    startedAt,
    ...runner.status(),
    nginxUpstreams: nginx.status(),
    checkers: checks.snapshot(),
    lvs: lvs.status(),
    timers: systemTimers.lateness,
  });
  // The checker thread's snapshot is made when asked (12,000 real servers are megabytes of JSON).
  const freshStatus = () => checks.refresh().then(statusDoc);
  const control = await startControlServer(o.controlSocket, { status: freshStatus }, log).catch(
    (err: Error) => {
      log.warn(`control socket ${o.controlSocket} unavailable: ${err.message}`);
      return undefined;
    },
  );
  const onHup = () => {
    void reloadConfig(o, runner, nginx, lvs, log, { checks, checkAlerts });
  };
  // keepalived: SIGUSR1 writes a data dump, SIGUSR2 statistics, SIGJSON (SIGRTMIN+2) its JSON
  // state; control/dump-signals.ts writes them safely and never lets a failure stop the daemon.
  const snapshot = () => snapshotFromStatus(statusDoc(), runner.currentConfig);
  const removeDumpSignals = installDumpSignals(
    new DumpWriter({
      pidFile: o.pidFile,
      isDefaultPidFile: o.pidFile === DEFAULT_PID_FILE,
      log,
      sources: {
        data: () => formatData(statusDoc() as never, dumpConfig(runner.currentConfig)),
        stats: () => formatStats(snapshot()),
        json: () => formatJsonDump(snapshot()),
      },
    }),
    log,
    () => checks.refresh(),
  );
  process.on('SIGHUP', onHup);
  held.release();
  const metrics = o.metrics
    ? await startMetricsServer(o.metrics, () => checks.refresh().then(() => renderMetrics(snapshot()))).catch(
        (err: Error) => {
          log.error(`metrics endpoint ${o.metrics}: ${err.message}`);
          return undefined;
        },
      )
    : undefined;
  await stopSignal;
  process.off('SIGHUP', onHup);
  removeDumpSignals();
  metrics?.close();
  await checks.stop();
  await nginx.stop();
  await runner.stop();
  await lvs.stop();
  await checkAlerts.drain();
  checkAlerts.close();
  control?.close();
  rmSync(o.controlSocket, { force: true });
  releasePidFile(o.pidFile);
  log.info('Stopped Keepvip');
  clearInterval(keepAlive);
  return 0;
}

let reloading: Promise<void> = Promise.resolve();

/**
 * reloadConfig is SIGHUP: the new configuration is checked first; with errors the running one
 * stays and every finding is logged with its file:line:col. Reloads never overlap.
 */
function reloadConfig(
  o: DaemonOptions,
  runner: VrrpRunner,
  nginx: NginxSync,
  lvs: DaemonLvs,
  log: Logger,
  check: { checks: CheckerThread; checkAlerts: CheckerAlerts },
): Promise<void> {
  reloading = reloading.then(async () => {
    log.info(`Reloading configuration ${o.configFile}`);
    const loaded = loadConfig(o.configFile, { configId: o.configId });
    for (const d of loaded.diagnostics) (d.severity === 'error' ? log.error : log.warn)(formatDiagnostic(d));
    if (!loaded.config || !loaded.canRun) {
      log.error(`Configuration ${o.configFile} has errors; keeping the running configuration`);
      return;
    }
    try {
      // Unchanged checkers keep their state and timers, so unchanged servers keep their verdicts;
      // the new ha_suspend set reaches the checkers before their new configuration (reload.ts).
      await applyReload(
        { runner, checks: check.checks, checkAlerts: check.checkAlerts, nginx, lvs },
        loaded.config,
        o.side ?? 'both',
      );
    } catch (err) {
      log.error(`reload failed: ${(err as Error).message}`);
    }
  });
  return reloading;
}

function waitForStopSignal(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      log.info(`Received ${sig}, stopping`);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
