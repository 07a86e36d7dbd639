/** DEFAULT_CONFIG_FILE is where keepalived keeps its configuration; keepvip reads the same file. */
export const DEFAULT_CONFIG_FILE = '/etc/keepalived/keepalived.conf';
/** DEFAULT_PID_FILE is the daemon's pid file unless -p names another. */
export const DEFAULT_PID_FILE = '/run/keepvip.pid';
/** DEFAULT_CONTROL_SOCKET is where the daemon answers `keepvip status` (root only, 0600). */
export const DEFAULT_CONTROL_SOCKET = '/run/keepvip.sock';

/**
 * controlSocketFor is the control socket of a daemon started with `-p pidFile` and no
 * `--control`: the pid file's path with `.sock`, so daemons that (as they must) have separate
 * pid files also have separate control sockets.
 */
export function controlSocketFor(pidFile: string): string {
  return pidFile.endsWith('.pid') ? `${pidFile.slice(0, -4)}.sock` : `${pidFile}.sock`;
}
