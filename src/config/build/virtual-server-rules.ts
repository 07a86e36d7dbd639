/**
 * The rules keepalived 2.2.7 applies to a virtual server once it is read (check_data.c
 * validate_check_config, check_parser.c svr_forwarding_handler / pgr_handler): forwarding
 * methods with their tunnel tail, persistence granularity, real-server ports forced for DR/TUN,
 * fwmark ports cleared, duplicates removed, quorum and hysteresis clamped, scheduler flags checked.
 */
import type { Statement, Word } from '../ast.js';
import type { AddressFamily, LvsForward, LvsSchedFlag, LvsTunnel, VirtualServer } from '../model.js';
import { type BuildContext, parseIntegerText, requireArg } from './values.js';

/** readForwarding reads `NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]` (lb_kind, lvs_method). */
export function readForwarding(
  ctx: BuildContext,
  st: Statement,
  which: 'virtual' | 'real' | 'sorry',
): { forward: LvsForward; tunnel?: LvsTunnel } | undefined {
  const w = requireArg(ctx, st, 0, 'NAT, DR or TUN');
  if (w === undefined) return undefined;
  const forward = w.text.toUpperCase();
  if (forward !== 'NAT' && forward !== 'DR' && forward !== 'TUN') {
    // keepalived: "PARSER : unknown [X] routing method for virtual server."
    ctx.sink.warning(
      w.pos,
      'invalid-value',
      `unknown forwarding method '${w.text}' for ${which} server (expected NAT, DR or TUN); ignored`,
    );
    return undefined;
  }
  const tail = st.args.slice(1);
  if (tail.length === 0)
    return forward === 'TUN' ? { forward, tunnel: { type: 'ipip', csum: 'nocsum' } } : { forward };
  const tunnel: LvsTunnel = { type: 'ipip', csum: 'nocsum' };
  const bad = (word: Word, msg: string) => {
    ctx.sink.warning(word.pos, 'invalid-value', `${st.keyword.text}: ${msg}; ignored`);
    return undefined;
  };
  for (let i = 0; i < tail.length; i++) {
    const t = tail[i]!;
    const next = tail[i + 1];
    if (t.text === 'type') {
      if (next === undefined) return bad(t, `missing tunnel type for ${which} server`);
      if (next.text !== 'ipip' && next.text !== 'gue' && next.text !== 'gre')
        return bad(next, `unknown tunnel type ${next.text}`);
      tunnel.type = next.text;
      i++;
    } else if (t.text === 'port') {
      const n = next === undefined ? undefined : parseIntegerText(next.text);
      if (n === undefined || n < 1 || n > 65_535) return bad(next ?? t, `invalid gue tunnel port`);
      tunnel.port = n;
      i++;
    } else if (t.text === 'nocsum' || t.text === 'csum' || t.text === 'remcsum') tunnel.csum = t.text;
    else return bad(t, `invalid tunnel option ${t.text}`);
  }
  if (forward !== 'TUN') return bad(tail[0]!, 'tunnel options need TUN');
  if ((tunnel.type === 'gue') !== (tunnel.port !== undefined))
    return bad(tail[0]!, 'gue tunnels require port, otherwise cannot have port');
  if (tunnel.type === 'ipip' && tunnel.csum !== 'nocsum')
    return bad(tail[0]!, 'ipip tunnels do not support checksum option');
  if (tunnel.type === 'gre' && tunnel.csum === 'remcsum')
    return bad(tail[0]!, 'gre tunnels do not support remote checksum option');
  return { forward, tunnel };
}

/** maskBits converts a solid dotted IPv4 netmask to its prefix length; undefined when not solid. */
export function maskBits(mask: string): number | undefined {
  const parts = mask.split('.').map((p) => parseIntegerText(p));
  if (parts.length !== 4 || parts.some((p) => p === undefined || p < 0 || p > 255)) return undefined;
  const n = parts.reduce<number>((acc, p) => acc * 256 + p!, 0);
  const bits = n.toString(2).padStart(32, '0');
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')) : undefined;
}

/** readGranularity reads persistence_granularity: a dotted mask for IPv4, a prefix length 1..128 for IPv6. */
export function readGranularity(ctx: BuildContext, st: Statement, family: AddressFamily): number | undefined {
  const w = requireArg(ctx, st, 0, 'a netmask');
  if (w === undefined) return undefined;
  const v6 = family === 'inet6' || !w.text.includes('.');
  if (v6 && !w.text.includes('.')) {
    const n = parseIntegerText(w.text);
    if (n === undefined || n < 1 || n > 128) {
      ctx.sink.warning(
        w.pos,
        'invalid-value',
        `invalid IPv6 persistence_granularity ${w.text} (1..128); ignored`,
      );
      return undefined;
    }
    return n;
  }
  const bits = maskBits(w.text);
  if (bits === undefined) {
    // keepalived and ipvsadm accept a non-solid mask; IpvsService.netmask is a prefix length.
    ctx.sink.warning(
      w.pos,
      'invalid-value',
      `persistence_granularity ${w.text} is not a solid IPv4 netmask; ignored`,
    );
    return undefined;
  }
  return bits;
}

const SCHED_OF_FLAG: Partial<Record<LvsSchedFlag, string>> = {
  'sh-port': 'sh',
  'sh-fallback': 'sh',
  'mh-port': 'mh',
  'mh-fallback': 'mh',
};

/** finishVirtualServer applies keepalived's end-of-configuration rules to one virtual server, in place. */
export function finishVirtualServer(
  ctx: BuildContext,
  vs: VirtualServer,
  read: { where: string; flagPos: Map<LvsSchedFlag, Word>; familySet: boolean },
): void {
  const warn = (pos: Statement['keyword']['pos'], code: string, msg: string) =>
    ctx.sink.warning(pos, code, msg);
  // Scheduler flags: sh-* only with sh, mh-* only with mh (keepalived lbflags_handler); ops only UDP or fwmark.
  vs.schedFlags = vs.schedFlags.filter((f) => {
    const need = SCHED_OF_FLAG[f];
    const pos = read.flagPos.get(f)!.pos;
    if (need !== undefined && vs.lbAlgo !== need) {
      warn(pos, 'invalid-value', `${f} only applies to the ${need} scheduler; ignored`);
      return false;
    }
    if (f === 'ops' && vs.fwmark === undefined && vs.group === undefined && vs.protocol !== 'UDP') {
      // keepalived: "one packet scheduling requires UDP - resetting"
      warn(pos, 'invalid-value', `${read.where}: one packet scheduling (ops) requires UDP; ignored`);
      return false;
    }
    return true;
  });
  // "zero port only valid for persistent services - setting"
  if (
    vs.fwmark === undefined &&
    vs.group === undefined &&
    vs.port === 0 &&
    vs.persistenceTimeoutS === undefined
  ) {
    warn(
      vs.pos,
      'invalid-value',
      `${read.where}: port 0 is only valid for persistent services; persistence_timeout 360`,
    );
    vs.persistenceTimeoutS = 360;
  }
  // A fwmark service takes its family from ip_family, else from its (non-tunnelled) servers.
  if (vs.fwmark !== undefined && !read.familySet) {
    const direct = vs.realServers.find((r) => r.forward !== 'TUN');
    vs.family =
      (vs.sorryServer?.forward !== 'TUN' ? vs.sorryServer?.family : undefined) ??
      direct?.family ??
      vs.realServers[0]?.family ??
      'inet';
  }
  const seen = new Set<string>();
  vs.realServers = vs.realServers.filter((rs) => {
    if (rs.forward !== 'TUN' && rs.family !== vs.family && vs.group === undefined) {
      // keepalived: "Address family of virtual server and real server X don't match - skipping real server."
      warn(
        rs.pos,
        'family-mismatch',
        `real_server ${rs.address}: address family differs from ${read.where}; real server skipped`,
      );
      return false;
    }
    fixPort(ctx, vs, rs, read.where, `real server ${rs.address}`);
    const key = `${rs.address}|${rs.port}`;
    if (seen.has(key)) {
      // keepalived: "VS X: real server Y is duplicated - removing second rs"
      warn(
        rs.pos,
        'duplicate',
        `${read.where}: real server ${rs.address} ${rs.port} is duplicated; second one removed`,
      );
      return false;
    }
    seen.add(key);
    return true;
  });
  if (vs.sorryServer) fixPort(ctx, vs, vs.sorryServer, read.where, 'sorry server');
  const weightSum = vs.realServers.reduce((s, r) => s + r.weight, 0);
  if (vs.quorum > weightSum) {
    // keepalived: "Warning - quorum Q for VS exceeds total weight of real servers W, reducing quorum to W"
    warn(
      vs.pos,
      'value-range',
      `${read.where}: quorum ${vs.quorum} exceeds the total weight of its real servers ${weightSum}; quorum ${weightSum}`,
    );
    vs.quorum = weightSum;
  }
  if (vs.hysteresis >= vs.quorum && vs.hysteresis > 0) {
    const h = Math.max(0, vs.quorum - 1);
    warn(
      vs.pos,
      'value-range',
      `${read.where}: hysteresis ${vs.hysteresis} >= quorum ${vs.quorum}; hysteresis ${h}`,
    );
    vs.hysteresis = h;
  }
  if (vs.haSuspend && vs.fwmark !== undefined) {
    // keepalived: "cannot use ha_suspend with fwmarks - clearing ha_suspend"
    warn(vs.pos, 'invalid-value', `${read.where}: ha_suspend cannot be used with fwmark; cleared`);
    vs.haSuspend = false;
  }
}

/** fixPort applies keepalived's port rules: NAT keeps its port (0 = the service's), DR/TUN take the service's (0 with fwmark). */
function fixPort(
  ctx: BuildContext,
  vs: VirtualServer,
  server: { port: number; forward: LvsForward; pos?: Statement['keyword']['pos'] },
  where: string,
  what: string,
): void {
  const pos = server.pos ?? vs.pos;
  if (vs.group !== undefined) return; // checked against each group entry by the desired-table builder
  if (server.forward === 'NAT') {
    if (vs.fwmark === undefined && server.port === 0) server.port = vs.port ?? 0;
    return;
  }
  if (vs.fwmark !== undefined) {
    if (server.port !== 0) {
      ctx.sink.warning(
        pos,
        'port-ignored',
        `fwmark ${where}: ${what} has a port; cleared (DR/TUN forward to the packet's port)`,
      );
      server.port = 0;
    }
    return;
  }
  if (server.port === 0) server.port = vs.port ?? 0;
  else if (server.port !== vs.port) {
    // keepalived: "WARNING - virtual server X and real server Y ports don't match - resetting"
    ctx.sink.warning(
      pos,
      'port-mismatch',
      `${where}: ${what} port ${server.port} differs from the service's (DR/TUN keep the port); using ${vs.port}`,
    );
    server.port = vs.port ?? 0;
  }
}

/**
 * readSnmpName reads `snmp_name NAME` of a virtual or real server (check_parser.c
 * vs_snmp_name_handler / rs_snmp_name_handler: exactly one word). keepalived only uses it in
 * SNMP and its data dump; keepvip has no SNMP agent and names the server with it in
 * `keepvip status` (text and --json), the SIGUSR1 dump and the keepvip_* metrics.
 */
export function readSnmpName(
  ctx: BuildContext,
  st: Statement,
  which: 'virtual' | 'real',
): string | undefined {
  if (st.args.length !== 1) {
    // keepalived: "virtual server snmp_name missing or extra parameters"
    ctx.sink.warning(
      (st.args[1] ?? st.keyword).pos,
      'invalid-value',
      `${which} server snmp_name missing or extra parameters (snmp_name NAME); ignored`,
    );
    return undefined;
  }
  return st.args[0]!.text;
}
