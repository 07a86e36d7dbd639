/**
 * virtual_server IP PORT | fwmark N { ... real_server IP PORT { ... } } for LVS, with keepalived
 * 2.2.7's defaults (keepalived.conf(5) "Virtual server(s)"): delay_loop 60 s, NAT, quorum 1,
 * hysteresis 0, real server weight 1. keepalived skips a virtual or real server whose address
 * or port is invalid and keeps running, so those are warnings.
 */
import type { Statement, Word } from '../ast.js';
import type { KeepvipConfig, LvsSchedFlag, VirtualServer } from '../model.js';
import type { CheckerDefaults } from './checkers.js';
import { UNSUPPORTED_VS } from './keywords.js';
import { buildRealServer, INHERITED, inheritable, readHostPort } from './real-server.js';
import {
  type BuildContext,
  type Handler,
  readCommand,
  readInteger,
  readBool,
  readSecondsMs,
  requireArg,
  walkBlock,
  notSupported,
  outOfRange,
} from './values.js';
import { readFlapGuard } from './checker-flap.js';
import {
  finishVirtualServer,
  readForwarding,
  readGranularity,
  readSnmpName,
} from './virtual-server-rules.js';

/** VsDraft is a virtual server while it is read, with its checker defaults. */
interface VsDraft {
  vs: VirtualServer;
  common: Partial<CheckerDefaults>;
  protocolSet: boolean;
  lbKindSet: boolean;
  familySet: boolean;
  sorryForwardSet: boolean;
  /** flagPos is where each scheduler flag was written (checked against the scheduler at the end). */
  flagPos: Map<LvsSchedFlag, Word>;
  /** weight is the virtual server's `weight`: the default of its real servers. */
  weight: number;
  /** drPathCheck is where `dr_path_check on` was written (the checker is made once the block is read). */
  drPathCheck?: Statement;
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
    const f = readForwarding(ctx, st, 'virtual');
    if (f === undefined) return;
    d.vs.lbKind = f.forward;
    if (f.tunnel) d.vs.tunnel = f.tunnel;
    else delete d.vs.tunnel;
    d.lbKindSet = true;
  },
  persistence_granularity(ctx, st, d) {
    const g = readGranularity(ctx, st, d.vs.family);
    if (g === undefined) return;
    d.vs.persistenceGranularity = g;
    // keepalived pgr_handler: a granularity without a timeout turns persistence on (360 s).
    d.vs.persistenceTimeoutS ??= 360;
  },
  persistence_engine(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'a persistence engine name');
    if (w !== undefined) d.vs.persistenceEngine = w.text;
  },
  ha_suspend(_ctx, _st, d) {
    // The checkers pause while the address is not on this director (lvs/ha-suspend.ts).
    d.vs.haSuspend = true;
  },
  ip_family(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'inet or inet6');
    if (w === undefined) return;
    if (w.text !== 'inet' && w.text !== 'inet6') {
      ctx.sink.warning(w.pos, 'invalid-value', `unknown address family '${w.text}'; ignored`);
      return;
    }
    if (d.vs.fwmark === undefined && d.vs.group === undefined && w.text !== d.vs.family) {
      // keepalived: "Virtual server specified family X conflicts with server family"
      ctx.sink.warning(
        w.pos,
        'invalid-value',
        `ip_family ${w.text} conflicts with the virtual server's address; ignored`,
      );
      return;
    }
    d.vs.family = w.text;
    d.familySet = true;
  },
  weight(ctx, st, d) {
    const n = readInteger(ctx, st, { min: 0, max: 2 ** 31 - 1 }, outOfRange('using 1'));
    if (n !== undefined) d.weight = n;
  },
  sorry_server_inhibit(ctx, st, d) {
    if (d.vs.sorryServer) d.vs.sorryServer.inhibit = true;
    // keepalived: "Ignoring sorry_server inhibit used before or without sorry_server"
    else
      ctx.sink.warning(
        st.keyword.pos,
        'order',
        'sorry_server_inhibit before or without sorry_server; ignored',
      );
  },
  sorry_server_lvs_method(ctx, st, d) {
    if (!d.vs.sorryServer) {
      ctx.sink.warning(
        st.keyword.pos,
        'order',
        'sorry_server_lvs_method before or without sorry_server; ignored',
      );
      return;
    }
    const f = readForwarding(ctx, st, 'sorry');
    if (f === undefined) return;
    d.vs.sorryServer.forward = f.forward;
    if (f.tunnel) d.vs.sorryServer.tunnel = f.tunnel;
    else delete d.vs.sorryServer.tunnel;
    d.sorryForwardSet = true;
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
    else {
      d.vs.sorryServer = {
        address: hp.address,
        family: hp.family,
        port: hp.port,
        forward: d.vs.lbKind,
        ...(d.vs.tunnel ? { tunnel: d.vs.tunnel } : {}),
        inhibit: false,
        pos: st.keyword.pos,
      };
      d.sorryForwardSet = d.lbKindSet;
    }
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
  virtualhost(ctx, st, d) {
    // The Host header of the HTTP_GET / SSL_GET checkers below that set none.
    const w = requireArg(ctx, st, 0, 'a host name');
    if (w !== undefined) d.common.virtualhost = w.text;
  },
  inhibit_on_failure(_ctx, _st, d) {
    d.vs.inhibitOnFailure = true;
  },
  flap_guard(ctx, st, d) {
    const g = readFlapGuard(ctx, st);
    if (g !== undefined) d.vs.flapGuard = g;
  },
  smtp_alert(ctx, st, d) {
    // keepalived vs_smtp_alert_handler: the default of its real servers.
    d.vs.smtpAlert = readBool(ctx, st);
  },
  snmp_name(ctx, st, d) {
    const name = readSnmpName(ctx, st, 'virtual');
    if (name !== undefined) d.vs.snmpName = name;
  },
  dr_path_check(ctx, st, d) {
    // keepvip's own: a data-path probe per DR real server (check/probes/dr-path.ts).
    if (readBool(ctx, st)) d.drPathCheck = st;
    else delete d.drPathCheck;
  },
  real_server() {
    // Read after the whole block, so that settings written after a real_server still apply to it.
  },
};
vsHandlers.lvs_sched = vsHandlers.lb_algo!;
vsHandlers.lvs_method = vsHandlers.lb_kind!;
for (const flag of [
  'ops',
  'flag-1',
  'flag-2',
  'flag-3',
  'sh-port',
  'sh-fallback',
  'mh-port',
  'mh-fallback',
] as const) {
  vsHandlers[flag] = (_ctx, st, d) => {
    if (!d.vs.schedFlags.includes(flag)) d.vs.schedFlags.push(flag);
    d.flagPos.set(flag, st.keyword);
  };
}

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
    const name = requireArg(ctx, st, 1, 'a virtual_server_group name');
    if (name === undefined) return undefined;
    base.group = name.text;
    base.family = 'inet'; // resolved from the group's entries in checkVirtualServers
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
      schedFlags: [],
      protocol: 'TCP',
      quorum: 1,
      hysteresis: 0,
      alpha: false,
      omega: false,
      inhibitOnFailure: false,
      haSuspend: false,
      realServers: [],
      pos: st.keyword.pos,
    },
    common: {},
    protocolSet: false,
    lbKindSet: false,
    familySet: false,
    sorryForwardSet: false,
    flagPos: new Map(),
    weight: 1,
  };
  const where = `virtual_server ${st.args.map((w) => w.text).join(' ')}`;
  walkBlock(ctx, st.block, vsHandlers, d, where, UNSUPPORTED_VS);
  if (!d.protocolSet && d.vs.fwmark === undefined) {
    // keepalived 2.2.7 (check_data.c): "no protocol set - defaulting to UDP".
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
  if (d.vs.realServers.length === 0) {
    // keepalived: "Virtual server X has no real servers - ignoring" (a sorry server alone does not count)
    ctx.sink.warning(
      st.keyword.pos,
      'no-real-server',
      `${where} has no real servers; virtual server ignored`,
    );
    return undefined;
  }
  if (d.vs.sorryServer && !d.sorryForwardSet) {
    d.vs.sorryServer.forward = d.vs.lbKind;
    if (d.vs.tunnel) d.vs.sorryServer.tunnel = d.vs.tunnel;
  }
  finishVirtualServer(ctx, d.vs, { where, flagPos: d.flagPos, familySet: d.familySet });
  if (d.drPathCheck !== undefined) readDrPathCheck(ctx, d, d.drPathCheck, where);
  return d.vs;
}

/**
 * readDrPathCheck makes the virtual server's data-path checker (keepvip `dr_path_check on`) from
 * its checker defaults, or says why it is ignored: it needs lb_kind DR, an IPv4 virtual server
 * (IPv6 is not supported) and an address (not fwmark or group), since the probe is sent to VIP:PORT.
 */
function readDrPathCheck(ctx: BuildContext, d: VsDraft, st: Statement, where: string): void {
  const vs = d.vs;
  if (vs.family === 'inet6') {
    notSupported(ctx, st.keyword, `an IPv6 ${where}`, 'ignored (IPv4 only)');
    return;
  }
  if (vs.address === undefined) {
    ctx.sink.warning(
      st.keyword.pos,
      'invalid-value',
      `dr_path_check in ${where} needs a virtual_server IP PORT (it probes VIP:PORT), not fwmark or group; ignored`,
    );
    return;
  }
  const dr = vs.lbKind === 'DR' || vs.realServers.some((rs) => rs.forward === 'DR');
  if (!dr) {
    ctx.sink.warning(
      st.keyword.pos,
      'invalid-value',
      `dr_path_check in ${where} applies to lb_kind DR only (this one is ${vs.lbKind}); ignored`,
    );
    return;
  }
  const c = d.common;
  vs.drPathCheck = {
    kind: 'DR_PATH_CHECK',
    connectTimeoutMs: c.connectTimeoutMs ?? 5000,
    retry: c.retry ?? 1,
    delayBeforeRetryMs: c.delayBeforeRetryMs ?? 1000,
    warmupMs: c.warmupMs ?? vs.delayLoopMs,
    delayLoopMs: vs.delayLoopMs,
    pos: st.keyword.pos,
  };
}

/**
 * checkVirtualServers runs the checks that need the whole configuration: a `virtual_server group`
 * names a virtual_server_group (keepalived: "Virtual server group X specified but not configured -
 * ignoring"), whose entries give its family; lvs_sync_daemon names a vrrp_instance.
 */
export function checkVirtualServers(ctx: BuildContext, config: KeepvipConfig): void {
  const groups = new Map((config.virtualServerGroups ?? []).map((g) => [g.name, g]));
  config.virtualServers = config.virtualServers.filter((vs) => {
    if (vs.group === undefined) return true;
    const g = groups.get(vs.group);
    if (g === undefined) {
      ctx.sink.warning(
        vs.pos,
        'undefined-reference',
        `virtual_server group ${vs.group}: no virtual_server_group ${vs.group}; virtual server ignored`,
      );
      return false;
    }
    const range = g.entries.find((e) => e.kind === 'range');
    vs.family =
      range?.family ??
      g.entries.find((e) => e.kind === 'fwmark' && e.family)?.family ??
      vs.realServers[0]?.family ??
      'inet';
    return true;
  });
  const sd = config.globalDefs.lvs?.syncDaemon;
  if (sd && sd.instance === undefined) {
    // The sync daemon's role follows a vrrp_instance's state; without one keepvip cannot choose.
    ctx.sink.warning(
      sd.pos,
      'missing-argument',
      'lvs_sync_daemon names no vrrp_instance (lvs_sync_daemon IFACE INSTANCE); sync daemon not started',
    );
  }
  if (sd?.instance !== undefined && !config.vrrpInstances.some((i) => i.name === sd.instance)) {
    ctx.sink.warning(
      sd.pos,
      'undefined-reference',
      `lvs_sync_daemon: vrrp_instance '${sd.instance}' does not exist; sync daemon not started`,
    );
    delete sd.instance;
  }
}
