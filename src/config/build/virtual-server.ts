/**
 * virtual_server IP PORT | fwmark N { ... real_server IP PORT { ... } } for LVS, with keepalived
 * 2.2.7's defaults (keepalived.conf(5) "Virtual server(s)"): delay_loop 60 s, NAT, quorum 1,
 * hysteresis 0, real server weight 1. keepalived skips a virtual or real server whose address
 * or port is invalid and keeps running, so those are warnings.
 */
import type { Statement } from '../ast.js';
import type { RealServer, VirtualServer } from '../model.js';
import { buildChecker, CHECKER_KINDS, type CheckerDefaults, commonHandlers } from './checkers.js';
import { UNSUPPORTED_RS, UNSUPPORTED_VS } from './keywords.js';
import {
  type BuildContext,
  type Handler,
  parseIntegerText,
  parseIpAddress,
  readCommand,
  readInteger,
  readSecondsMs,
  requireArg,
  walkBlock,
  outOfRange,
} from './values.js';

/** VsDraft is a virtual server while it is read, with its checker defaults. */
interface VsDraft {
  vs: VirtualServer;
  common: Partial<CheckerDefaults>;
  protocolSet: boolean;
  lbKindSet: boolean;
}

/** RsDraft is a real server while it is read. */
interface RsDraft {
  rs: RealServer;
  common: Partial<CheckerDefaults>;
  checkerBlocks: Statement[];
}

/** readHostPort reads `IP [PORT]` at args[0..1]; a message when invalid. */
function readHostPort(
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

const inheritable = commonHandlers as Record<string, Handler<{ common: Partial<CheckerDefaults> }>>;
const INHERITED = ['connect_timeout', 'retry', 'nb_get_retry', 'delay_before_retry', 'warmup'];

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
};
for (const kind of CHECKER_KINDS) {
  rsHandlers[kind] = (_ctx, st, d) => {
    d.checkerBlocks.push(st);
  };
}

/** buildRealServer reads one real_server block; undefined when keepalived would skip it. */
function buildRealServer(ctx: BuildContext, st: Statement, vs: VsDraft): RealServer | undefined {
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
      port: hp.port || (vs.vs.port ?? 0),
      weight: 1,
      inhibitOnFailure: vs.vs.inhibitOnFailure,
      checkers: [],
      pos: st.keyword.pos,
    },
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

const vsHandlers: Record<string, Handler<VsDraft>> = {
  ...Object.fromEntries(INHERITED.map((k) => [k, inheritable[k]!])),
  delay_loop(ctx, st, d) {
    // keepalived: "virtual server delay loop '0' invalid - ignoring"
    const ms = readSecondsMs(ctx, st, { minS: 0.000001, maxS: 86_400 * 365 }, outOfRange('using 60 s'));
    if (ms !== undefined) d.vs.delayLoopMs = ms;
  },
  lb_algo(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'a scheduler');
    if (w === undefined) return;
    if (!/^(rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh|twos)$/.test(w.text)) {
      // keepalived: "Invalid lvs_scheduler 'foo' - ignoring"
      ctx.sink.warning(w.pos, 'invalid-value', `unknown LVS scheduler '${w.text}'; using wlc`);
      return;
    }
    d.vs.lbAlgo = w.text;
  },
  lb_kind(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'NAT, DR or TUN');
    if (w === undefined) return;
    const kind = w.text.toUpperCase();
    if (kind === 'NAT' || kind === 'DR' || kind === 'TUN') {
      d.vs.lbKind = kind;
      d.lbKindSet = true;
    } else
      ctx.sink.warning(
        w.pos,
        'invalid-value',
        `unknown forwarding method '${w.text}' (expected NAT, DR or TUN); using NAT`,
      );
  },
  persistence_timeout(ctx, st, d) {
    const w = st.args[0];
    if (w === undefined) {
      d.vs.persistenceTimeoutS = 360; // keepalived.conf(5): "default 6 minutes" when no value is given.
      return;
    }
    if (w.text === '0') {
      // keepalived 1.x took 0 as "no persistence"; 2.2.7 says "persistence_timeout invalid".
      ctx.sink.warning(
        w.pos,
        'deprecated-keyword',
        "persistence_timeout 0 is keepalived 1.x for 'no persistence' (keepalived 2.2.7 rejects it); read as no persistence",
      );
      delete d.vs.persistenceTimeoutS;
      return;
    }
    const n = readInteger(ctx, st, { min: 1, max: 2_678_400 }, outOfRange('no persistence'));
    if (n !== undefined) d.vs.persistenceTimeoutS = n;
  },
  protocol(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'TCP, UDP or SCTP');
    if (w === undefined) return;
    const p = w.text.toUpperCase();
    if (p === 'TCP' || p === 'UDP' || p === 'SCTP') {
      d.vs.protocol = p;
      d.protocolSet = true;
    } else
      ctx.sink.warning(
        w.pos,
        'invalid-value',
        `unknown protocol '${w.text}' (expected TCP, UDP or SCTP); ignored`,
      );
  },
  sorry_server(ctx, st, d) {
    const hp = readHostPort(st, false);
    if (typeof hp === 'string')
      ctx.sink.warning((st.args[0] ?? st.keyword).pos, 'invalid-address', `sorry_server ${hp}; ignored`);
    else d.vs.sorryServer = { address: hp.address, port: hp.port || (d.vs.port ?? 0) };
  },
  quorum(ctx, st, d) {
    const n = readInteger(ctx, st, { min: 1, max: 2 ** 32 - 1 }, outOfRange('using 1'));
    if (n !== undefined) d.vs.quorum = n;
  },
  hysteresis(ctx, st, d) {
    const n = readInteger(ctx, st, { min: 0, max: 2 ** 32 - 1 }, outOfRange('using 0'));
    if (n !== undefined) d.vs.hysteresis = n;
  },
  quorum_up(ctx, st, d) {
    d.vs.quorumUp = readCommand(ctx, st);
  },
  quorum_down(ctx, st, d) {
    d.vs.quorumDown = readCommand(ctx, st);
  },
  alpha(_ctx, _st, d) {
    d.vs.alpha = true;
  },
  omega(_ctx, _st, d) {
    d.vs.omega = true;
  },
  inhibit_on_failure(_ctx, _st, d) {
    d.vs.inhibitOnFailure = true;
  },
  real_server() {
    // Read after the whole block, so that settings written after a real_server still apply to it.
  },
};
vsHandlers.lvs_sched = vsHandlers.lb_algo!;
vsHandlers.lvs_method = vsHandlers.lb_kind!;

/** buildVirtualServer reads one virtual_server block; undefined when keepalived would skip it. */
export function buildVirtualServer(ctx: BuildContext, st: Statement): VirtualServer | undefined {
  const first = st.args[0];
  const base: Partial<VirtualServer> = {};
  if (first?.text === 'fwmark') {
    const n = readInteger(ctx, st, { min: 1, max: 2 ** 32 - 1 }, outOfRange('virtual server skipped'), 1);
    if (n === undefined) return undefined;
    base.fwmark = n;
    base.family = 'inet';
  } else if (first?.text === 'group') {
    ctx.sink.warning(
      first.pos,
      'unsupported-keyword',
      'virtual_server group is not supported by keepvip; virtual server skipped',
    );
    return undefined;
  } else {
    const hp = readHostPort(st, true);
    if (typeof hp === 'string') {
      // keepalived: "Invalid virtual server IP address/port X/Y - skipping"
      ctx.sink.warning(
        (first ?? st.keyword).pos,
        'invalid-address',
        `virtual_server ${hp}; virtual server skipped`,
      );
      return undefined;
    }
    base.address = hp.address;
    base.port = hp.port;
    base.family = hp.family;
  }
  const d: VsDraft = {
    vs: {
      ...base,
      family: base.family!,
      delayLoopMs: 60_000,
      lbAlgo: 'wlc',
      lbKind: 'NAT',
      protocol: 'TCP',
      quorum: 1,
      hysteresis: 0,
      alpha: false,
      omega: false,
      inhibitOnFailure: false,
      realServers: [],
      pos: st.keyword.pos,
    },
    common: {},
    protocolSet: false,
    lbKindSet: false,
  };
  const where = `virtual_server ${st.args.map((w) => w.text).join(' ')}`;
  walkBlock(ctx, st.block, vsHandlers, d, where, UNSUPPORTED_VS);
  if (!d.protocolSet && d.vs.fwmark === undefined) {
    // keepalived 2.2.7: "no protocol set - defaulting to UDP".
    ctx.sink.warning(
      st.keyword.pos,
      'protocol-missing',
      `${where} has no protocol; keepalived defaults to UDP (write 'protocol TCP' for TCP)`,
    );
    d.vs.protocol = 'UDP';
  }
  for (const rsSt of st.block ?? []) {
    if (rsSt.keyword.text !== 'real_server') continue;
    const rs = buildRealServer(ctx, rsSt, d);
    if (rs) d.vs.realServers.push(rs);
  }
  if (d.vs.realServers.length === 0 && d.vs.sorryServer === undefined) {
    // keepalived: "Virtual server X has no real servers - ignoring"
    ctx.sink.warning(
      st.keyword.pos,
      'no-real-server',
      `${where} has no real servers; virtual server ignored`,
    );
    return undefined;
  }
  return d.vs;
}
