/**
 * The virtual address grammar of virtual_ipaddress and virtual_ipaddress_excluded (keepalived
 * vrrp_ipaddress.c parse_ipaddress): `IP[/prefix] [brd IP] [dev IF] [scope S] [label L] ...`.
 * VIP_OPTIONS is the option table; the keyword walk test reads it.
 */
import type { Statement, Word } from '../ast.js';
import type { VirtualIpAddress } from '../model.js';
import { type BuildContext, notSupported, parseAddressPrefix, parseIpAddress } from './values.js';

/** VipOption is one option word after a virtual address: whether it takes a value and what it does. */
export interface VipOption {
  takesValue: boolean;
  /** apply sets the option on the address; false means the whole address is skipped (already reported). Absent: not supported by keepvip. */
  apply?: (ctx: BuildContext, vip: VirtualIpAddress, value: Word) => boolean;
}

const broadcast: VipOption = {
  takesValue: true,
  apply(ctx, vip, value) {
    const brd = parseIpAddress(value.text);
    if (brd?.family !== 'inet' || vip.family !== 'inet') {
      // keepalived: "VRRP is trying to assign invalid broadcast X. skipping VIP..."
      ctx.sink.warning(
        value.pos,
        'invalid-address',
        `invalid broadcast '${value.text}' for ${vip.address}; address skipped`,
      );
      return false;
    }
    vip.brd = brd.address;
    return true;
  },
};

/** VIP_OPTIONS are the option words keepalived 2.2.7 reads after a virtual address. */
export const VIP_OPTIONS: Readonly<Record<string, VipOption>> = {
  brd: broadcast,
  broadcast,
  dev: {
    takesValue: true,
    apply(_ctx, vip, value) {
      vip.dev = value.text;
      return true;
    },
  },
  scope: {
    takesValue: true,
    apply(ctx, vip, value) {
      if (!/^(global|host|link|site|nowhere|\d+)$/.test(value.text)) {
        ctx.sink.warning(value.pos, 'invalid-scope', `invalid scope '${value.text}'; using global`);
      } else vip.scope = value.text;
      return true;
    },
  },
  label: {
    takesValue: true,
    apply(_ctx, vip, value) {
      vip.label = value.text;
      return true;
    },
  },
  peer: { takesValue: true },
  preferred_lft: { takesValue: true },
  home: { takesValue: false },
  '-nodad': { takesValue: false },
  nodad: { takesValue: false },
  mngtmpaddr: { takesValue: false },
  noprefixroute: { takesValue: false },
  autojoin: { takesValue: false },
  no_track: { takesValue: false },
  use_vmac: { takesValue: false },
};

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
    const option = Object.hasOwn(VIP_OPTIONS, opt.text) ? VIP_OPTIONS[opt.text] : undefined;
    if (option === undefined) {
      ctx.sink.warning(opt.pos, 'unknown-keyword', `unknown virtual address option '${opt.text}'; ignored`);
      continue;
    }
    const value = option.takesValue ? args[i + 1] : undefined;
    if (option.takesValue) {
      if (value === undefined) {
        ctx.sink.warning(
          opt.pos,
          'missing-argument',
          `virtual address option '${opt.text}' needs a value; ignored`,
        );
        break;
      }
      i++;
    }
    if (option.apply === undefined) notSupported(ctx, opt, 'a virtual address');
    else if (!option.apply(ctx, vip, value ?? opt)) return undefined;
  }
  return vip;
}
