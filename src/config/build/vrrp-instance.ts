/**
 * vrrp_instance NAME { ... } with keepalived 2.2.7's defaults and its completion rules
 * (vrrp.c vrrp_complete_instance): version from the family and vrrp_version, priority from
 * the state (MASTER without priority means 255, the address owner), advert_int rounding for
 * VRRPv2 and capping for VRRPv3, authentication dropped under VRRPv3, nopreempt cleared by
 * state MASTER. A missing interface or virtual_router_id makes keepalived refuse to start
 * ("pid N exited with permanent error CONFIG"), so those are errors; the rest are warnings.
 */
import type { SourcePos, Statement, Word } from '../ast.js';
import type {
  GarpSettings,
  GlobalDefs,
  NotifyCommands,
  TrackRef,
  VirtualIpAddress,
  VrrpInstance,
} from '../model.js';
import { UNSUPPORTED_INSTANCE } from './keywords.js';
import {
  type BuildContext,
  type Handler,
  listWords,
  parseAddressPrefix,
  parseIpAddress,
  parseIntegerText,
  readBool,
  readCommand,
  readInteger,
  readSecondsMs,
  requireArg,
  walkBlock,
  outOfRange,
} from './values.js';

/** InstanceDraft is an instance while it is read: what the file did not set stays undefined. */
interface InstanceDraft {
  name: string;
  pos: SourcePos;
  state?: 'MASTER' | 'BACKUP';
  interface?: string;
  vrid?: number;
  /** vridBad: virtual_router_id was written but invalid (already reported). */
  vridBad: boolean;
  priority?: number;
  advertS?: number;
  advertWord?: Word;
  version?: 2 | 3;
  versionWord?: Word;
  auth: { type?: 'PASS' | 'AH'; password?: string; pos?: SourcePos };
  vips: VirtualIpAddress[];
  excluded: VirtualIpAddress[];
  trackScripts: TrackRef[];
  trackInterfaces: TrackRef[];
  trackFiles: TrackRef[];
  trackProcesses: TrackRef[];
  handoff?: 'fast' | 'rfc';
  nopreempt?: Word;
  preemptDelayMs: number;
  unicastSrcIp?: string;
  unicastPeers: string[];
  unicastWord?: Word;
  mcastSrcIp?: string;
  notify: NotifyCommands;
  smtpAlert?: boolean;
  garp: Partial<GarpSettings>;
  accept?: boolean;
  useVmac?: string;
  dontTrackPrimary: boolean;
}

/** readTrackList reads a track_* block: `NAME [weight W [reverse]]` per line. */
export function readTrackList(ctx: BuildContext, st: Statement, weightMax: number): TrackRef[] {
  const refs: TrackRef[] = [];
  for (const item of st.block ?? []) {
    const ref: TrackRef = { name: item.keyword.text, pos: item.keyword.pos };
    const [kw, value, rev] = item.args;
    if (kw !== undefined) {
      const n = value === undefined ? undefined : parseIntegerText(value.text);
      if (kw.text !== 'weight' || value === undefined) {
        ctx.sink.warning(
          kw.pos,
          'unknown-keyword',
          `unknown word '${kw.text}' after ${item.keyword.text} (expected 'weight N [reverse]'); ignored`,
        );
      } else if (n === undefined || n < -weightMax || n > weightMax) {
        // keepalived: "track script X: weight must be between [-253..253] inclusive, ignoring..." drops the entry.
        ctx.sink.warning(
          value.pos,
          'weight-range',
          `${st.keyword.text} ${item.keyword.text}: weight '${value.text}' outside -${weightMax}..${weightMax}; entry ignored (as keepalived does)`,
        );
        continue;
      } else {
        ref.weight = n;
        if (rev !== undefined) {
          if (rev.text === 'reverse') ref.weightReverse = true;
          else
            ctx.sink.warning(
              rev.pos,
              'unknown-keyword',
              `unknown word '${rev.text}' after weight (expected 'reverse'); ignored`,
            );
        }
      }
    }
    refs.push(ref);
  }
  return refs;
}

/** readVip reads one `IP[/prefix] [brd IP] [dev IF] [scope S] [label L]` line; undefined when it is skipped. */
export function readVip(ctx: BuildContext, line: Statement): VirtualIpAddress | undefined {
  const parsed = parseAddressPrefix(line.keyword.text);
  let base: { address: string; family: VirtualIpAddress['family']; prefixLength?: number };
  if ('reason' in parsed) {
    if (parsed.fallback === undefined) {
      // keepalived: "VRRP parsed invalid IP X. skipping IP..."
      ctx.sink.warning(
        line.keyword.pos,
        'invalid-address',
        `virtual address '${line.keyword.text}': ${parsed.reason}; address skipped`,
      );
      return undefined;
    }
    // keepalived: "Invalid address prefix len 33 for address X - using 32"
    ctx.sink.warning(
      line.keyword.pos,
      'invalid-prefix',
      `virtual address '${line.keyword.text}': ${parsed.reason}; using /${parsed.fallback.prefixLength}`,
    );
    base = parsed.fallback;
  } else base = parsed;
  const vip: VirtualIpAddress = {
    address: base.address,
    family: base.family,
    prefixLength: base.prefixLength ?? (base.family === 'inet' ? 32 : 128),
    pos: line.keyword.pos,
  };
  const args = line.args;
  for (let i = 0; i < args.length; i++) {
    const opt = args[i]!;
    const value = args[i + 1];
    const needsValue = ['brd', 'broadcast', 'dev', 'scope', 'label', 'peer', 'preferred_lft'].includes(
      opt.text,
    );
    if (needsValue && value === undefined) {
      ctx.sink.warning(
        opt.pos,
        'missing-argument',
        `virtual address option '${opt.text}' needs a value; ignored`,
      );
      break;
    }
    switch (opt.text) {
      case 'brd':
      case 'broadcast': {
        const brd = parseIpAddress(value!.text);
        if (brd?.family !== 'inet' || vip.family !== 'inet') {
          // keepalived: "VRRP is trying to assign invalid broadcast X. skipping VIP..."
          ctx.sink.warning(
            value!.pos,
            'invalid-address',
            `invalid broadcast '${value!.text}' for ${vip.address}; address skipped`,
          );
          return undefined;
        }
        vip.brd = brd.address;
        i++;
        break;
      }
      case 'dev':
        vip.dev = value!.text;
        i++;
        break;
      case 'scope':
        if (!/^(global|host|link|site|nowhere|\d+)$/.test(value!.text)) {
          ctx.sink.warning(value!.pos, 'invalid-scope', `invalid scope '${value!.text}'; using global`);
        } else vip.scope = value!.text;
        i++;
        break;
      case 'label':
        vip.label = value!.text;
        i++;
        break;
      case 'peer':
      case 'preferred_lft':
        ctx.sink.warning(
          opt.pos,
          'unsupported-keyword',
          `virtual address option '${opt.text}' is not supported by keepvip; ignored`,
        );
        i++;
        break;
      case 'home':
      case '-nodad':
      case 'nodad':
      case 'mngtmpaddr':
      case 'noprefixroute':
      case 'autojoin':
      case 'no_track':
      case 'use_vmac':
        ctx.sink.warning(
          opt.pos,
          'unsupported-keyword',
          `virtual address option '${opt.text}' is not supported by keepvip; ignored`,
        );
        break;
      default:
        ctx.sink.warning(opt.pos, 'unknown-keyword', `unknown virtual address option '${opt.text}'; ignored`);
    }
  }
  return vip;
}

const GARP_RANGE_S = { minS: 0, maxS: 86_400 };
const COUNT_RANGE = { min: 0, max: 10_000 };

const setCommand =
  (key: keyof NotifyCommands): Handler<InstanceDraft> =>
  (ctx, st, d) => {
    const cmd = readCommand(ctx, st);
    if (cmd !== undefined) d.notify[key] = cmd;
  };

const garpSeconds =
  (key: 'masterDelayMs' | 'masterRefreshMs' | 'lowerPrioDelayMs'): Handler<InstanceDraft> =>
  (ctx, st, d) => {
    const ms = readSecondsMs(ctx, st, GARP_RANGE_S, outOfRange('using the global setting'));
    if (ms !== undefined) d.garp[key] = ms;
  };

const garpCount =
  (key: 'masterRepeat' | 'masterRefreshRepeat' | 'lowerPrioRepeat'): Handler<InstanceDraft> =>
  (ctx, st, d) => {
    const n = readInteger(ctx, st, COUNT_RANGE, outOfRange('using the global setting'));
    if (n !== undefined) d.garp[key] = n;
  };

const handlers: Record<string, Handler<InstanceDraft>> = {
  state(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'MASTER or BACKUP');
    if (w === undefined) return;
    if (w.text === 'MASTER' || w.text === 'BACKUP') d.state = w.text;
    // keepalived: "(VI_1) unknown state 'PRIMARY', defaulting to BACKUP"
    else
      ctx.sink.warning(
        w.pos,
        'invalid-state',
        `unknown state '${w.text}' (expected MASTER or BACKUP); using BACKUP`,
      );
    if (w.text !== 'MASTER') d.state = 'BACKUP';
  },
  interface(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'an interface name');
    if (w !== undefined) d.interface = w.text;
  },
  virtual_router_id(ctx, st, d) {
    d.vrid = readInteger(
      ctx,
      st,
      { min: 1, max: 255 },
      { severity: 'error', code: 'vrid-range', fallback: 'keepalived refuses to start with it' },
    );
    d.vridBad = d.vrid === undefined;
  },
  priority(ctx, st, d) {
    // keepalived: "Priority not valid! must be between 1 & 255. Using default 100"
    const p = readInteger(
      ctx,
      st,
      { min: 1, max: 255 },
      { severity: 'warning', code: 'priority-range', fallback: 'using 100' },
    );
    d.priority = p ?? 100;
  },
  advert_int(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'seconds');
    if (w === undefined) return;
    // keepalived reads [0.01, 255] and otherwise "Advert interval (X) not valid! Must be > 0 - ignoring".
    const ms = readSecondsMs(
      ctx,
      st,
      { minS: 0.01, maxS: 255 },
      { severity: 'warning', code: 'advert-int-range', fallback: 'using 1 s' },
    );
    if (ms === undefined) return;
    d.advertS = ms / 1000;
    d.advertWord = w;
  },
  version(ctx, st, d) {
    const v = readInteger(
      ctx,
      st,
      { min: 2, max: 3 },
      { severity: 'warning', code: 'version', fallback: 'using the global vrrp_version' },
    );
    if (v === 2 || v === 3) {
      d.version = v;
      d.versionWord = st.args[0];
    }
  },
  authentication(ctx, st, d) {
    d.auth.pos = st.keyword.pos;
    for (const item of st.block ?? []) {
      const w = item.args[0];
      if (item.keyword.text === 'auth_type') {
        if (w?.text === 'PASS' || w?.text === 'AH') d.auth.type = w.text;
        else
          ctx.sink.warning(
            (w ?? item.keyword).pos,
            'auth-type',
            `unknown auth_type '${w?.text ?? ''}' (expected PASS or AH); authentication ignored`,
          );
      } else if (item.keyword.text === 'auth_pass') {
        if (w === undefined) {
          ctx.sink.warning(item.keyword.pos, 'missing-argument', 'auth_pass needs a password');
          continue;
        }
        // RFC 2338 section 5.3.6: the simple text password is 8 octets; keepalived truncates.
        if (Buffer.byteLength(w.text) > 8) {
          ctx.sink.warning(
            w.pos,
            'auth-pass-truncated',
            `auth_pass '${w.text}' is longer than 8 characters; truncated to '${Buffer.from(w.text).subarray(0, 8).toString()}' (as keepalived does)`,
          );
        }
        d.auth.password = Buffer.from(w.text).subarray(0, 8).toString();
      } else {
        ctx.sink.warning(
          item.keyword.pos,
          'unknown-keyword',
          `unknown keyword '${item.keyword.text}' in authentication; ignored`,
        );
      }
    }
  },
  virtual_ipaddress(ctx, st, d) {
    for (const line of st.block ?? []) {
      const vip = readVip(ctx, line);
      if (vip) d.vips.push(vip);
    }
  },
  virtual_ipaddress_excluded(ctx, st, d) {
    for (const line of st.block ?? []) {
      const vip = readVip(ctx, line);
      if (vip) d.excluded.push(vip);
    }
  },
  track_script(ctx, st, d) {
    d.trackScripts.push(...readTrackList(ctx, st, 253));
  },
  track_interface(ctx, st, d) {
    d.trackInterfaces.push(...readTrackList(ctx, st, 254));
  },
  track_file(ctx, st, d) {
    d.trackFiles.push(...readTrackList(ctx, st, 254));
  },
  track_process(ctx, st, d) {
    d.trackProcesses.push(...readTrackList(ctx, st, 254));
  },
  handoff(ctx, st, d) {
    // keepvip: per-instance override of global_defs vrrp_handoff (see ARCHITECTURE.md "Hand-off").
    const w = requireArg(ctx, st, 0, 'fast or rfc');
    if (w === undefined) return;
    if (w.text === 'fast' || w.text === 'rfc') d.handoff = w.text;
    else
      ctx.sink.warning(
        w.pos,
        'invalid-value',
        `handoff '${w.text}' is not fast or rfc; using the global vrrp_handoff`,
      );
  },
  nopreempt(_ctx, st, d) {
    d.nopreempt = st.keyword;
  },
  no_preempt(_ctx, st, d) {
    d.nopreempt = st.keyword;
  },
  preempt(_ctx, _st, d) {
    d.nopreempt = undefined;
  },
  preempt_delay(ctx, st, d) {
    // keepalived: "Preempt_delay not valid! must be between 0-1000"
    const ms = readSecondsMs(ctx, st, { minS: 0, maxS: 1000 }, outOfRange('using 0'));
    if (ms !== undefined) d.preemptDelayMs = ms;
  },
  unicast_src_ip(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'an address');
    if (w === undefined) return;
    d.unicastWord ??= st.keyword;
    const ip = parseIpAddress(w.text);
    if (ip === undefined)
      ctx.sink.warning(w.pos, 'invalid-address', `unicast_src_ip '${w.text}' is not an IP address; ignored`);
    else d.unicastSrcIp = ip.address;
  },
  unicast_peer(ctx, st, d) {
    d.unicastWord ??= st.keyword;
    for (const w of listWords(st)) {
      // A peer line may carry options (`min_ttl`, `max_ttl`); keep only addresses.
      if (/^(min_ttl|max_ttl|\d+)$/.test(w.text) && !w.text.includes('.')) continue;
      const ip = parseIpAddress(w.text);
      if (ip === undefined)
        ctx.sink.warning(
          w.pos,
          'invalid-address',
          `unicast_peer '${w.text}' is not an IP address; peer skipped`,
        );
      else d.unicastPeers.push(ip.address);
    }
  },
  mcast_src_ip(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'an address');
    if (w === undefined) return;
    const ip = parseIpAddress(w.text);
    if (ip === undefined)
      ctx.sink.warning(w.pos, 'invalid-address', `mcast_src_ip '${w.text}' is not an IP address; ignored`);
    else d.mcastSrcIp = ip.address;
  },
  notify_master: setCommand('master'),
  notify_backup: setCommand('backup'),
  notify_fault: setCommand('fault'),
  notify_stop: setCommand('stop'),
  notify: setCommand('any'),
  smtp_alert(ctx, st, d) {
    d.smtpAlert = readBool(ctx, st);
  },
  garp_master_delay: garpSeconds('masterDelayMs'),
  garp_master_refresh: garpSeconds('masterRefreshMs'),
  garp_lower_prio_delay: garpSeconds('lowerPrioDelayMs'),
  garp_master_repeat: garpCount('masterRepeat'),
  garp_master_refresh_repeat: garpCount('masterRefreshRepeat'),
  garp_lower_prio_repeat: garpCount('lowerPrioRepeat'),
  accept(_ctx, _st, d) {
    d.accept = true;
  },
  no_accept(_ctx, _st, d) {
    d.accept = false;
  },
  use_vmac(_ctx, st, d) {
    d.useVmac = st.args[0]?.text ?? '';
  },
  dont_track_primary(_ctx, _st, d) {
    d.dontTrackPrimary = true;
  },
  promote_secondaries() {},
};

/** buildVrrpInstance reads one vrrp_instance block and completes it against the globals; undefined when keepalived would refuse it. */
export function buildVrrpInstance(
  ctx: BuildContext,
  st: Statement,
  globals: GlobalDefs,
): VrrpInstance | undefined {
  const nameWord = requireArg(ctx, st, 0, 'a name');
  if (nameWord === undefined) return undefined;
  const d: InstanceDraft = {
    name: nameWord.text,
    pos: st.keyword.pos,
    vridBad: false,
    auth: {},
    vips: [],
    excluded: [],
    trackScripts: [],
    trackInterfaces: [],
    trackFiles: [],
    trackProcesses: [],
    preemptDelayMs: 0,
    unicastPeers: [],
    notify: {},
    garp: {},
    dontTrackPrimary: false,
  };
  walkBlock(ctx, st.block, handlers, d, `vrrp_instance ${d.name}`, UNSUPPORTED_INSTANCE);
  return completeInstance(ctx, d, globals);
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
    trackScripts: d.trackScripts,
    trackInterfaces: d.trackInterfaces,
    trackFiles: d.trackFiles,
    trackProcesses: d.trackProcesses,
    nopreempt,
    preemptDelayMs,
    unicastPeers: d.unicastPeers,
    notify: d.notify,
    garp,
    accept: d.accept ?? !globals.vrrpStrict,
    dontTrackPrimary: d.dontTrackPrimary,
    pos: d.pos,
  };
  if (authentication) instance.authentication = authentication;
  if (d.unicastSrcIp !== undefined) instance.unicastSrcIp = d.unicastSrcIp;
  if (d.mcastSrcIp !== undefined) instance.mcastSrcIp = d.mcastSrcIp;
  if (d.smtpAlert !== undefined) instance.smtpAlert = d.smtpAlert;
  if (d.handoff !== undefined) instance.handoff = d.handoff;
  // keepalived names an unnamed VMAC interface vrrp.<VRID>.
  if (d.useVmac !== undefined) instance.useVmac = d.useVmac === '' ? `vrrp.${d.vrid}` : d.useVmac;
  return instance;
}
