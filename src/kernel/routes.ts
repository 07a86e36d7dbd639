/**
 * Routes and policy-routing rules over rtnetlink (RTM_NEWROUTE / RTM_DELROUTE,
 * RTM_NEWRULE / RTM_DELRULE), for keepalived's virtual_routes and virtual_rules: added when an
 * instance becomes MASTER, removed when it leaves. Like addresses.ts, a route or rule that is
 * already there counts as added and one that is gone counts as removed.
 */
import type { VirtualRoute, VirtualRule } from '../config/model.js';
import { SystemCallError } from '../util/errors.js';
import { type Logger, silentLogger } from '../util/logger.js';
import {
  AF_INET,
  AF_INET6,
  addressToBytes,
  linkIndex,
  netlinkErrno,
  netlinkError,
  rtnetlink,
  scopeNumber,
} from './addresses.js';
import { NLM_F_CREATE, NLM_F_EXCL } from './netlink-constants.js';
import type { FibRuleHdr, RouteAttrs, RtMsg, RuleAttrs } from './rtnetlink-structs.js';

/** RouteSpec is a route as keepalived's virtual_routes writes it, the device resolved. */
export type RouteSpec = Omit<VirtualRoute, 'pos'>;

/** RuleSpec is a policy-routing rule as keepalived's virtual_rules writes it. */
export type RuleSpec = Omit<VirtualRule, 'pos'>;

/** RTN are the rtm_type values of linux/rtnetlink.h. */
const RTN = { unicast: 1, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9 } as const;
/** FR_ACT are the rule actions of linux/fib_rules.h. */
const FR_ACT = { table: 1, blackhole: 6, unreachable: 7, prohibit: 8 } as const;
/** RT_TABLE_MAIN and RT_TABLE_COMPAT (linux/rtnetlink.h): ids above 255 go in RTA_TABLE / FRA_TABLE. */
const RT_TABLE_MAIN = 254;
const RT_TABLE_COMPAT = 252;
/** RTPROT_KEEPALIVED is the rtm_protocol / FRA_PROTOCOL keepalived marks its routes and rules with (linux/rtnetlink.h). */
const RTPROT_KEEPALIVED = 18;
/** RTNH_F_ONLINK is rtm_flags' "gateway is on link" (linux/rtnetlink.h). */
const RTNH_F_ONLINK = 4;
/** RT_SCOPE_UNIVERSE is the default route scope (linux/rtnetlink.h). */
const RT_SCOPE_UNIVERSE = 0;

/** describeRoute renders a route the way `ip route` prints it, for messages. */
export function describeRoute(r: RouteSpec): string {
  const parts = [r.type === 'unicast' ? '' : `${r.type} `, `${r.dst}/${r.dstPrefixLength}`];
  if (r.via) parts.push(` via ${r.via}`);
  if (r.dev) parts.push(` dev ${r.dev}`);
  if (r.src) parts.push(` src ${r.src}`);
  if (r.table !== undefined) parts.push(` table ${r.table}`);
  if (r.metric !== undefined) parts.push(` metric ${r.metric}`);
  return parts.join('');
}

/** describeRule renders a rule the way `ip rule` prints it, for messages. */
export function describeRule(r: RuleSpec): string {
  const net = (n?: { address: string; prefixLength: number }) =>
    n ? `${n.address}/${n.prefixLength}` : 'all';
  const parts = [`from ${net(r.from)}`];
  if (r.to) parts.push(`to ${net(r.to)}`);
  if (r.fwmark !== undefined) parts.push(`fwmark ${r.fwmark}${r.fwmask !== undefined ? `/${r.fwmask}` : ''}`);
  if (r.iif) parts.push(`iif ${r.iif}`);
  if (r.oif) parts.push(`oif ${r.oif}`);
  parts.push(r.action === 'table' ? `lookup ${r.table}` : r.action);
  if (r.priority !== undefined) parts.push(`priority ${r.priority}`);
  return parts.join(' ');
}

/** routeRequest builds the rtmsg and attributes of RTM_NEWROUTE / RTM_DELROUTE. */
async function routeRequest(r: RouteSpec): Promise<{ data: RtMsg; attrs: RouteAttrs }> {
  const table = r.table ?? RT_TABLE_MAIN;
  // keepalived 2.2.7 sends RT_SCOPE_UNIVERSE unless `scope` is written, also for a route without
  // a gateway (iproute2 would pick link scope there); its routes are what keepvip must match.
  const scope = r.scope !== undefined ? scopeNumber(r.scope) : RT_SCOPE_UNIVERSE;
  const data: RtMsg = {
    family: r.family === 'inet' ? AF_INET : AF_INET6,
    dstLen: r.dstPrefixLength,
    srcLen: 0,
    tos: 0,
    table: table > 255 ? RT_TABLE_COMPAT : table,
    protocol: r.protocol ?? RTPROT_KEEPALIVED,
    scope,
    type: RTN[r.type],
    flags: r.onlink ? RTNH_F_ONLINK : 0,
  };
  const attrs: RouteAttrs = { table }; // RTA_TABLE
  if (r.dstPrefixLength > 0) attrs.dst = addressToBytes(r.dst); // RTA_DST
  if (r.src !== undefined) attrs.prefsrc = addressToBytes(r.src); // RTA_PREFSRC
  if (r.via !== undefined) attrs.gateway = addressToBytes(r.via); // RTA_GATEWAY
  if (r.dev !== undefined) attrs.oif = await linkIndex(r.dev); // RTA_OIF
  if (r.metric !== undefined) attrs.priority = r.metric; // RTA_PRIORITY
  return { data, attrs };
}

/** addRoute adds a route with RTM_NEWROUTE (NLM_F_CREATE|NLM_F_EXCL); EEXIST counts as done. */
export async function addRoute(r: RouteSpec, log: Logger = silentLogger): Promise<void> {
  const { data, attrs } = await routeRequest(r);
  try {
    await rtnetlink().newRoute(data, attrs, NLM_F_CREATE | NLM_F_EXCL);
  } catch (error) {
    if (netlinkErrno(error) === 'EEXIST') {
      log.debug(`route ${describeRoute(r)} already present`);
      return;
    }
    throw netlinkError(`add route ${describeRoute(r)}`, error);
  }
}

/** deleteRoute removes a route with RTM_DELROUTE; a route or device already gone (ESRCH, ENOENT, ENODEV) counts as done. */
export async function deleteRoute(r: RouteSpec, log: Logger = silentLogger): Promise<void> {
  let request: { data: RtMsg; attrs: RouteAttrs };
  try {
    request = await routeRequest(r);
  } catch (error) {
    if (error instanceof SystemCallError && error.errno === 'ENODEV') {
      log.debug(`interface ${r.dev} gone, route ${describeRoute(r)} with it`);
      return;
    }
    throw error;
  }
  // RTM_DELROUTE matches on what is given: the scope is left out (iproute2 sends RT_SCOPE_NOWHERE).
  request.data.scope = 255;
  try {
    await rtnetlink().delRoute(request.data, request.attrs);
  } catch (error) {
    const errno = netlinkErrno(error);
    if (errno === 'ESRCH' || errno === 'ENOENT' || errno === 'ENODEV') {
      log.debug(`route ${describeRoute(r)} already absent`);
      return;
    }
    throw netlinkError(`delete route ${describeRoute(r)}`, error);
  }
}

/** ruleRequest builds the fib_rule_hdr and FRA_* attributes of RTM_NEWRULE / RTM_DELRULE. */
function ruleRequest(r: RuleSpec): { data: FibRuleHdr; attrs: RuleAttrs } {
  const table = r.action === 'table' ? (r.table ?? RT_TABLE_MAIN) : 0;
  const data: FibRuleHdr = {
    family: r.family === 'inet' ? AF_INET : AF_INET6,
    dstLen: r.to?.prefixLength ?? 0,
    srcLen: r.from?.prefixLength ?? 0,
    tos: r.tos ?? 0,
    table: table > 255 ? 0 : table,
    action: FR_ACT[r.action],
    flags: 0,
  };
  // FRA_PROTOCOL: keepalived marks its rules as it marks its routes (RTPROT_KEEPALIVED).
  const attrs: RuleAttrs = { protocol: RTPROT_KEEPALIVED };
  if (table > 0) attrs.table = table; // FRA_TABLE
  if (r.from && r.from.prefixLength > 0) attrs.src = addressToBytes(r.from.address); // FRA_SRC
  if (r.to && r.to.prefixLength > 0) attrs.dst = addressToBytes(r.to.address); // FRA_DST
  if (r.priority !== undefined) attrs.priority = r.priority; // FRA_PRIORITY
  if (r.fwmark !== undefined) attrs.fwmark = r.fwmark; // FRA_FWMARK
  if (r.fwmask !== undefined) attrs.fwmask = r.fwmask; // FRA_FWMASK
  if (r.iif !== undefined) attrs.iifname = r.iif; // FRA_IIFNAME
  if (r.oif !== undefined) attrs.oifname = r.oif; // FRA_OIFNAME
  return { data, attrs };
}

/** addRule adds a rule with RTM_NEWRULE (NLM_F_CREATE|NLM_F_EXCL); EEXIST counts as done. */
export async function addRule(r: RuleSpec, log: Logger = silentLogger): Promise<void> {
  const { data, attrs } = ruleRequest(r);
  try {
    await rtnetlink().newRule(data, attrs, NLM_F_CREATE | NLM_F_EXCL);
  } catch (error) {
    if (netlinkErrno(error) === 'EEXIST') {
      log.debug(`rule ${describeRule(r)} already present`);
      return;
    }
    throw netlinkError(`add rule ${describeRule(r)}`, error);
  }
}

/** deleteRule removes a rule with RTM_DELRULE; a rule already gone (ENOENT) counts as done. */
export async function deleteRule(r: RuleSpec, log: Logger = silentLogger): Promise<void> {
  const { data, attrs } = ruleRequest(r);
  try {
    await rtnetlink().delRule(data, attrs);
  } catch (error) {
    if (netlinkErrno(error) === 'ENOENT') {
      log.debug(`rule ${describeRule(r)} already absent`);
      return;
    }
    throw netlinkError(`delete rule ${describeRule(r)}`, error);
  }
}
