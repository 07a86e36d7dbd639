import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManagedProcess, ProcessExit } from './processes.js';
import type { TopoNode } from './topology.js';
import { waitUntil } from './wait.js';

/** NginxOptions configures the test nginx of one node. */
export interface NginxOptions {
  /** isolated runs nginx in the node's PID/mount namespace, pid file at the Debian default /run/nginx.pid. */
  isolated?: boolean;
  /** body is what GET / answers; by default the node name and a newline, so the prober can tell nodes apart. */
  body?: string;
  /** port to listen on (IPv4 and IPv6 wildcard); 80 by default. */
  port?: number;
  /** serverExtra is inserted verbatim into the server block. */
  serverExtra?: string;
}

/** nginxConfig renders the test nginx.conf; every path lives under `prefix` so nothing touches /var. */
export function nginxConfig(
  prefix: string,
  options: { body: string; port: number; serverExtra?: string },
): string {
  // nginx double-quoted strings understand \n, \t, \" and \\ escapes.
  const body = options.body.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return `worker_processes 1;
error_log ${prefix}/error.log info;
events { worker_connections 512; }
http {
  access_log off;
  default_type text/plain;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  server {
    listen ${options.port} default_server;
    listen [::]:${options.port} default_server;
    keepalive_timeout 0;
    location / { return 200 "${body}"; }
${options.serverExtra ?? ''}
  }
}
`;
}

/** NginxInstance is a running nginx master (with its worker) inside a node. */
export class NginxInstance {
  /** node is where nginx runs. */
  readonly node: TopoNode;
  /** prefixDir is nginx's prefix (config, error log, temp dirs) on the host. */
  readonly prefixDir: string;
  /** pidPath is the pid file as seen inside the node. */
  readonly pidPath: string;
  /** proc is the underlying managed process (the master). */
  readonly proc: ManagedProcess;

  constructor(node: TopoNode, prefixDir: string, pidPath: string, proc: ManagedProcess) {
    this.node = node;
    this.prefixDir = prefixDir;
    this.pidPath = pidPath;
    this.proc = proc;
  }

  /** confPath is the nginx.conf on the host. */
  get confPath(): string {
    return join(this.prefixDir, 'nginx.conf');
  }

  /** errorLog returns nginx's error log so far. */
  errorLog(): Promise<string> {
    return readFile(join(this.prefixDir, 'error.log'), 'utf8').catch(() => '');
  }

  /**
   * reload rewrites the page body (if given), sends SIGHUP and waits until the master logs that
   * it is reconfiguring; new workers serve the new config shortly after.
   */
  async reload(body?: string, timeoutMs = 5000): Promise<void> {
    if (body !== undefined) {
      const conf = (await readFile(this.confPath, 'utf8')).replace(
        /return 200 "(?:[^"\\]|\\.)*";/,
        `return 200 "${body.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}";`,
      );
      await writeFile(this.confPath, conf);
    }
    const before = (await this.errorLog()).split('reconfiguring').length;
    await this.proc.signal('SIGHUP');
    await waitUntil(async () => (await this.errorLog()).split('reconfiguring').length > before, {
      timeoutMs,
      what: `nginx on ${this.node.name} to reload`,
    });
  }

  /**
   * kill simulates an nginx crash: SIGKILL to master and workers, returning once all are
   * reaped (so `killall -0 nginx` fails from then on); the pid file stays behind.
   */
  kill(): Promise<void> {
    return this.proc.crash();
  }

  /** stop shuts nginx down gracefully (SIGQUIT) and waits. */
  stop(timeoutMs = 5000): Promise<ProcessExit> {
    return this.proc.stop('SIGQUIT', timeoutMs);
  }
}

/**
 * startNginx runs `nginx -p PREFIX -c CONF -e ERRLOG -g 'daemon off; pid PATH;'` in `node` and
 * waits for its pid file, which nginx writes only after it has bound its listening sockets.
 */
export async function startNginx(node: TopoNode, options: NginxOptions = {}): Promise<NginxInstance> {
  const prefixDir = join(node.dir, 'nginx');
  await mkdir(join(prefixDir, 'tmp'), { recursive: true });
  const conf = join(prefixDir, 'nginx.conf');
  await writeFile(
    conf,
    nginxConfig(prefixDir, {
      body: options.body ?? `${node.name}\n`,
      port: options.port ?? 80,
      serverExtra: options.serverExtra,
    }),
  );
  const pidPath = options.isolated ? '/run/nginx.pid' : join(prefixDir, 'nginx.pid');
  const args = [
    '-p',
    prefixDir,
    '-c',
    conf,
    '-e',
    join(prefixDir, 'error.log'),
    '-g',
    `daemon off; pid ${pidPath};`,
  ];
  const proc = options.isolated
    ? await node.spawnIsolated('nginx', 'nginx', args)
    : node.spawn('nginx', 'nginx', args);
  const pidHostPath = await node.hostPath(pidPath);
  await waitUntil(
    async () => {
      if (!proc.running) throw new Error(`nginx on ${node.name} exited: ${proc.text()}`);
      await access(pidHostPath);
      return true;
    },
    { timeoutMs: 10_000, what: `nginx pid file ${pidPath} on ${node.name}` },
  );
  return new NginxInstance(node, prefixDir, pidPath, proc);
}
