/**
 * virtual_routes and virtual_rules of a vrrp_instance, in keepalived 2.2.7's grammar
 * (vrrp_iproute.c alloc_route, vrrp_iprule.c alloc_rule, which follow `ip route` / `ip rule`).
 * ROUTE_OPTIONS and RULE_OPTIONS are the option tables; an option keepalived reads and keepvip
 * does not apply is reported `not supported by keepvip` at its word.
 */
import type { Statement, Word } from '../ast.js';
import type { AddressFamily, RouteType, VirtualRoute, VirtualRule } from '../model.js';
import {
  type BuildContext,
  notSupported,
  parseAddressPrefix,
  parseIntegerText,
  parseIpAddress,
} from './values.js';

/** RT_TABLES are the table names iproute2 knows without /etc/iproute2/rt_tables (linux/rtnetlink.h RT_TABLE_*). */
export const RT_TABLES: Readonly<Record<string, number>> = { unspec: 0, default: 253, main: 254, local: 255 };

/** RTPROT_KEEPALIVED is the rtm_protocol keepalived marks its routes with (linux/rtnetlink.h). */
export const RTPROT_KEEPALIVED = 18;

/** LineOption is one option word of a route or rule line. Without apply it is not supported by keepvip. */
export interface LineOption<T> {
  takesValue: boolean;
  /** apply returns an error message for a bad value (the line is skipped), or undefined. */
  apply?: (target: T, value: Word) => string | undefined;
}

type RouteDraft = Partial<VirtualRoute> & { type: RouteType };
type RuleDraft = Partial<VirtualRule> & { action: VirtualRule['action'] };

const ROUTE_TYPES: readonly RouteType[] = ['unicast', 'blackhole', 'unreachable', 'prohibit', 'throw'];

function table(text: string): number | undefined {
  const n = RT_TABLES[text] ?? parseIntegerText(text);
  return n !== undefined && n >= 0 && n <= 0xffffffff ? n : undefined;
}

function uint(text: string, max: number): number | undefined {
  const n = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text, 16) : parseIntegerText(text);
  return n !== undefined && n >= 0 && n <= max ? n : undefined;
}

function family(d: { family?: AddressFamily }, f: AddressFamily): string | undefined {
  if (d.family !== undefined && d.family !== f) return 'mixes IPv4 and IPv6 addresses';
  d.family = f;
  return undefined;
}

const gateway = (d: RouteDraft, v: Word) => {
  const ip = parseIpAddress(v.text);
  if (ip === undefined) return `gateway '${v.text}' is not an IP address`;
  d.via = ip.address;
  return family(d, ip.family);
};
const metric = (d: RouteDraft, v: Word) => {
  d.metric = uint(v.text, 0xffffffff);
  return d.metric === undefined ? `metric '${v.text}' is not a number` : undefined;
};
const routeDev = (d: RouteDraft, v: Word) => {
  d.dev = v.text;
  return undefined;
};

/** ROUTE_OPTIONS are the words keepalived reads in a virtual_routes line besides the destination. */
export const ROUTE_OPTIONS: Readonly<Record<string, LineOption<RouteDraft>>> = {
  src: {
    takesValue: true,
    apply(d, v) {
      const ip = parseIpAddress(v.text);
      if (ip === undefined) return `src '${v.text}' is not an IP address`;
      d.src = ip.address;
      return family(d, ip.family);
    },
  },
  via: { takesValue: true, apply: gateway },
  gw: { takesValue: true, apply: gateway },
  dev: { takesValue: true, apply: routeDev },
  oif: { takesValue: true, apply: routeDev },
  scope: {
    takesValue: true,
    apply(d, v) {
      if (!/^(global|universe|host|link|site|nowhere|\d+)$/.test(v.text)) return `unknown scope '${v.text}'`;
      d.scope = v.text;
      return undefined;
    },
  },
  table: {
    takesValue: true,
    apply(d, v) {
      d.table = table(v.text);
      return d.table === undefined
        ? `table '${v.text}' is not a number or main/local/default (names from rt_tables are not read)`
        : undefined;
    },
  },
  metric: { takesValue: true, apply: metric },
  priority: { takesValue: true, apply: metric },
  preference: { takesValue: true, apply: metric },
  protocol: {
    takesValue: true,
    apply(d, v) {
      const names: Record<string, number> = { kernel: 2, boot: 3, static: 4, keepalived: 18 };
      d.protocol = names[v.text] ?? uint(v.text, 255);
      return d.protocol === undefined ? `protocol '${v.text}' is not a number` : undefined;
    },
  },
  onlink: {
    takesValue: false,
    apply(d) {
      d.onlink = true;
      return undefined;
    },
  },
  or: { takesValue: true },
  as: { takesValue: true },
  encap: { takesValue: true },
  tos: { takesValue: true },
  dsfield: { takesValue: true },
  realms: { takesValue: true },
  mtu: { takesValue: true },
  advmss: { takesValue: true },
  rtt: { takesValue: true },
  rttvar: { takesValue: true },
  reordering: { takesValue: true },
  window: { takesValue: true },
  cwnd: { takesValue: true },
  ssthresh: { takesValue: true },
  initcwnd: { takesValue: true },
  initrwnd: { takesValue: true },
  features: { takesValue: true },
  quickack: { takesValue: true },
  congctl: { takesValue: true },
  rto_min: { takesValue: true },
  fastopen_no_cookie: { takesValue: true },
  pref: { takesValue: true },
  'ttl-propagate': { takesValue: true },
  nexthop: { takesValue: false },
  track_group: { takesValue: true },
  no_track: { takesValue: false },
};

const ruleAddress =
  (key: 'from' | 'to') =>
  (d: RuleDraft, v: Word): string | undefined => {
    if (v.text === 'all' || v.text === 'any' || v.text === 'default') return undefined;
    const p = parseAddressPrefix(v.text);
    if ('reason' in p) return `${key} '${v.text}': ${p.reason}`;
    d[key] = { address: p.address, prefixLength: p.prefixLength ?? (p.family === 'inet' ? 32 : 128) };
    return family(d, p.family);
  };
const ruleTable = (d: RuleDraft, v: Word) => {
  d.table = table(v.text);
  d.action = 'table';
  return d.table === undefined ? `table '${v.text}' is not a number or main/local/default` : undefined;
};
const rulePriority = (d: RuleDraft, v: Word) => {
  d.priority = uint(v.text, 0xffffffff);
  return d.priority === undefined ? `priority '${v.text}' is not a number` : undefined;
};
const ruleIif = (d: RuleDraft, v: Word) => {
  d.iif = v.text;
  return undefined;
};
const ruleTos = (d: RuleDraft, v: Word) => {
  d.tos = uint(v.text, 255);
  return d.tos === undefined ? `tos '${v.text}' is not a number` : undefined;
};
const ruleAction = (action: VirtualRule['action']): LineOption<RuleDraft> => ({
  takesValue: false,
  apply(d) {
    d.action = action;
    return undefined;
  },
});

/** RULE_OPTIONS are the words keepalived reads in a virtual_rules line. */
export const RULE_OPTIONS: Readonly<Record<string, LineOption<RuleDraft>>> = {
  from: { takesValue: true, apply: ruleAddress('from') },
  to: { takesValue: true, apply: ruleAddress('to') },
  table: { takesValue: true, apply: ruleTable },
  lookup: { takesValue: true, apply: ruleTable },
  priority: { takesValue: true, apply: rulePriority },
  preference: { takesValue: true, apply: rulePriority },
  pref: { takesValue: true, apply: rulePriority },
  order: { takesValue: true, apply: rulePriority },
  fwmark: {
    takesValue: true,
    apply(d, v) {
      const [mark, mask] = v.text.split('/');
      d.fwmark = uint(mark ?? '', 0xffffffff);
      if (mask !== undefined) d.fwmask = uint(mask, 0xffffffff);
      return d.fwmark === undefined || (mask !== undefined && d.fwmask === undefined)
        ? `fwmark '${v.text}' is not MARK[/MASK]`
        : undefined;
    },
  },
  iif: { takesValue: true, apply: ruleIif },
  dev: { takesValue: true, apply: ruleIif },
  oif: {
    takesValue: true,
    apply(d, v) {
      d.oif = v.text;
      return undefined;
    },
  },
  tos: { takesValue: true, apply: ruleTos },
  dsfield: { takesValue: true, apply: ruleTos },
  blackhole: ruleAction('blackhole'),
  unreachable: ruleAction('unreachable'),
  prohibit: ruleAction('prohibit'),
  not: { takesValue: false },
  realms: { takesValue: true },
  goto: { takesValue: true },
  nop: { takesValue: false },
  suppress_prefixlength: { takesValue: true },
  suppress_ifgroup: { takesValue: true },
  uidrange: { takesValue: true },
  l3mdev: { takesValue: false },
  protocol: { takesValue: true },
  ipproto: { takesValue: true },
  sport: { takesValue: true },
  dport: { takesValue: true },
  track_group: { takesValue: true },
  no_track: { takesValue: false },
};

/** walkLine applies a line's option words in order; false when the line must be skipped (reported). */
function walkLine<T>(
  ctx: BuildContext,
  line: Statement,
  words: readonly Word[],
  options: Readonly<Record<string, LineOption<T>>>,
  target: T,
  what: string,
  onOther: (w: Word) => string | undefined,
): boolean {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const option = Object.hasOwn(options, w.text) ? options[w.text] : undefined;
    let problem: string | undefined;
    if (option === undefined) problem = onOther(w);
    else {
      const value = option.takesValue ? words[++i] : w;
      if (value === undefined) problem = `'${w.text}' needs a value`;
      else if (option.apply === undefined) notSupported(ctx, w, what);
      else problem = option.apply(target, value);
    }
    if (problem !== undefined) {
      ctx.sink.warning(w.pos, 'invalid-value', `${what} at ${line.keyword.text}: ${problem}; line skipped`);
      return false;
    }
  }
  return true;
}

/** readVirtualRoute reads one virtual_routes line; undefined when it is skipped (reported). */
export function readVirtualRoute(ctx: BuildContext, line: Statement): VirtualRoute | undefined {
  const d: RouteDraft = { type: 'unicast', pos: line.keyword.pos };
  const words = [line.keyword, ...line.args];
  const ok = walkLine(ctx, line, words, ROUTE_OPTIONS, d, 'virtual_routes', (w) => {
    if ((ROUTE_TYPES as readonly string[]).includes(w.text)) {
      d.type = w.text as RouteType;
      return undefined;
    }
    if (w.text === 'to') return undefined;
    if (d.dst !== undefined) return `unknown word '${w.text}'`;
    if (w.text === 'default') {
      d.dst = 'default';
      d.dstPrefixLength = 0;
      return undefined;
    }
    const p = parseAddressPrefix(w.text);
    if ('reason' in p) return `destination '${w.text}': ${p.reason}`;
    d.dst = p.address;
    d.dstPrefixLength = p.prefixLength ?? (p.family === 'inet' ? 32 : 128);
    return family(d, p.family);
  });
  if (!ok) return undefined;
  if (d.dst === undefined) {
    ctx.sink.warning(line.keyword.pos, 'invalid-value', 'virtual_routes line without a destination; skipped');
    return undefined;
  }
  d.family ??= 'inet';
  if (d.dst === 'default') d.dst = d.family === 'inet' ? '0.0.0.0' : '::';
  d.protocol ??= RTPROT_KEEPALIVED;
  return d as VirtualRoute;
}

/** readVirtualRule reads one virtual_rules line; `fallbackFamily` applies when it names no address. */
export function readVirtualRule(
  ctx: BuildContext,
  line: Statement,
  fallbackFamily: AddressFamily,
): VirtualRule | undefined {
  const d: RuleDraft = { action: 'table', pos: line.keyword.pos };
  const words = [line.keyword, ...line.args];
  const ok = walkLine(ctx, line, words, RULE_OPTIONS, d, 'virtual_rules', (w) => `unknown word '${w.text}'`);
  if (!ok) return undefined;
  if (d.action === 'table' && d.table === undefined) {
    ctx.sink.warning(
      line.keyword.pos,
      'invalid-value',
      'virtual_rules line without table/lookup or an action; skipped',
    );
    return undefined;
  }
  d.family ??= fallbackFamily;
  return d as VirtualRule;
}
