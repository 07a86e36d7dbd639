/**
 * The Handlebars helpers keepvip's templates use, documented for users' own templates in
 * templates/README.md. They are pure formatting: no I/O, no state.
 */
import type { HelperDelegate } from 'handlebars';

/** hostPort formats an address and port for nginx: `10.0.0.1:80`, `[2001:db8::1]:80`. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** ServerParamsInput is what serverParams reads from one rendered server. */
export interface ServerParamsInput {
  weight: number;
  maxFails?: number;
  failTimeoutS?: number;
  backup: boolean;
  down: boolean;
}

/** serverParams renders nginx's upstream `server` parameters, each with a leading space; nginx's defaults are left out. */
export function serverParams(s: ServerParamsInput): string {
  let out = '';
  if (s.weight !== 1) out += ` weight=${s.weight}`;
  if (s.maxFails !== undefined) out += ` max_fails=${s.maxFails}`;
  if (s.failTimeoutS !== undefined) out += ` fail_timeout=${s.failTimeoutS}s`;
  if (s.backup) out += ' backup';
  if (s.down) out += ' down';
  return out;
}

/** nginxDuration formats milliseconds in nginx's time syntax: `10s`, `1500ms`, `2m`. */
export function nginxDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${Math.round(ms)}ms`;
}

/** quote wraps a string in double quotes with `\` and `"` escaped (valid for nginx and keepalived.conf). */
export function quote(text: string): string {
  return `"${String(text).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** indent prefixes every non-empty line of `text` with `n` spaces. */
export function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return String(text)
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}

/** Handlebars passes an options hash as the last argument of every helper call; these drop it. */
const args = (list: unknown[]): unknown[] => list.slice(0, -1);

/** TEMPLATE_HELPERS maps helper names to implementations, as registered on the Handlebars environment. */
export const TEMPLATE_HELPERS: Record<string, HelperDelegate> = {
  hostPort: (address: string, port: number) => hostPort(address, port),
  serverParams: (s: ServerParamsInput) => serverParams(s),
  duration: (ms: number) => nginxDuration(ms),
  quote: (text: string) => quote(text),
  indent: (text: string, n: number) => indent(text, typeof n === 'number' ? n : 4),
  join: (list: unknown, sep: unknown) =>
    Array.isArray(list) ? list.join(typeof sep === 'string' ? sep : ' ') : String(list ?? ''),
  eq: (...a: unknown[]) => args(a)[0] === args(a)[1],
  ne: (...a: unknown[]) => args(a)[0] !== args(a)[1],
  defined: (...a: unknown[]) => args(a)[0] !== undefined && args(a)[0] !== null,
};
