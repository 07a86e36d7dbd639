/**
 * real_server IP [PORT] { ... } inside a virtual_server: weight, forwarding, thresholds, notify
 * commands and its health checkers, with the checker settings (connect_timeout, retry,
 * delay_loop...) inherited from the virtual server when the real server does not set them.
 */
import type { Statement } from '../ast.js';
import type { RealServer, VirtualServer } from '../model.js';
import { buildChecker, CHECKER_KINDS, type CheckerDefaults, commonHandlers } from './checkers.js';
import { UNSUPPORTED_RS } from './keywords.js';
import {
  type BuildContext,
  type Handler,
  parseIntegerText,
  parseIpAddress,
  readCommand,
  readInteger,
  readBool,
  outOfRange,
  requireArg,
  walkBlock,
} from './values.js';
import { readFlapGuard } from './checker-flap.js';
import { readForwarding, readSnmpName } from './virtual-server-rules.js';

/** RsDraft is a real server while it is read. */
interface RsDraft {
  rs: RealServer;
  forwardSet: boolean;
  common: Partial<CheckerDefaults>;
  checkerBlocks: Statement[];
}

/** readHostPort reads `IP [PORT]` at args[0..1]; a message when invalid. */
export function readHostPort(
  st: Statement,
  portRequired: boolean,
): { address: string; family: 'inet' | 'inet6'; port: number } | string {
  const ipWord = st.args[0];
  if (ipWord === undefined) return 'needs an IP address';
  const ip = parseIpAddress(ipWord.text);
  const portWord = st.args[1];
  const port = portWord === undefined ? undefined : parseIntegerText(portWord.text);
  if (ip === undefined) return `'${ipWord.text}' is not an IP address`;
  if (portWord === undefined) return portRequired ? 'needs a port' : { ...ip, port: 0 };
  if (port === undefined || port < 1 || port > 65_535) return `port '${portWord.text}' outside 1..65535`;
  return { ...ip, port };
}

export const inheritable = commonHandlers as Record<string, Handler<{ common: Partial<CheckerDefaults> }>>;
export const INHERITED = ['connect_timeout', 'retry', 'nb_get_retry', 'delay_before_retry', 'warmup'];

const rsHandlers: Record<string, Handler<RsDraft>> = {
  ...Object.fromEntries(INHERITED.map((k) => [k, inheritable[k]!])),
  delay_loop: inheritable.delay_loop!,
  weight(ctx, st, d) {
    // keepalived: "Real server weight -1 is outside range 0-2147483647"
    const n = readInteger(
      ctx,
      st,
      { min: 0, max: 2 ** 31 - 1 },
      { severity: 'warning', code: 'weight-range', fallback: 'using 1' },
    );
    if (n !== undefined) d.rs.weight = n;
  },
  notify_up(ctx, st, d) {
    d.rs.notifyUp = readCommand(ctx, st);
  },
  notify_down(ctx, st, d) {
    d.rs.notifyDown = readCommand(ctx, st);
  },
  inhibit_on_failure(_ctx, _st, d) {
    d.rs.inhibitOnFailure = true;
  },
  lvs_method(ctx, st, d) {
    const f = readForwarding(ctx, st, 'real');
    if (f === undefined) return;
    d.rs.forward = f.forward;
    if (f.tunnel) d.rs.tunnel = f.tunnel;
    else delete d.rs.tunnel;
    d.forwardSet = true;
  },
  uthreshold(ctx, st, d) {
    // keepalived: "Invalid real_server uthreshold 'X' - ignoring"
    const n = readInteger(ctx, st, { min: 0, max: 2 ** 32 - 1 }, outOfRange('ignored'));
    if (n !== undefined) d.rs.uThreshold = n;
  },
  lthreshold(ctx, st, d) {
    const n = readInteger(ctx, st, { min: 0, max: 2 ** 32 - 1 }, outOfRange('ignored'));
    if (n !== undefined) d.rs.lThreshold = n;
  },
  alpha(_ctx, _st, d) {
    d.rs.alpha = true;
  },
  virtualhost(ctx, st, d) {
    // The Host header of this real server's HTTP_GET / SSL_GET checkers that set none.
    const w = requireArg(ctx, st, 0, 'a host name');
    if (w !== undefined) d.common.virtualhost = w.text;
  },
  flap_guard(ctx, st, d) {
    const g = readFlapGuard(ctx, st);
    if (g !== undefined) d.rs.flapGuard = g;
  },
  smtp_alert(ctx, st, d) {
    // keepalived rs_smtp_alert_handler: the checkers of this real server mail (or not).
    d.rs.smtpAlert = readBool(ctx, st);
  },
  snmp_name(ctx, st, d) {
    const name = readSnmpName(ctx, st, 'real');
    if (name !== undefined) d.rs.snmpName = name;
  },
};
for (const kind of CHECKER_KINDS) {
  rsHandlers[kind] = (_ctx, st, d) => {
    d.checkerBlocks.push(st);
  };
}

/** RsParent is what a real server inherits from its virtual server while that is read. */
export interface RsParent {
  vs: VirtualServer;
  common: Partial<CheckerDefaults>;
  /** weight is the virtual server's `weight`: the default of its real servers. */
  weight: number;
}

/** buildRealServer reads one real_server block; undefined when keepalived would skip it. */
export function buildRealServer(ctx: BuildContext, st: Statement, vs: RsParent): RealServer | undefined {
  const hp = readHostPort(st, false);
  if (typeof hp === 'string') {
    // keepalived: "Invalid real server ip address/port X/Y - skipping"
    ctx.sink.warning(
      (st.args[0] ?? st.keyword).pos,
      'invalid-address',
      `real_server ${hp}; real server skipped`,
    );
    return undefined;
  }
  const d: RsDraft = {
    rs: {
      address: hp.address,
      family: hp.family,
      port: hp.port,
      weight: vs.weight,
      forward: vs.vs.lbKind,
      ...(vs.vs.tunnel ? { tunnel: vs.vs.tunnel } : {}),
      uThreshold: 0,
      lThreshold: 0,
      inhibitOnFailure: vs.vs.inhibitOnFailure,
      alpha: vs.vs.alpha,
      checkers: [],
      pos: st.keyword.pos,
    },
    forwardSet: false,
    common: {},
    checkerBlocks: [],
  };
  walkBlock(ctx, st.block, rsHandlers, d, `real_server ${hp.address}`, UNSUPPORTED_RS);
  const inherited: CheckerDefaults = {
    ...vs.common,
    ...d.common,
    delayLoopMs: d.common.delayLoopMs ?? vs.vs.delayLoopMs,
  };
  for (const block of d.checkerBlocks) {
    const checker = buildChecker(ctx, block, inherited);
    if (checker) d.rs.checkers.push(checker);
  }
  return d.rs;
}
