/**
 * keepvip's nginx_upstream blocks in the configuration model (src/nginx/ renders them).
 */
import type { SourcePos } from '../ast.js';

/** NginxUpstreamServer is one `server HOST:PORT [weight N] [max_fails N] [fail_timeout T] [backup] [down]` line. */
export interface NginxUpstreamServer {
  /** address is an IP address in canonical form, or a host name nginx resolves. */
  address: string;
  port: number;
  /** weight defaults to 1 (nginx's default). */
  weight: number;
  /** maxFails and failTimeoutS are left to nginx's defaults (1, 10 s) when unset. */
  maxFails?: number;
  failTimeoutS?: number;
  backup: boolean;
  /** down is written by the operator: always rendered as `down`, never health checked. */
  down: boolean;
  pos: SourcePos;
}

/** NginxHealthCheck is a TCP connect check: `health_check tcp { interval S timeout S fall N rise N port P }`. */
export interface NginxHealthCheck {
  kind: 'tcp';
  /** intervalMs defaults to 2 s, timeoutMs to 1 s, fall to 2, rise to 1. */
  intervalMs: number;
  timeoutMs: number;
  fall: number;
  rise: number;
  /** connectIp / connectPort override the server's address (TCP_CHECK's connect_ip / connect_port). */
  connectIp?: string;
  connectPort?: number;
}

/** NginxUpstream is a `nginx_upstream NAME { ... }` block: one pool rendered into an nginx config file. */
export interface NginxUpstream {
  name: string;
  /** output is the rendered file nginx includes. */
  output: string;
  /** template is a file name looked up in templateDir, then in keepvip's templates/ (default nginx-upstream.hbs). */
  template: string;
  templateDir?: string;
  /** nginxConf is the top-level configuration `nginx -t` checks (default /etc/nginx/nginx.conf). */
  nginxConf: string;
  /** testCommand defaults to `nginx -t -q -c <nginxConf>`. */
  testCommand: string;
  /** reloadCommand defaults to `nginx -s reload`. */
  reloadCommand: string;
  /** notify runs after a failed apply with NAME, the failed step and the message appended. */
  notify?: string;
  /** listen are the addresses of the generated `server { listen ... }`; none means no server block. */
  listen: string[];
  /** serverName is the generated server block's server_name. */
  serverName?: string;
  servers: NginxUpstreamServer[];
  /** fromVirtualServers name virtual_server blocks whose real servers join the pool. */
  fromVirtualServers: { address: string; port: number; pos: SourcePos }[];
  healthCheck?: NginxHealthCheck;
  /** downServers: how servers found down are rendered, `mark` (as `down`, the default) or `omit`. */
  downServers: 'mark' | 'omit';
  /** coalesceMs is how long pool changes are gathered before one render (default 200 ms). */
  coalesceMs: number;
  pos: SourcePos;
}
