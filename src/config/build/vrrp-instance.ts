/**
 * vrrp_instance NAME { ... } with keepalived 2.2.7's defaults and its completion rules
 * (vrrp.c vrrp_complete_instance): version from the family and vrrp_version, priority from
 * the state (MASTER without priority means 255, the address owner), advert_int rounding for
 * VRRPv2 and capping for VRRPv3, authentication dropped under VRRPv3, nopreempt cleared by
 * state MASTER. A missing interface or virtual_router_id makes keepalived refuse to start
 * ("pid N exited with permanent error CONFIG"), so those are errors; the rest are warnings.
 * The keywords are read by ./instance-keywords.ts, addresses by ./vip.ts, routes and rules by
 * ./virtual-routes.ts.
 */
import type { Statement } from '../ast.js';
import type { GarpSettings, GlobalDefs, VirtualRoute, VirtualRule, VrrpInstance } from '../model.js';
import { type InstanceDraft, newInstanceDraft } from './instance-draft.js';
import { INSTANCE_KEYWORDS } from './instance-keywords.js';
import { UNSUPPORTED_INSTANCE } from './keywords.js';
import { defaultLvsGlobals } from './lvs-globals.js';
import { type BuildContext, requireArg, walkBlock } from './values.js';
import { readVirtualRoute, readVirtualRule } from './virtual-routes.js';

/** buildVrrpInstance reads one vrrp_instance block and completes it against the globals; undefined when keepalived would refuse it. */
export function buildVrrpInstance(
  ctx: BuildContext,
  st: Statement,
  globals: GlobalDefs,
): VrrpInstance | undefined {
  const nameWord = requireArg(ctx, st, 0, 'a name');
  if (nameWord === undefined) return undefined;
  const d = newInstanceDraft(nameWord.text, st.keyword.pos);
  walkBlock(ctx, st.block, INSTANCE_KEYWORDS, d, `vrrp_instance ${d.name}`, UNSUPPORTED_INSTANCE);
  if (d.lvsSyncInterface) applyLvsSyncInterface(ctx, d.name, d.lvsSyncInterface, globals);
  return completeInstance(ctx, d, globals);
}

/**
 * applyLvsSyncInterface maps the 1.x `lvs_sync_daemon_interface IFACE` of a vrrp_instance onto
 * global lvs_sync_daemon, as keepalived 2.2.7 does (vrrp_parser.c vrrp_lvs_syncd_handler): a
 * deprecation warning, then either "already specified" (global lvs_sync_daemon, or an earlier
 * instance, set the interface) or the sync daemon on IFACE following this instance. keepalived
 * reads global_defs before the instances wherever it stands in the file, and so does keepvip
 * (./config.ts), so the global form wins in either order. The sync id is 0 there: keepalived only
 * defaults it to the instance's VRID for the global form's instance name (vrrp.c).
 */
function applyLvsSyncInterface(ctx: BuildContext, name: string, st: Statement, globals: GlobalDefs): void {
  const ifname = st.args[0]!.text;
  globals.lvs ??= defaultLvsGlobals();
  const lvs = globals.lvs;
  const taken = lvs.syncDaemon?.ifname;
  const deprecated = `(${name}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon`;
  ctx.sink.warning(
    st.keyword.pos,
    'deprecated-keyword',
    taken === undefined
      ? `${deprecated} (read as global 'lvs_sync_daemon ${ifname} inst ${name} id 0')`
      : deprecated,
  );
  if (taken !== undefined) {
    ctx.sink.warning(
      st.keyword.pos,
      'duplicate',
      `(${name}) lvs_sync_daemon_interface has already been specified as ${taken} - ignoring`,
    );
    return;
  }
  lvs.syncDaemon = { ifname, instance: name, syncId: 0, pos: st.keyword.pos };
}

/** completeInstance applies keepalived's vrrp_complete_instance rules to a draft. */
function completeInstance(
  ctx: BuildContext,
  d: InstanceDraft,
  globals: GlobalDefs,
): VrrpInstance | undefined {
  const where = `vrrp_instance ${d.name}`;
  let ok = true;
  const ifName = d.interface ?? globals.defaultInterface;
  if (ifName === undefined) {
    // keepalived: "(VI_1) Unknown interface!" and the process exits with CONFIG.
    ctx.sink.error(
      d.pos,
      'interface-missing',
      `${where} has no 'interface' (and global_defs has no default_interface)`,
    );
    ok = false;
  }
  if (d.vrid === undefined) {
    if (!d.vridBad) ctx.sink.error(d.pos, 'vrid-missing', `${where} has no virtual_router_id (1..255)`);
    ok = false;
  }
  // All VIPs of an instance share one family (keepalived: "address family must match VRRP instance").
  const family = d.vips[0]?.family ?? 'inet';
  const vips = d.vips.filter((v) => {
    if (v.family === family) return true;
    ctx.sink.warning(
      v.pos,
      'vip-family',
      `${v.address} is not ${family === 'inet' ? 'IPv4' : 'IPv6'} like the first address of ${where}; address ignored (use virtual_ipaddress_excluded for mixed families)`,
    );
    return false;
  });
  let version: 2 | 3 = d.version ?? globals.vrrpVersion;
  if (family === 'inet6' && version === 2) {
    // keepalived.conf(5): "IPv6 instances will always use version 3".
    if (d.version === 2)
      ctx.sink.warning(
        d.versionWord!.pos,
        'version',
        `${where} is IPv6, which needs VRRPv3; using version 3`,
      );
    version = 3;
  }
  if (vips.length === 0) {
    if (version === 3 || family === 'inet6' || globals.vrrpStrict) {
      ctx.sink.error(
        d.pos,
        'vip-missing',
        `${where} has no virtual_ipaddress; VRRPv3 and strict mode need at least one`,
      );
      ok = false;
    } else {
      ctx.sink.warning(
        d.pos,
        'vip-missing',
        `${where} has no usable virtual_ipaddress; it will only run VRRP`,
      );
    }
  }
  // keepalived: with no priority, state MASTER means the address owner (255), otherwise 100;
  // with no state, priority 255 means MASTER.
  const priority = d.priority ?? (d.state === 'MASTER' ? 255 : 100);
  const state = d.state ?? (priority === 255 ? 'MASTER' : 'BACKUP');
  let advertMs = Math.round((d.advertS ?? 1) * 1000);
  if (d.advertS !== undefined && d.advertWord !== undefined) {
    if (version === 2 && !Number.isInteger(d.advertS)) {
      // RFC 3768 section 5.3.7: Adver Int is in whole seconds. keepalived rounds.
      const rounded = Math.max(1, Math.round(d.advertS));
      ctx.sink.warning(
        d.advertWord.pos,
        'advert-int-range',
        `advert_int ${d.advertWord.text} with VRRPv2 must be whole seconds; rounded to ${rounded} s`,
      );
      advertMs = rounded * 1000;
    } else if (version === 3) {
      // RFC 5798 section 5.2.7: Max Adver Int is 12 bits of centiseconds (max 40.95 s).
      const cs = Math.round(d.advertS * 100);
      if (cs > 4095) {
        ctx.sink.warning(
          d.advertWord.pos,
          'advert-int-range',
          `advert_int ${d.advertWord.text} with VRRPv3 is above 40.95 s; using 40.95 s`,
        );
        advertMs = 40_950;
      } else advertMs = cs * 10;
    }
  }
  let authentication: VrrpInstance['authentication'];
  if (d.auth.type !== undefined) {
    if (version === 3 || globals.vrrpStrict) {
      ctx.sink.warning(
        d.auth.pos!,
        'auth-v3',
        `${where}: ${version === 3 ? 'VRRPv3' : 'strict mode'} has no authentication (RFC 5798); authentication ignored`,
      );
    } else if (!d.auth.password) {
      ctx.sink.warning(
        d.auth.pos!,
        'auth-pass-missing',
        `${where}: authentication without auth_pass; authentication ignored`,
      );
    } else if (family === 'inet6' && d.auth.type === 'AH') {
      ctx.sink.warning(
        d.auth.pos!,
        'auth-ah-ipv6',
        `${where}: AH authentication cannot be used with IPv6; ignored`,
      );
    } else authentication = { type: d.auth.type, password: d.auth.password };
  }
  let nopreempt = d.nopreempt !== undefined;
  if (nopreempt && priority === 255) {
    ctx.sink.warning(
      d.nopreempt!.pos,
      'nopreempt-owner',
      `${where}: nopreempt has no effect with priority 255 (address owner); cleared`,
    );
    nopreempt = false;
  } else if (nopreempt && state === 'MASTER') {
    // keepalived: "Warning - nopreempt will not work with initial state MASTER - clearing"
    ctx.sink.warning(
      d.nopreempt!.pos,
      'nopreempt-master',
      `${where}: nopreempt does not work with state MASTER; nopreempt cleared (use state BACKUP on both nodes)`,
    );
    nopreempt = false;
  }
  let preemptDelayMs = d.preemptDelayMs;
  if (preemptDelayMs > 0 && (state === 'MASTER' || nopreempt || globals.vrrpStrict)) {
    ctx.sink.warning(
      d.pos,
      'preempt-delay',
      `${where}: preempt_delay has no effect with ${state === 'MASTER' ? 'state MASTER' : nopreempt ? 'nopreempt' : 'vrrp_strict'}; cleared`,
    );
    preemptDelayMs = 0;
  }
  if (d.unicastWord !== undefined && d.unicastPeers.length === 0) {
    ctx.sink.warning(
      d.unicastWord.pos,
      'unicast-no-peer',
      `${where}: a unicast keyword without any unicast_peer; using multicast`,
    );
  }
  const virtualRoutes: VirtualRoute[] = [];
  for (const line of d.routeLines) {
    const r = readVirtualRoute(ctx, line);
    if (r) virtualRoutes.push(r);
  }
  const virtualRules: VirtualRule[] = [];
  for (const line of d.ruleLines) {
    const r = readVirtualRule(ctx, line, family);
    if (r) virtualRules.push(r);
  }
  if (!ok) return undefined;
  const g = globals.garp;
  const garp: GarpSettings = {
    masterDelayMs: d.garp.masterDelayMs ?? g.masterDelayMs,
    masterRepeat: d.garp.masterRepeat ?? g.masterRepeat,
    masterRefreshMs: d.garp.masterRefreshMs ?? g.masterRefreshMs,
    masterRefreshRepeat: d.garp.masterRefreshRepeat ?? g.masterRefreshRepeat,
    lowerPrioDelayMs: d.garp.lowerPrioDelayMs ?? (globals.vrrpStrict ? 0 : g.lowerPrioDelayMs),
    lowerPrioRepeat: d.garp.lowerPrioRepeat ?? (globals.vrrpStrict ? 0 : g.lowerPrioRepeat),
    intervalMs: family === 'inet' ? g.intervalMs : globals.gnaIntervalMs,
  };
  const instance: VrrpInstance = {
    name: d.name,
    initialState: state,
    interface: ifName!,
    virtualRouterId: d.vrid!,
    priority,
    advertIntervalMs: advertMs,
    version,
    family,
    virtualIpAddresses: vips,
    virtualIpAddressesExcluded: d.excluded,
    virtualRoutes,
    virtualRules,
    promoteSecondaries: d.promoteSecondaries,
    trackScripts: d.trackScripts,
    trackInterfaces: d.trackInterfaces,
    trackFiles: d.trackFiles,
    trackProcesses: d.trackProcesses,
    nopreempt,
    preemptDelayMs,
    unicastPeers: d.unicastPeers,
    notify: d.notify,
    garp,
    // keepalived: the address owner (priority 255) always accepts; otherwise accept unless
    // no_accept, and under vrrp_strict only with accept written.
    accept: priority === 255 || (d.accept ?? !globals.vrrpStrict),
    dontTrackPrimary: d.dontTrackPrimary,
    pos: d.pos,
  };
  if (authentication) instance.authentication = authentication;
  if (d.unicastSrcIp !== undefined) instance.unicastSrcIp = d.unicastSrcIp;
  if (Object.keys(d.unicastPeerTtl).length > 0) instance.unicastPeerTtl = d.unicastPeerTtl;
  if (d.mcastSrcIp !== undefined) instance.mcastSrcIp = d.mcastSrcIp;
  if (d.smtpAlert !== undefined) instance.smtpAlert = d.smtpAlert;
  // keepalived's default VMAC name is vrrp.VRID; vmac_xmit_base counts only with use_vmac.
  if (d.useVmac !== undefined) instance.useVmac = d.useVmac || `vrrp.${d.vrid}`;
  if (d.useVmac !== undefined && d.vmacXmitBase) instance.vmacXmitBase = true;
  if (d.handoff !== undefined) instance.handoff = d.handoff;
  return instance;
}
