import { spawn } from 'node:child_process';

/**
 * daemonize re-executes this command detached with `-n` added, as keepalived forks into the
 * background, and returns the parent's exit code. Node cannot fork(), so a detached child with
 * its own session stands in for it; its output goes to /dev/null unless -l asked for the console.
 */
export function daemonize(argv: string[]): number {
  const [node, script, ...args] = argv;
  const child = spawn(node!, [script!, ...args, '--dont-fork'], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return 0;
}
