import { spawn } from 'node:child_process';

/**
 * daemonize re-executes this command detached with `-n` added, as keepalived forks into the
 * background, and returns the parent's exit code. Node cannot fork(), so a detached child with
 * its own session stands in for it; its stdout goes to /dev/null and its stderr too unless -l
 * asked for the console. Without -l the daemon logs to syslog (daemon/log.ts), as keepalived.
 * This is the one process not started through util/spawn.ts: it is keepvip itself, which must
 * outlive this parent rather than be timed out or have its pipes read.
 */
export function daemonize(argv: string[], logConsole: boolean): number {
  const [node, script, ...args] = argv;
  // execArgv keeps node's own flags (a loader such as tsx) for the re-executed daemon.
  const child = spawn(node!, [...process.execArgv, script!, ...args, '--dont-fork'], {
    detached: true,
    stdio: ['ignore', 'ignore', logConsole ? 'inherit' : 'ignore'],
  });
  child.unref();
  return 0;
}
