/** DEFAULT_CONFIG_FILE is where keepalived keeps its configuration; keepvip reads the same file. */
export const DEFAULT_CONFIG_FILE = '/etc/keepalived/keepalived.conf';
/** DEFAULT_PID_FILE is the daemon's pid file unless -p names another. */
export const DEFAULT_PID_FILE = '/run/keepvip.pid';
/** DEFAULT_CONTROL_SOCKET is where the daemon answers `keepvip status` (root only, 0600). */
export const DEFAULT_CONTROL_SOCKET = '/run/keepvip/keepvip.sock';
