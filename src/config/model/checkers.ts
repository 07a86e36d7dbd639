/**
 * Real-server health checkers in the configuration model (TCP_CHECK, HTTP_GET, SSL_GET,
 * MISC_CHECK, SMTP_CHECK, DNS_CHECK, UDP_CHECK, PING_CHECK, FILE_CHECK).
 */
import type { SourcePos } from '../ast.js';
import type { ScriptUser } from './common.js';

/** CheckerCommon holds settings every real-server checker has. */
export interface CheckerCommon {
  connectIp?: string;
  connectPort?: number;
  /** bindTo / bindPort are the probe socket's local address and port (keepalived `bindto`, `bind_port`). */
  bindTo?: string;
  bindPort?: number;
  /** bindIf is `bind_if`: the probe socket is bound to the device (SO_BINDTODEVICE); it also scopes an IPv6 link-local connect_ip. */
  bindIf?: string;
  /** fwmark is `fwmark`: the probe socket's SO_MARK, 1..2^32-1 (PING_CHECK: not applied). */
  fwmark?: number;
  /** connectTimeoutMs defaults to 5 s. */
  connectTimeoutMs: number;
  /** retry defaults to 1 (MISC_CHECK 0, DNS_CHECK 3; nb_get_retry is the 1.x name). */
  retry: number;
  /** delayBeforeRetryMs defaults to 1 s (HTTP_GET / SSL_GET 3 s, DNS_CHECK the delay_loop). */
  delayBeforeRetryMs: number;
  /** warmupMs: the maximum random delay before the first check (keepalived's default: the delay_loop; 0 = none). */
  warmupMs?: number;
  /** delayLoopMs overrides the virtual server's delay_loop for this checker. */
  delayLoopMs?: number;
  /** alpha: the checker starts failed (its own `alpha`, else the virtual server's). */
  alpha?: boolean;
  /** logAllFailures logs every failed probe, not only state changes (log_all_failures). */
  logAllFailures?: boolean;
  /** rise (keepvip, from an nginx_upstream health_check only): successes in a row that bring a down checker up. */
  rise?: number;
  pos: SourcePos;
}

/** TcpCheck is TCP_CHECK: a connect succeeds. */
export interface TcpCheck extends CheckerCommon {
  kind: 'TCP_CHECK';
}

/** HttpCheckUrl is one `url { path P; digest D; status_code C; virtualhost H; regex R }`. */
export interface HttpCheckUrl {
  path: string;
  digest?: string;
  /** statusCodes default to 200-299 when empty. */
  statusCodes: number[];
  /** virtualhost overrides the checker's Host header for this url. */
  virtualhost?: string;
  /** regex must match the body (regex_no_match: must not); PCRE options as JavaScript flags. */
  regex?: { pattern: string; noMatch: boolean; flags: string };
}

/** HttpGetCheck is HTTP_GET or SSL_GET. */
export interface HttpGetCheck extends CheckerCommon {
  kind: 'HTTP_GET' | 'SSL_GET';
  urls: HttpCheckUrl[];
  virtualhost?: string;
  /** httpProtocol is the request's version (http_protocol 1.0 | 1.1 | 1.0C | 1.0K; default 1.0). */
  httpProtocol: '1.0' | '1.1' | '1.0C' | '1.0K';
  /** enableSni sends the virtualhost as TLS SNI (SSL_GET; certificates are never verified, as keepalived). */
  enableSni: boolean;
  /** fastRecovery re-checks at once while down without a known failure (keepalived fast_recovery). */
  fastRecovery: boolean;
}

/** MiscCheck is MISC_CHECK: a script's exit code decides. */
export interface MiscCheck extends CheckerCommon {
  kind: 'MISC_CHECK';
  miscPath: string;
  /** miscTimeoutMs defaults to delay_loop. */
  miscTimeoutMs: number;
  /** miscDynamic: exit codes 2..255 set the weight to code-2. */
  miscDynamic: boolean;
  user?: ScriptUser;
}

/** SmtpCheck is SMTP_CHECK: the server greets with 2xx and answers HELO and QUIT. */
export interface SmtpCheck extends CheckerCommon {
  kind: 'SMTP_CHECK';
  /** heloName defaults to keepalived's `smtpchecker.keepalived.org`. */
  heloName: string;
}

/** DnsCheck is DNS_CHECK: a query of `type` for `name` gets a NOERROR answer. */
export interface DnsCheck extends CheckerCommon {
  kind: 'DNS_CHECK';
  /** type defaults to SOA, name to the root (keepalived's DNS_DEFAULT_TYPE / DNS_DEFAULT_NAME). */
  type: string;
  name: string;
}

/** UdpCheck is UDP_CHECK: a datagram is sent; with require_reply an answer must come back. */
export interface UdpCheck extends CheckerCommon {
  kind: 'UDP_CHECK';
  /** payload is the datagram in hex (empty by default). */
  payload?: string;
  requireReply: boolean;
  minReplyLength: number;
  maxReplyLength: number;
}

/** PingCheck is PING_CHECK: an ICMP (v4) or ICMPv6 echo is answered. */
export interface PingCheck extends CheckerCommon {
  kind: 'PING_CHECK';
}

/** FileCheck is FILE_CHECK: a track_file's value takes the server down (weight 0) or moves its weight. */
export interface FileCheck extends CheckerCommon {
  kind: 'FILE_CHECK';
  trackFile: string;
  /** weight defaults to the track_file's own weight. */
  weight?: number;
  weightReverse?: boolean;
}

/** FlapGuardSetting is keepvip's `flap_guard COUNT WINDOW HOLD`: more than COUNT verdict changes within WINDOW hold the server down for HOLD. */
export interface FlapGuardSetting {
  maxChanges: number;
  windowMs: number;
  holdMs: number;
}

/** Checker is any real-server health checker. */
export type Checker =
  | TcpCheck
  | HttpGetCheck
  | MiscCheck
  | SmtpCheck
  | DnsCheck
  | UdpCheck
  | PingCheck
  | FileCheck;
