/** DEFAULT_CONFIG_FILE is where keepalived keeps its configuration; keepvip reads the same file. */
export const DEFAULT_CONFIG_FILE = '/etc/keepalived/keepalived.conf';
/** DEFAULT_PID_FILE is the daemon's pid file unless -p names another. */
export const DEFAULT_PID_FILE = '/run/keepvip.pid';
