/**
 * global_defs: keepalived's process-wide settings, with keepalived 2.2.7's defaults
 * (keepalived.conf(5), "Global definitions"; global_data.c init_global_data).
 */
import type { Statement } from '../ast.js';
import type { GarpSettings, GlobalDefs } from '../model.js';
import { UNSUPPORTED_GLOBAL } from './keywords.js';
import { lvsGlobalHandlers } from './lvs-globals.js';
import { processGlobalHandlers } from './process-globals.js';
import {
  type BuildContext,
  type Handler,
  listWords,
  notSupported,
  parseIpAddress,
  readBool,
  readCommand,
  readInteger,
  readScriptUser,
  readSecondsMs,
  requireArg,
  walkBlock,
  outOfRange,
} from './values.js';

/** GlobalDraft is global_defs while it is read: the lower-priority GARP settings stay unset until the end. */
interface GlobalDraft {
  defs: GlobalDefs;
  lowerPrioDelaySet: boolean;
  lowerPrioRepeatSet: boolean;
  fifoScript: { notify?: string; vrrp?: string };
  /** routerIdSet: router_id was written (it wins over the 1.x lvs_id wherever that stands). */
  routerIdSet: boolean;
  /** lvsId is the 1.x `lvs_id NAME` (keepalived 1.x's router_id), applied at the end unless router_id is given. */
  lvsId?: Statement;
}

/** defaultGarp is keepalived's GARP defaults: 5 s / 5 messages after becoming master, no refresh. */
export function defaultGarp(): GarpSettings {
  return {
    masterDelayMs: 5000,
    masterRepeat: 5,
    masterRefreshMs: 0,
    masterRefreshRepeat: 1,
    lowerPrioDelayMs: 5000,
    lowerPrioRepeat: 5,
    intervalMs: 0,
  };
}

/** defaultGlobalDefs is global_defs when the file has none. */
export function defaultGlobalDefs(hostname: string): GlobalDefs {
  return {
    routerId: hostname,
    notificationEmail: [],
    notificationEmailFrom: `keepalived@${hostname}`,
    smtpHeloName: hostname,
    smtpConnectTimeoutMs: 30_000,
    vrrpMcastGroup4: '224.0.0.18',
    vrrpMcastGroup6: 'ff02::12',
    vrrpVersion: 2,
    garp: defaultGarp(),
    gnaIntervalMs: 0,
    vrrpStrict: false,
    enableScriptSecurity: false,
    notifyScriptTimeoutMs: 15_000,
    vrrpHandoff: 'fast',
  };
}

const garpDelay = { minS: 0, maxS: 86_400 };
const garpCount = { min: 0, max: 10_000 };

/** notSupportedInGlobals reports a global_defs keyword keepvip reads but does not act on. */
const notSupportedInGlobals: Handler<GlobalDraft> = (ctx, st) => notSupported(ctx, st.keyword, 'global_defs');

const word0 = (ctx: BuildContext, st: Statement, what: string): string | undefined =>
  requireArg(ctx, st, 0, what)?.text;

const handlers: Record<string, Handler<GlobalDraft>> = {
  ...lvsGlobalHandlers,
  ...processGlobalHandlers,
  router_id(ctx, st, d) {
    const v = word0(ctx, st, 'a router id');
    if (v === undefined) return;
    d.defs.routerId = v;
    d.routerIdSet = true;
  },
  lvs_id(ctx, st, d) {
    // keepalived 1.x's name of router_id; 2.2.7 says "Unknown keyword 'lvs_id'" and keeps the
    // host name, which silently changes the router id mails and notify_fifo lines carry. keepvip
    // keeps the 1.x meaning and says so (read at the end: router_id wins wherever it stands).
    if (st.args[0] === undefined) {
      ctx.sink.warning(st.keyword.pos, 'missing-argument', 'lvs_id needs a name; ignored');
      return;
    }
    d.lvsId = st;
  },
  notification_email(_ctx, st, d) {
    d.defs.notificationEmail.push(...listWords(st).map((w) => w.text));
  },
  notification_email_from(ctx, st, d) {
    const v = word0(ctx, st, 'an e-mail address');
    if (v !== undefined) d.defs.notificationEmailFrom = v;
  },
  smtp_server(ctx, st, d) {
    const host = requireArg(ctx, st, 0, 'a host');
    if (host === undefined) return;
    const port =
      st.args[1] === undefined
        ? 25
        : readInteger(
            ctx,
            st,
            { min: 1, max: 65_535 },
            { severity: 'warning', code: 'port-range', fallback: 'using 25' },
            1,
          );
    d.defs.smtpServer = { host: host.text, port: port ?? 25 };
  },
  smtp_helo_name(ctx, st, d) {
    const v = word0(ctx, st, 'a name');
    if (v !== undefined) d.defs.smtpHeloName = v;
  },
  smtp_connect_timeout(ctx, st, d) {
    const ms = readSecondsMs(ctx, st, { minS: 1, maxS: 3600 }, outOfRange('using 30 s'));
    if (ms !== undefined) d.defs.smtpConnectTimeoutMs = ms;
  },
  smtp_alert(ctx, st, d) {
    d.defs.smtpAlert = readBool(ctx, st);
  },
  // keepvip mails VRRP events under smtp_alert alone; checker mails do not exist.
  smtp_alert_vrrp: notSupportedInGlobals,
  smtp_alert_checker: notSupportedInGlobals,
  vrrp_mcast_group4(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'an IPv4 multicast address');
    if (w === undefined) return;
    const ip = parseIpAddress(w.text);
    // keepalived: "vrrp_mcast_group4 [X] is not multicast. Skipping" keeps 224.0.0.18.
    if (ip?.family !== 'inet' || !isIpv4Multicast(ip.address)) {
      ctx.sink.warning(
        w.pos,
        'mcast-group',
        `vrrp_mcast_group4 '${w.text}' is not an IPv4 multicast address; using 224.0.0.18`,
      );
      return;
    }
    d.defs.vrrpMcastGroup4 = ip.address;
  },
  vrrp_mcast_group6(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'an IPv6 multicast address');
    if (w === undefined) return;
    const ip = parseIpAddress(w.text);
    if (ip?.family !== 'inet6' || !ip.address.startsWith('ff')) {
      ctx.sink.warning(
        w.pos,
        'mcast-group',
        `vrrp_mcast_group6 '${w.text}' is not an IPv6 multicast address; using ff02::12`,
      );
      return;
    }
    d.defs.vrrpMcastGroup6 = ip.address;
  },
  vrrp_version(ctx, st, d) {
    const v = readInteger(
      ctx,
      st,
      { min: 2, max: 3 },
      { severity: 'warning', code: 'version', fallback: 'using 2' },
    );
    if (v === 2 || v === 3) d.defs.vrrpVersion = v;
  },
  vrrp_garp_master_delay(ctx, st, d) {
    const ms = readSecondsMs(ctx, st, garpDelay, outOfRange('using 5 s'));
    if (ms !== undefined) d.defs.garp.masterDelayMs = ms;
  },
  vrrp_garp_master_repeat(ctx, st, d) {
    const n = readInteger(ctx, st, garpCount, outOfRange('using 5'));
    if (n !== undefined) d.defs.garp.masterRepeat = n;
  },
  vrrp_garp_master_refresh(ctx, st, d) {
    const ms = readSecondsMs(ctx, st, garpDelay, outOfRange('no refresh'));
    if (ms !== undefined) d.defs.garp.masterRefreshMs = ms;
  },
  vrrp_garp_master_refresh_repeat(ctx, st, d) {
    const n = readInteger(ctx, st, garpCount, outOfRange('using 1'));
    if (n !== undefined) d.defs.garp.masterRefreshRepeat = n;
  },
  vrrp_garp_lower_prio_delay(ctx, st, d) {
    const ms = readSecondsMs(ctx, st, garpDelay, outOfRange('ignored'));
    if (ms === undefined) return;
    d.defs.garp.lowerPrioDelayMs = ms;
    d.lowerPrioDelaySet = true;
  },
  vrrp_garp_lower_prio_repeat(ctx, st, d) {
    const n = readInteger(ctx, st, garpCount, outOfRange('ignored'));
    if (n === undefined) return;
    d.defs.garp.lowerPrioRepeat = n;
    d.lowerPrioRepeatSet = true;
  },
  vrrp_garp_interval(ctx, st, d) {
    const ms = readSecondsMs(ctx, st, { minS: 0, maxS: 1 }, outOfRange('using 0'));
    if (ms !== undefined) d.defs.garp.intervalMs = ms;
  },
  vrrp_gna_interval(ctx, st, d) {
    const ms = readSecondsMs(ctx, st, { minS: 0, maxS: 1 }, outOfRange('using 0'));
    if (ms !== undefined) d.defs.gnaIntervalMs = ms;
  },
  vrrp_strict(_ctx, _st, d) {
    // Strict mode's configuration rules (./vrrp-instance.ts) and no_accept by default, enforced
    // with keepalived's nftables rules (kernel/nftables.ts).
    d.defs.vrrpStrict = true;
  },
  script_user(ctx, st, d) {
    if (requireArg(ctx, st, 0, 'a user name') !== undefined) d.defs.scriptUser = readScriptUser(st, 0);
  },
  enable_script_security(_ctx, _st, d) {
    d.defs.enableScriptSecurity = true;
  },
  vrrp_handoff(ctx, st, d) {
    // keepvip: `fast` (default) or `rfc` hand-off timing (ARCHITECTURE.md "Hand-off").
    const v = word0(ctx, st, 'fast or rfc');
    if (v === 'fast' || v === 'rfc') d.defs.vrrpHandoff = v;
    else if (v !== undefined)
      ctx.sink.warning(
        st.args[0]!.pos,
        'invalid-value',
        `vrrp_handoff '${v}' is not fast or rfc; using fast`,
      );
  },
  default_interface(ctx, st, d) {
    const v = word0(ctx, st, 'an interface name');
    if (v !== undefined) d.defs.defaultInterface = v;
  },
  notify_fifo(ctx, st, d) {
    const v = word0(ctx, st, 'a FIFO path');
    if (v !== undefined) d.defs.notifyFifo = { path: v };
  },
  notify_fifo_script(ctx, st, d) {
    d.fifoScript.notify = readCommand(ctx, st);
  },
  vrrp_notify_fifo(ctx, st, d) {
    const v = word0(ctx, st, 'a FIFO path');
    if (v !== undefined) d.defs.vrrpNotifyFifo = { path: v };
  },
  vrrp_notify_fifo_script(ctx, st, d) {
    d.fifoScript.vrrp = readCommand(ctx, st);
  },
};

/** isIpv4Multicast is true for 224.0.0.0/4. */
export function isIpv4Multicast(address: string): boolean {
  const first = Number(address.split('.')[0]);
  return first >= 224 && first <= 239;
}

/** buildGlobalDefs reads every `global_defs` block (keepalived merges repeated blocks) into one GlobalDefs. */
export function buildGlobalDefs(ctx: BuildContext, blocks: readonly Statement[]): GlobalDefs {
  const draft: GlobalDraft = {
    defs: defaultGlobalDefs(ctx.hostname),
    lowerPrioDelaySet: false,
    lowerPrioRepeatSet: false,
    fifoScript: {},
    routerIdSet: false,
  };
  for (const st of blocks) {
    draft.defs.pos ??= st.keyword.pos;
    walkBlock(ctx, st.block, handlers, draft, 'global_defs', UNSUPPORTED_GLOBAL);
  }
  const { defs } = draft;
  if (draft.lvsId) {
    const name = draft.lvsId.args[0]!.text;
    const lead = `lvs_id is the keepalived 1.x name of 'router_id' (keepalived 2.2.7 says "Unknown keyword 'lvs_id'" and keeps the host name)`;
    ctx.sink.warning(
      draft.lvsId.keyword.pos,
      'deprecated-keyword',
      draft.routerIdSet
        ? `${lead}; ignored: router_id ${defs.routerId} is also given`
        : `${lead}; read as 'router_id ${name}'`,
    );
    if (!draft.routerIdSet) defs.routerId = name;
  }
  // keepalived.conf(5): vrrp_garp_lower_prio_delay/repeat default to vrrp_garp_master_delay/repeat.
  if (!draft.lowerPrioDelaySet) defs.garp.lowerPrioDelayMs = defs.garp.masterDelayMs;
  if (!draft.lowerPrioRepeatSet) defs.garp.lowerPrioRepeat = defs.garp.masterRepeat;
  if (defs.notifyFifo && draft.fifoScript.notify) defs.notifyFifo.script = draft.fifoScript.notify;
  if (defs.vrrpNotifyFifo && draft.fifoScript.vrrp) defs.vrrpNotifyFifo.script = draft.fifoScript.vrrp;
  return defs;
}
