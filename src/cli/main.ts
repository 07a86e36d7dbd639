/**
 * The `keepvip` command line. Options follow keepalived's where they overlap, so operators can
 * start it the way they start keepalived: `keepvip -f /etc/keepalived/keepalived.conf -n -l -D`.
 */
import { Command, Option } from 'commander';
import { runConfigTest } from '../config/config-test.js';
import { scriptWatchNotes } from '../track/idiom-watch.js';
import { dumpConfig, loadConfig } from '../config/load.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import { VERSION } from '../util/version.js';
import { runDaemon } from '../daemon/daemon.js';
import { parseFacility } from '../util/syslog.js';
import { daemonize } from './daemonize.js';
import {
  controlSocketFor,
  DEFAULT_CONFIG_FILE,
  DEFAULT_CONTROL_SOCKET,
  DEFAULT_PID_FILE,
} from '../daemon/paths.js';
import { runStatus } from './status.js';
import { runMaint } from './maint.js';
import { registerGenhash } from './genhash.js';

/** DaemonCliOptions are the parsed top-level options. */
export interface DaemonCliOptions {
  useFile: string;
  dontFork?: boolean;
  logConsole?: boolean;
  logDetail?: boolean;
  logJson?: boolean;
  logFacility?: string;
  syslogSocket?: string;
  pid: string;
  configTest?: boolean;
  peer?: string;
  dumpConf?: boolean;
  configId?: string;
  control?: string;
  metrics?: string;
  vrrp?: boolean;
  check?: boolean;
  dontReleaseIpvs?: boolean;
}

/** buildProgram wires every option and subcommand; exported for tests. */
export function buildProgram(): Command {
  const program = new Command('keepvip')
    .description('keepalived-compatible VRRP high-availability daemon for nginx pairs and LVS-DR directors')
    .version(`Keepvip v${VERSION}`, '-v, --version', 'print the version and exit')
    .option('-f, --use-file <file>', 'configuration file', DEFAULT_CONFIG_FILE)
    .option('-n, --dont-fork', "don't fork: stay in the foreground")
    .option('-l, --log-console', 'log to the console (stderr)')
    .option('-D, --log-detail', 'detailed (debug) log messages')
    .option('--log-json', 'structured logs, one JSON object per line')
    .option(
      '-S, --log-facility <facility>',
      'syslog facility: 0-7 for local0..local7, or a name (default daemon); syslog is used without -l outside systemd',
    )
    .option('--syslog-socket <path>', 'syslog socket (default /dev/log)')
    .option('-p, --pid <file>', 'pid file', DEFAULT_PID_FILE)
    .option('-t, --config-test', 'check the configuration and exit (0 ok, 3 cannot run, 4 errors)')
    .option('--peer <file>', 'with --config-test: also check this peer node configuration of the pair')
    .option('--dump-conf', 'print the resolved configuration as JSON and exit')
    .option('-i, --config-id <id>', 'configuration id for @id conditional lines (default: host name)')
    .option('--control <path>', 'control socket for `keepvip status` (default: the pid file with .sock)')
    .option(
      '--metrics <listen>',
      'serve Prometheus metrics on HOST:PORT (loopback only) or unix:PATH (default: off)',
    )
    .option('-I, --dont-release-ipvs', "don't remove the IPVS services on stop (a restart adopts them)")
    .addOption(new Option('-P, --vrrp', 'only run the VRRP side (no nginx rendering or health checks)'))
    .addOption(
      new Option('-C, --check', 'only run the checkers side (nginx rendering and health checks, no VRRP)'),
    )
    .showHelpAfterError()
    .enablePositionalOptions()
    .action(async (opts: DaemonCliOptions) => {
      process.exitCode = await runTopLevel(opts);
    });
  program
    .command('status')
    .description("show the running daemon's instances, tracks, counters and last transitions")
    .option('--json', 'machine-readable output')
    .option('-w, --watch', 'live view: redraw whenever the status changes (polls every 200 ms)')
    .option('--control <path>', 'control socket of the daemon', DEFAULT_CONTROL_SOCKET)
    .option('-p, --pid <file>', 'pid file the daemon was started with (its control socket is beside it)')
    .action(async (opts: { json?: boolean; watch?: boolean; control: string; pid?: string }) => {
      process.exitCode = await runStatus({
        json: opts.json,
        watch: opts.watch,
        control: opts.pid ? controlSocketFor(opts.pid) : opts.control,
      });
    });
  program
    .command('render')
    .description('render each nginx_upstream once, show the diff, apply it (nginx -t, atomic rename, reload)')
    .option('-f, --use-file <file>', 'configuration file', DEFAULT_CONFIG_FILE)
    .option('--dry-run', 'show what would change; write nothing')
    .option('--diff', 'print the unified diff of each changed file')
    .option('--upstream <name>', 'only this nginx_upstream')
    .option('-i, --config-id <id>', 'configuration id for @id conditional lines')
    .action(
      async (opts: {
        useFile: string;
        dryRun?: boolean;
        diff?: boolean;
        upstream?: string;
        configId?: string;
      }) => {
        // render, generate and realserver load their code when run: the daemon never needs it.
        const { runRender } = await import('./render.js');
        process.exitCode = await runRender(opts);
      },
    );
  program
    .command('generate')
    .description(
      "write both nodes' keepalived.conf, the notify script and the nginx config from a pair inventory",
    )
    .requiredOption('--pair <inventory>', 'pair inventory file (keepalived-style, see templates/README.md)')
    .requiredOption('--out <dir>', 'output directory')
    .action(async (opts: { pair: string; out: string }) => {
      const { runGenerate } = await import('./generate.js');
      process.exitCode = runGenerate(opts);
    });
  registerGenhash(program);
  program
    .command('maint <on|off> [instance]')
    .description('create (on) or remove (off) the down file the configuration tracks, and say which')
    .option('-f, --use-file <file>', 'configuration file', DEFAULT_CONFIG_FILE)
    .option('-i, --config-id <id>', 'configuration id for @id conditional lines')
    .action((mode: string, instance: string | undefined, opts: { useFile: string; configId?: string }) => {
      process.exitCode = runMaint({ mode, instance, file: opts.useFile, configId: opts.configId });
    });
  program
    .command('realserver <up|down|status>')
    .description(
      'LVS-DR real server: VIPs on lo as /32 (/128), arp_ignore=1 / arp_announce=2; down undoes exactly what up did',
    )
    .option(
      '--vip <ip>',
      'a virtual IP (repeat for several; IPv4 or IPv6)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--state <file>', 'where up records what it changed', '/run/keepvip/realserver.json')
    .action(async (mode: string, opts: { vip: string[]; state: string }) => {
      const { runRealServer } = await import('./realserver.js');
      process.exitCode = await runRealServer({ mode, vips: opts.vip, stateFile: opts.state });
    });
  return program;
}

async function runTopLevel(opts: DaemonCliOptions): Promise<number> {
  if (opts.configTest) {
    return runConfigTest({
      file: opts.useFile,
      peer: opts.peer,
      configId: opts.configId,
      out: (line) => process.stderr.write(`${line}\n`),
      notes: scriptWatchNotes,
    });
  }
  if (opts.dumpConf) {
    const result = loadConfig(opts.useFile, { configId: opts.configId });
    for (const d of result.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    if (!result.config) return 3;
    process.stdout.write(`${dumpConfig(result.config)}\n`);
    return result.canRun ? 0 : 4;
  }
  const facility = opts.logFacility === undefined ? 'daemon' : parseFacility(opts.logFacility);
  if (facility === undefined) {
    process.stderr.write(
      `keepvip: -S ${opts.logFacility}: not a syslog facility (0-7, local0-7, user, daemon...)\n`,
    );
    return 2;
  }
  if (!opts.dontFork && !process.env.INVOCATION_ID) {
    // Like keepalived, detach unless -n; under systemd (INVOCATION_ID set) stay in the foreground.
    return daemonize(process.argv, opts.logConsole ?? false);
  }
  const code = await runDaemon({
    configFile: opts.useFile,
    pidFile: opts.pid,
    logConsole: opts.logConsole ?? false,
    logDetail: opts.logDetail ?? false,
    logJson: opts.logJson ?? false,
    configId: opts.configId,
    controlSocket: opts.control ?? controlSocketFor(opts.pid),
    metrics: opts.metrics,
    logFacility: facility,
    syslogSocket: opts.syslogSocket,
    side: opts.vrrp && !opts.check ? 'vrrp' : opts.check && !opts.vrrp ? 'check' : 'both',
    dontReleaseIpvs: opts.dontReleaseIpvs === true,
  });
  // A stopped daemon exits: nothing left open (a log pipe, a worker) may keep it alive. A detached
  // daemon that logged "Stopped Keepvip" but stayed up was left behind by the syslog test.
  setTimeout(() => process.exit(code), 1000).unref();
  return code;
}

/** main runs the command line. */
export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
