/**
 * keepvip's `nginx_upstream NAME { ... }` block: one backend pool, rendered into an nginx
 * configuration file by src/nginx/ (templates/README.md documents the block). keepalived 2.2.7
 * does not know the keyword; it warns "Unknown keyword 'nginx_upstream'" and skips the block,
 * so a file with it still runs under keepalived.
 */
import type { Statement, Word } from '../ast.js';
import type { KeepvipConfig, NginxHealthCheck, NginxUpstream, NginxUpstreamServer } from '../model.js';
import {
  type BuildContext,
  type Handler,
  listWords,
  parseDecimalText,
  parseIntegerText,
  parseIpAddress,
  readCommand,
  readSecondsMs,
  requireArg,
  walkBlock,
} from './values.js';

/** DEFAULT_NGINX_CONF is Debian's top-level nginx configuration. */
export const DEFAULT_NGINX_CONF = '/etc/nginx/nginx.conf';

/** DEFAULT_HEALTH_CHECK are the health_check settings when the block leaves them out. */
export const DEFAULT_HEALTH_CHECK: NginxHealthCheck = {
  kind: 'tcp',
  intervalMs: 2000,
  timeoutMs: 1000,
  fall: 2,
  rise: 1,
};

/** HOST_PORT matches `IPv4:PORT`, `[IPv6]:PORT` or `name:PORT`. */
const HOST_PORT = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/;
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** Draft is an nginx_upstream while it is read. */
interface Draft {
  up: NginxUpstream;
  testCommandSet: boolean;
  outputSet: boolean;
}

/** parseServerAddress splits `HOST:PORT`; a message when it is not one. */
function parseServerAddress(text: string): { address: string; port: number } | string {
  const m = HOST_PORT.exec(text);
  if (!m) return `'${text}' is not HOST:PORT (IPv6 as [ADDR]:PORT)`;
  const port = Number(m[3]);
  if (port < 1 || port > 65_535) return `port ${m[3]} outside 1..65535`;
  if (m[1] !== undefined) {
    const ip = parseIpAddress(m[1]);
    if (ip?.family !== 'inet6') return `'${m[1]}' is not an IPv6 address`;
    return { address: ip.address, port };
  }
  const host = m[2]!;
  const ip = parseIpAddress(host);
  if (ip) return { address: ip.address, port };
  if (/^[\d.]+$/.test(host) || !HOST_NAME.test(host)) return `'${host}' is not an IP address or host name`;
  return { address: host, port };
}

/** parseFailTimeoutS reads nginx's fail_timeout: seconds, optionally with an `s` suffix. */
function parseFailTimeoutS(text: string): number | undefined {
  const m = /^(\d+)s?$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** readServer reads one `server HOST:PORT [weight N] [max_fails N] [fail_timeout T] [backup] [down]` line. */
function readServer(ctx: BuildContext, st: Statement): NginxUpstreamServer | undefined {
  const first = requireArg(ctx, st, 0, 'HOST:PORT');
  if (first === undefined) return undefined;
  const hp = parseServerAddress(first.text);
  if (typeof hp === 'string') {
    ctx.sink.error(first.pos, 'invalid-address', `server ${hp}`);
    return undefined;
  }
  const server: NginxUpstreamServer = { ...hp, weight: 1, backup: false, down: false, pos: st.keyword.pos };
  const args = st.args.slice(1);
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    const value = (): Word | undefined => {
      const v = args[i + 1];
      if (v === undefined) ctx.sink.error(w.pos, 'missing-argument', `server option ${w.text} needs a value`);
      i++;
      return v;
    };
    const int = (min: number, max: number): number | undefined => {
      const v = value();
      if (v === undefined) return undefined;
      const n = parseIntegerText(v.text);
      if (n === undefined || n < min || n > max) {
        ctx.sink.error(v.pos, 'value-range', `server ${w.text} '${v.text}' outside ${min}..${max}`);
        return undefined;
      }
      return n;
    };
    switch (w.text) {
      case 'weight': {
        // nginx: "invalid parameter" for weight=0; its range is 1..(2^31-1).
        const n = int(1, 2 ** 31 - 1);
        if (n !== undefined) server.weight = n;
        break;
      }
      case 'max_fails': {
        const n = int(0, 2 ** 31 - 1);
        if (n !== undefined) server.maxFails = n;
        break;
      }
      case 'fail_timeout': {
        const v = value();
        if (v === undefined) break;
        const s = parseFailTimeoutS(v.text);
        if (s === undefined)
          ctx.sink.error(v.pos, 'invalid-value', `fail_timeout '${v.text}' is not N or Ns`);
        else server.failTimeoutS = s;
        break;
      }
      case 'backup':
        server.backup = true;
        break;
      case 'down':
        server.down = true;
        break;
      default:
        ctx.sink.error(
          w.pos,
          'unknown-keyword',
          `unknown server option '${w.text}' (weight, max_fails, fail_timeout, backup, down)`,
        );
        // The words after an unknown option are probably its value: one error is enough.
        i = args.length;
    }
  }
  if (server.backup && server.down) {
    ctx.sink.warning(st.keyword.pos, 'server-backup-down', 'server is both backup and down; it never serves');
  }
  return server;
}

/** readHealthCheck reads `health_check tcp { interval S timeout S fall N rise N [port P] }` (one line or several). */
function readHealthCheck(ctx: BuildContext, st: Statement): NginxHealthCheck | undefined {
  const kind = st.args[0];
  if (kind !== undefined && kind.text !== 'tcp') {
    ctx.sink.error(kind.pos, 'invalid-value', `health_check '${kind.text}' unknown; only tcp exists so far`);
    return undefined;
  }
  const check: NginxHealthCheck = { ...DEFAULT_HEALTH_CHECK };
  const words = listWords(st);
  for (let i = 0; i < words.length; i += 2) {
    const key = words[i]!;
    const val = words[i + 1];
    if (val === undefined) {
      ctx.sink.error(key.pos, 'missing-argument', `health_check ${key.text} needs a value`);
      break;
    }
    const num = parseDecimalText(val.text);
    const bad = (range: string) =>
      ctx.sink.error(val.pos, 'value-range', `health_check ${key.text} '${val.text}' outside ${range}`);
    switch (key.text) {
      case 'interval':
      case 'timeout':
        if (num === undefined || num <= 0 || num > 86_400) bad('0..86400 s');
        else if (key.text === 'interval') check.intervalMs = Math.round(num * 1000);
        else check.timeoutMs = Math.round(num * 1000);
        break;
      case 'fall':
      case 'rise':
        if (num === undefined || !Number.isInteger(num) || num < 1 || num > 1000) bad('1..1000');
        else check[key.text] = num;
        break;
      case 'port':
        if (num === undefined || !Number.isInteger(num) || num < 1 || num > 65_535) bad('1..65535');
        else check.connectPort = num;
        break;
      default:
        ctx.sink.warning(
          key.pos,
          'unknown-keyword',
          `unknown keyword '${key.text}' in health_check; ignored`,
        );
    }
  }
  return check;
}

const pathArg =
  (set: (d: Draft, value: string) => void): Handler<Draft> =>
  (ctx, st, d) => {
    const w = requireArg(ctx, st, 0, 'a path');
    if (w !== undefined) set(d, w.text);
  };

const handlers: Record<string, Handler<Draft>> = {
  output: pathArg((d, v) => {
    d.up.output = v;
    d.outputSet = true;
  }),
  template: pathArg((d, v) => {
    d.up.template = v;
  }),
  template_dir: pathArg((d, v) => {
    d.up.templateDir = v;
  }),
  nginx_conf: pathArg((d, v) => {
    d.up.nginxConf = v;
  }),
  test_command(ctx, st, d) {
    const c = readCommand(ctx, st);
    if (c !== undefined) {
      d.up.testCommand = c;
      d.testCommandSet = true;
    }
  },
  reload_command(ctx, st, d) {
    const c = readCommand(ctx, st);
    if (c !== undefined) d.up.reloadCommand = c;
  },
  notify(ctx, st, d) {
    const c = readCommand(ctx, st);
    if (c !== undefined) d.up.notify = c;
  },
  listen(ctx, st, d) {
    if (requireArg(ctx, st, 0, 'an address or port') === undefined) return;
    d.up.listen.push(st.args.map((w) => w.text).join(' '));
  },
  server_name(ctx, st, d) {
    if (requireArg(ctx, st, 0, 'a name') === undefined) return;
    d.up.serverName = st.args.map((w) => w.text).join(' ');
  },
  server(ctx, st, d) {
    const s = readServer(ctx, st);
    if (s) d.up.servers.push(s);
  },
  from_virtual_server(ctx, st, d) {
    const ipWord = requireArg(ctx, st, 0, 'the virtual server IP and PORT');
    const portWord = st.args[1];
    if (ipWord === undefined) return;
    const ip = parseIpAddress(ipWord.text);
    const port = portWord === undefined ? undefined : parseIntegerText(portWord.text);
    if (ip === undefined || port === undefined || port < 1 || port > 65_535) {
      ctx.sink.error(ipWord.pos, 'invalid-address', 'from_virtual_server needs IP PORT of a virtual_server');
      return;
    }
    d.up.fromVirtualServers.push({ address: ip.address, port, pos: ipWord.pos });
  },
  health_check(ctx, st, d) {
    const c = readHealthCheck(ctx, st);
    if (c) d.up.healthCheck = c;
  },
  down_servers(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'mark or omit');
    if (w === undefined) return;
    if (w.text === 'mark' || w.text === 'omit') d.up.downServers = w.text;
    else ctx.sink.error(w.pos, 'invalid-value', `down_servers '${w.text}' is not mark or omit`);
  },
  coalesce_delay(ctx, st, d) {
    const ms = readSecondsMs(
      ctx,
      st,
      { minS: 0, maxS: 60 },
      { severity: 'error', code: 'value-range', fallback: 'using 0.2 s' },
    );
    if (ms !== undefined) d.up.coalesceMs = ms;
  },
};

/** buildNginxUpstream reads one `nginx_upstream NAME { ... }` block; undefined when it cannot be used. */
export function buildNginxUpstream(ctx: BuildContext, st: Statement): NginxUpstream | undefined {
  const name = requireArg(ctx, st, 0, 'an upstream name');
  if (name === undefined) return undefined;
  if (!/^[A-Za-z0-9_.-]+$/.test(name.text)) {
    ctx.sink.error(name.pos, 'invalid-value', `nginx_upstream name '${name.text}' must be [A-Za-z0-9_.-]+`);
    return undefined;
  }
  const d: Draft = {
    up: {
      name: name.text,
      output: '',
      template: 'nginx-upstream.hbs',
      nginxConf: DEFAULT_NGINX_CONF,
      testCommand: '',
      reloadCommand: 'nginx -s reload',
      listen: [],
      servers: [],
      fromVirtualServers: [],
      downServers: 'mark',
      coalesceMs: 200,
      pos: st.keyword.pos,
    },
    testCommandSet: false,
    outputSet: false,
  };
  walkBlock(ctx, st.block, handlers, d, `nginx_upstream ${name.text}`);
  if (!d.outputSet) {
    ctx.sink.error(st.keyword.pos, 'missing-argument', `nginx_upstream ${name.text} needs an output file`);
    return undefined;
  }
  // nginx -t must read the top-level file (which includes `output`), not the fragment alone.
  if (!d.testCommandSet) d.up.testCommand = `nginx -t -q -c ${d.up.nginxConf}`;
  return d.up;
}

/**
 * checkNginxUpstreams runs the checks that need the whole configuration: from_virtual_server must
 * name a virtual_server, a pool must not be empty, two blocks must not write one file.
 */
export function checkNginxUpstreams(ctx: BuildContext, config: KeepvipConfig): void {
  const outputs = new Map<string, string>();
  const names = new Set<string>();
  for (const up of config.nginxUpstreams) {
    if (names.has(up.name)) {
      ctx.sink.error(up.pos, 'duplicate-name', `nginx_upstream ${up.name} is defined twice`);
    }
    names.add(up.name);
    const other = outputs.get(up.output);
    if (other !== undefined) {
      ctx.sink.error(
        up.pos,
        'duplicate-output',
        `nginx_upstream ${up.name} writes ${up.output}, as ${other} does`,
      );
    }
    outputs.set(up.output, up.name);
    let realServers = 0;
    for (const ref of up.fromVirtualServers) {
      const vs = config.virtualServers.find((v) => v.address === ref.address && v.port === ref.port);
      if (vs === undefined) {
        ctx.sink.error(
          ref.pos,
          'unknown-virtual-server',
          `from_virtual_server ${ref.address} ${ref.port}: no virtual_server ${ref.address} ${ref.port} in the configuration`,
        );
      } else realServers += vs.realServers.length;
    }
    if (up.servers.length + realServers === 0) {
      ctx.sink.error(
        up.pos,
        'empty-pool',
        `nginx_upstream ${up.name} has no server (server or from_virtual_server)`,
      );
    }
  }
}
