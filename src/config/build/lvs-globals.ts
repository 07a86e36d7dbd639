/**
 * The LVS settings of global_defs (keepalived 2.2.7 global_parser.c): lvs_sync_daemon,
 * lvs_timeouts, lvs_flush, lvs_flush_on_stop, lvs_notify_fifo[_script], and keepvip's
 * lvs_keep_on_stop and real_server_setup (a DR real server's VIPs on lo); and the
 * `virtual_server_group NAME { IP[-LAST] [PORT] | fwmark N }` block (check_parser.c vsg_handler).
 */
import type { Statement } from '../ast.js';
import type { GlobalDefs, LvsGlobals, VirtualServerGroup, VirtualServerGroupEntry } from '../model.js';
import { type BuildContext, type Handler, parseIntegerText, parseIpAddress, requireArg } from './values.js';

/** defaultLvsGlobals are keepalived's defaults: no sync daemon, no flush, services removed one by one on stop. */
export function defaultLvsGlobals(): LvsGlobals {
  return { flush: false, flushOnStop: 'none' };
}

type Target = { defs: GlobalDefs };

const lvs = (d: Target): LvsGlobals => {
  d.defs.lvs ??= defaultLvsGlobals();
  return d.defs.lvs;
};

const LVS_MAX_TIMEOUT = 86_400 * 31;

/** lvsGlobalHandlers read the lvs_* keywords of global_defs into `defs.lvs`. */
export const lvsGlobalHandlers: Record<string, Handler<Target>> = {
  lvs_flush(_ctx, _st, d) {
    lvs(d).flush = true;
  },
  lvs_keep_on_stop(_ctx, _st, d) {
    // keepvip: keepalived always removes its services on stop; this leaves them for the next start to adopt.
    lvs(d).keepOnStop = true;
  },
  real_server_setup(ctx, st, d) {
    // keepvip: `real_server_setup VIP...` or a block of VIPs; what `keepvip realserver up` does, at start.
    const words = [...st.args, ...(st.block ?? []).flatMap((l) => [l.keyword, ...l.args])];
    const l = lvs(d);
    const setup = l.realServerSetup ?? { vips: [], pos: st.keyword.pos };
    for (const w of words) {
      const ip = parseIpAddress(w.text.replace(/\/(32|128)$/, ''));
      if (ip === undefined) {
        ctx.sink.warning(
          w.pos,
          'invalid-address',
          `real_server_setup: '${w.text}' is not an IP address; ignored`,
        );
        continue;
      }
      if (!setup.vips.includes(ip.address)) setup.vips.push(ip.address);
    }
    if (setup.vips.length === 0) {
      ctx.sink.warning(
        st.keyword.pos,
        'missing-argument',
        'real_server_setup needs at least one VIP; ignored',
      );
      return;
    }
    l.realServerSetup = setup;
  },
  lvs_flush_on_stop(ctx, st, d) {
    const w = st.args[0];
    if (w === undefined) lvs(d).flushOnStop = 'full';
    else if (w.text === 'VS') lvs(d).flushOnStop = 'vs';
    else ctx.sink.warning(w.pos, 'invalid-value', `unknown lvs_flush_on_stop type ${w.text}; ignored`);
  },
  lvs_timeouts(ctx, st, d) {
    if (st.args.length < 2) {
      ctx.sink.warning(
        st.keyword.pos,
        'missing-argument',
        'lvs_timeouts requires at least one option; ignored',
      );
      return;
    }
    const t = lvs(d).timeouts ?? { tcp: 0, tcpFin: 0, udp: 0 };
    const keys: Record<string, 'tcp' | 'tcpFin' | 'udp'> = { tcp: 'tcp', tcpfin: 'tcpFin', udp: 'udp' };
    for (let i = 0; i < st.args.length; i++) {
      const w = st.args[i]!;
      const key = keys[w.text];
      if (key === undefined) {
        ctx.sink.warning(w.pos, 'invalid-value', `unknown option ${w.text} for lvs_timeouts; ignored`);
        continue;
      }
      const v = st.args[i + 1];
      const n = v === undefined ? undefined : parseIntegerText(v.text);
      if (n === undefined || n < 0 || n > LVS_MAX_TIMEOUT) {
        ctx.sink.warning(
          (v ?? w).pos,
          'value-range',
          `invalid lvs_timeouts ${w.text} (0..${LVS_MAX_TIMEOUT}); ignored`,
        );
      } else t[key] = n;
      i++;
    }
    lvs(d).timeouts = t;
  },
  lvs_sync_daemon(ctx, st, d) {
    const l = lvs(d);
    if (l.syncDaemon) {
      ctx.sink.warning(st.keyword.pos, 'duplicate', 'lvs_sync_daemon has already been specified; ignored');
      return;
    }
    const ifw = requireArg(ctx, st, 0, 'an interface');
    if (ifw === undefined) return;
    const sd: NonNullable<LvsGlobals['syncDaemon']> = { ifname: ifw.text, pos: st.keyword.pos };
    const num = (i: number, min: number, max: number): number | undefined => {
      const w = st.args[i + 1];
      const n = w === undefined ? undefined : parseIntegerText(w.text);
      if (n === undefined || n < min || n > max) {
        ctx.sink.warning(
          (w ?? st.args[i]!).pos,
          'value-range',
          `lvs_sync_daemon ${st.args[i]!.text} needs ${min}..${max}; ignored`,
        );
        return undefined;
      }
      return n;
    };
    for (let i = 1; i < st.args.length; i++) {
      const w = st.args[i]!;
      const set = <K extends 'syncId' | 'maxLen' | 'port' | 'ttl'>(k: K, min: number, max: number) => {
        const n = num(i, min, max);
        if (n !== undefined) sd[k] = n;
        i++;
      };
      if (w.text === 'inst' && st.args[i + 1]) {
        sd.instance = st.args[++i]!.text;
      } else if (w.text === 'id') set('syncId', 0, 255);
      else if (w.text === 'maxlen') set('maxLen', 1, 65_535 - 20 - 8);
      else if (w.text === 'port') set('port', 1, 65_535);
      else if (w.text === 'ttl') set('ttl', 1, 255);
      else if (w.text === 'group') {
        const g = st.args[i + 1];
        const ip = g === undefined ? undefined : parseIpAddress(g.text);
        const multicast =
          ip && (ip.family === 'inet' ? /^(22[4-9]|23\d)\./.test(ip.address) : /^ff/i.test(ip.address));
        if (!multicast)
          ctx.sink.warning(
            (g ?? w).pos,
            'invalid-value',
            'lvs_sync_daemon group needs a multicast address; ignored',
          );
        else sd.group = ip.address;
        i++;
      } else if (i === 1)
        sd.instance = w.text; // 1.x form: lvs_sync_daemon IF INSTANCE [SYNCID]
      else if (i === 2 && parseIntegerText(w.text) !== undefined) {
        ctx.sink.warning(w.pos, 'deprecated-keyword', 'write "id N" before the lvs_sync_daemon sync id');
        const n = parseIntegerText(w.text)!;
        if (n >= 0 && n <= 255) sd.syncId = n;
      } else
        ctx.sink.warning(w.pos, 'invalid-value', `unknown option ${w.text} for lvs_sync_daemon; ignored`);
    }
    l.syncDaemon = sd;
  },
  lvs_notify_fifo(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'a FIFO path');
    if (w === undefined) return;
    const l = lvs(d);
    const script = st.args[1]?.text ?? l.notifyFifo?.script;
    l.notifyFifo = script === undefined ? { path: w.text } : { path: w.text, script };
  },
  lvs_notify_fifo_script(ctx, st, d) {
    const w = requireArg(ctx, st, 0, 'a script');
    if (w === undefined) return;
    const l = lvs(d);
    l.notifyFifo = { path: l.notifyFifo?.path ?? '', script: w.text };
  },
};

/** buildVirtualServerGroup reads `virtual_server_group NAME { ... }`; undefined when it has no entries. */
export function buildVirtualServerGroup(ctx: BuildContext, st: Statement): VirtualServerGroup | undefined {
  const name = requireArg(ctx, st, 0, 'a name');
  if (name === undefined) return undefined;
  const entries: VirtualServerGroupEntry[] = [];
  for (const line of st.block ?? []) {
    const words = [line.keyword, ...line.args];
    const first = words[0]!;
    if (first.text === 'fwmark') {
      const n = words[1] === undefined ? undefined : parseIntegerText(words[1].text);
      if (n === undefined || n < 1 || n > 2 ** 32 - 1) {
        ctx.sink.warning(
          first.pos,
          'invalid-value',
          `virtual_server_group ${name.text}: fwmark needs 1..4294967295; entry ignored`,
        );
        continue;
      }
      const fam = words[2]?.text;
      entries.push(
        fam === 'inet' || fam === 'inet6'
          ? { kind: 'fwmark', fwmark: n, family: fam, pos: first.pos }
          : { kind: 'fwmark', fwmark: n, pos: first.pos },
      );
      continue;
    }
    const [ipText, lastText] = first.text.split('-') as [string, string | undefined];
    const ip = parseIpAddress(ipText);
    const portText = words[1]?.text ?? '0';
    const port = parseIntegerText(portText);
    if (ip === undefined || port === undefined || port < 0 || port > 65_535) {
      ctx.sink.warning(
        first.pos,
        'invalid-address',
        `virtual_server_group ${name.text}: '${words.map((w) => w.text).join(' ')}' is not IP[-LAST] [PORT]; entry ignored`,
      );
      continue;
    }
    let last = ip.address;
    if (lastText !== undefined) {
      // keepalived: the range end replaces the last byte (IPv4) or the last 16-bit group (IPv6).
      const n = ip.family === 'inet' ? parseIntegerText(lastText) : Number.parseInt(lastText, 16);
      const parts = ip.address.split(ip.family === 'inet' ? '.' : ':');
      const lastPart = ip.family === 'inet' ? Number(parts.at(-1)) : Number.parseInt(parts.at(-1) || '0', 16);
      if (n === undefined || Number.isNaN(n) || n < lastPart || n > (ip.family === 'inet' ? 255 : 0xffff)) {
        ctx.sink.warning(
          first.pos,
          'invalid-address',
          `virtual_server_group ${name.text}: bad range end '${lastText}'; entry ignored`,
        );
        continue;
      }
      parts[parts.length - 1] = ip.family === 'inet' ? String(n) : n.toString(16);
      last = parts.join(ip.family === 'inet' ? '.' : ':');
    }
    entries.push({ kind: 'range', family: ip.family, first: ip.address, last, port, pos: first.pos });
  }
  if (entries.length === 0) {
    // keepalived: "virtual server group G has no entries - removing"
    ctx.sink.warning(
      st.keyword.pos,
      'empty-block',
      `virtual_server_group ${name.text} has no entries; removed`,
    );
    return undefined;
  }
  return { name: name.text, entries, pos: st.keyword.pos };
}
