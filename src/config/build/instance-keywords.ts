/**
 * The vrrp_instance keyword table (keepalived.conf(5) "VRRP instance(s)"): each handler reads
 * one statement into the InstanceDraft. A keyword keepalived acts on and keepvip does not is
 * reported `not supported by keepvip` at its word (here, or through UNSUPPORTED_INSTANCE).
 */
import type { NotifyCommands } from '../model.js';
import type { InstanceDraft } from './instance-draft.js';
import { readTrackList } from './track-refs.js';
import {
  type Handler,
  outOfRange,
  parseIntegerText,
  parseIpAddress,
  readBool,
  readCommand,
  readInteger,
  readSecondsMs,
  requireArg,
} from './values.js';
import { readVip } from './vip.js';

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

/** INSTANCE_KEYWORDS are the vrrp_instance keywords keepvip reads (the keyword walk test walks them). */
export const INSTANCE_KEYWORDS: Readonly<Record<string, Handler<InstanceDraft>>> = {
  lvs_sync_daemon_interface(ctx, st, d) {
    // 1.x form of global lvs_sync_daemon; applied against the globals in ./vrrp-instance.ts.
    if (st.args[0] === undefined) {
      ctx.sink.warning(
        st.keyword.pos,
        'missing-argument',
        'lvs_sync_daemon_interface needs an interface; ignored',
      );
      return;
    }
    d.lvsSyncInterface = st;
  },
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
        if (w?.text === 'PASS' || w?.text === 'AH') {
          d.auth.type = w.text;
          d.auth.typeWord = w;
        } else
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
    // One peer per line: `ADDR [min_ttl N] [max_ttl N]` (keepalived 2.2.7 vrrp_parser.c); an
    // advert from the peer whose TTL / hop limit is outside the window is dropped.
    for (const line of st.block ?? []) {
      const ip = parseIpAddress(line.keyword.text);
      if (ip === undefined)
        ctx.sink.warning(
          line.keyword.pos,
          'invalid-address',
          `unicast_peer '${line.keyword.text}' is not an IP address; peer skipped`,
        );
      else d.unicastPeers.push(ip.address);
      const ttl = { min: 0, max: 255 };
      let windowed = false;
      for (let i = 0; i < line.args.length; i++) {
        const opt = line.args[i]!;
        if (opt.text === 'min_ttl' || opt.text === 'max_ttl') {
          const value = line.args[++i];
          const n = value === undefined ? undefined : parseIntegerText(value.text);
          if (n === undefined || n < 0 || n > 255) {
            // keepalived: "Invalid min_ttl/max_ttl X specified for unicast peer Y - ignoring"
            ctx.sink.warning(
              (value ?? opt).pos,
              'value-range',
              `unicast_peer ${line.keyword.text}: ${opt.text} '${value?.text ?? ''}' outside 0..255; ignored`,
            );
            continue;
          }
          ttl[opt.text === 'min_ttl' ? 'min' : 'max'] = n;
          windowed = true;
        } else {
          // keepalived 1.x style: several addresses on one line.
          const more = parseIpAddress(opt.text);
          if (more === undefined)
            ctx.sink.warning(
              opt.pos,
              'unknown-keyword',
              `unknown word '${opt.text}' after a unicast peer; ignored`,
            );
          else d.unicastPeers.push(more.address);
        }
      }
      if (windowed && ip !== undefined) {
        if (ttl.min > ttl.max)
          ctx.sink.warning(
            line.keyword.pos,
            'value-range',
            `unicast_peer ${line.keyword.text}: min_ttl ${ttl.min} above max_ttl ${ttl.max}; every advert from it is dropped`,
          );
        d.unicastPeerTtl[ip.address] = ttl;
      }
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
    // As keepalived 2.2.7: a MASTER drops traffic to its VIPs with nftables (kernel/nftables.ts).
    d.accept = false;
  },
  use_vmac(ctx, st, d) {
    // keepalived 2.2.7 (vrrp_vmac_handler): a macvlan named NAME, or vrrp.VRID (kernel/vmac.ts).
    const w = st.args[0];
    if (w !== undefined && (Buffer.byteLength(w.text) > 15 || !/^[A-Za-z0-9_.:-]+$/.test(w.text))) {
      ctx.sink.warning(
        w.pos,
        'vmac-name',
        `use_vmac name '${w.text}' is not a valid interface name; using vrrp.VRID`,
      );
      d.useVmac = '';
    } else d.useVmac = w?.text ?? '';
  },
  vmac_xmit_base(_ctx, _st, d) {
    d.vmacXmitBase = true;
  },
  dont_track_primary(_ctx, _st, d) {
    d.dontTrackPrimary = true;
  },
  promote_secondaries(_ctx, _st, d) {
    d.promoteSecondaries = true;
  },
  virtual_routes(_ctx, st, d) {
    d.routeLines.push(...(st.block ?? []));
  },
  virtual_rules(_ctx, st, d) {
    d.ruleLines.push(...(st.block ?? []));
  },
};
