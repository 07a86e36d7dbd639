/**
 * The pair inventory `keepvip generate --pair FILE` reads: keepalived-style, parsed by the
 * keepalived.conf front end (so includes, `$PARAM`s and positions work), no YAML dependency.
 * One `pair NAME { ... }` block with two `node` blocks; any `nginx_upstream` and
 * `virtual_server` blocks beside it are copied into both nodes' keepalived.conf.
 * templates/README.md documents the format.
 */
import type { Statement } from '../config/ast.js';
import { type Diagnostic, DiagnosticSink } from '../config/diagnostics.js';
import {
  type BuildContext,
  type Handler,
  parseAddressPrefix,
  parseIpAddress,
  readInteger,
  requireArg,
  walkBlock,
} from '../config/build/values.js';
import { parseConfigFile, parseConfigText } from '../config/parser.js';

/** InventoryNode is one `node NAME { address IP; interface IF; vip IP/LEN }`. */
export interface InventoryNode {
  name: string;
  address: string;
  interface?: string;
  /** vips are the addresses this node is master for (dual_master). */
  vips: string[];
}

/** Inventory is a whole pair description. */
export interface Inventory {
  pair: string;
  mode: 'single_vip' | 'dual_master';
  interface: string;
  virtualRouterId: number;
  advertInt: number;
  authPass?: string;
  unicast: boolean;
  /** vips are the shared addresses of single_vip. */
  vips: string[];
  /** trackNginx is the check command when `track_nginx` is set. */
  trackNginx?: string;
  notifyScript?: string;
  scriptUser?: string;
  templateDir?: string;
  nodes: InventoryNode[];
  /** copied are the nginx_upstream / virtual_server statements to copy into both nodes. */
  copied: Statement[];
}

/** InventoryResult is the inventory (when usable) and every finding. */
export interface InventoryResult {
  inventory?: Inventory;
  diagnostics: Diagnostic[];
}

/** DEFAULT_TRACK_NGINX is the seed configs' nginx check. */
export const DEFAULT_TRACK_NGINX = '/usr/bin/killall -0 nginx';

const COPIED = new Set(['nginx_upstream', 'virtual_server']);

function readVip(ctx: BuildContext, st: Statement, into: string[]): void {
  const w = requireArg(ctx, st, 0, 'an address IP[/LEN]');
  if (w === undefined) return;
  const p = parseAddressPrefix(w.text);
  if ('reason' in p) ctx.sink.error(w.pos, 'invalid-address', `vip ${p.reason}`);
  else into.push(p.prefixLength === undefined ? p.address : `${p.address}/${p.prefixLength}`);
}

const nodeHandlers: Record<string, Handler<InventoryNode>> = {
  address(ctx, st, n) {
    const w = requireArg(ctx, st, 0, 'an IP address');
    if (w === undefined) return;
    const ip = parseIpAddress(w.text);
    if (ip === undefined) ctx.sink.error(w.pos, 'invalid-address', `'${w.text}' is not an IP address`);
    else n.address = ip.address;
  },
  interface(ctx, st, n) {
    const w = requireArg(ctx, st, 0, 'an interface name');
    if (w) n.interface = w.text;
  },
  vip(ctx, st, n) {
    readVip(ctx, st, n.vips);
  },
};

const word =
  (set: (inv: Inventory, value: string) => void, what: string): Handler<Inventory> =>
  (ctx, st, inv) => {
    const w = requireArg(ctx, st, 0, what);
    if (w) set(inv, w.text);
  };

const pairHandlers: Record<string, Handler<Inventory>> = {
  mode(ctx, st, inv) {
    const w = requireArg(ctx, st, 0, 'single_vip or dual_master');
    if (w === undefined) return;
    if (w.text === 'single_vip' || w.text === 'dual_master') inv.mode = w.text;
    else ctx.sink.error(w.pos, 'invalid-value', `mode '${w.text}' is not single_vip or dual_master`);
  },
  interface: word((inv, v) => {
    inv.interface = v;
  }, 'an interface name'),
  virtual_router_id(ctx, st, inv) {
    // dual_master uses this VRID and the next one.
    const n = readInteger(
      ctx,
      st,
      { min: 1, max: 254 },
      { severity: 'error', code: 'vrid-range', fallback: '' },
    );
    if (n !== undefined) inv.virtualRouterId = n;
  },
  advert_int(ctx, st, inv) {
    const n = readInteger(
      ctx,
      st,
      { min: 1, max: 255 },
      { severity: 'error', code: 'value-range', fallback: '' },
    );
    if (n !== undefined) inv.advertInt = n;
  },
  auth_pass(ctx, st, inv) {
    const w = requireArg(ctx, st, 0, 'a password');
    if (w === undefined) return;
    // RFC 2338 section 5.3.6.1: the simple text password is 8 octets; keepalived truncates longer ones.
    if (w.text.length > 8) ctx.sink.error(w.pos, 'auth-pass-too-long', 'auth_pass longer than 8 characters');
    else inv.authPass = w.text;
  },
  unicast(_ctx, _st, inv) {
    inv.unicast = true;
  },
  vip(ctx, st, inv) {
    readVip(ctx, st, inv.vips);
  },
  track_nginx(_ctx, st, inv) {
    inv.trackNginx = st.args[0]?.text ?? DEFAULT_TRACK_NGINX;
  },
  notify_script: word((inv, v) => {
    inv.notifyScript = v;
  }, 'the path the notify script will have on the nodes'),
  script_user: word((inv, v) => {
    inv.scriptUser = v;
  }, 'a user name'),
  template_dir: word((inv, v) => {
    inv.templateDir = v;
  }, 'a directory'),
  node(ctx, st, inv) {
    const name = requireArg(ctx, st, 0, 'a node name');
    if (name === undefined) return;
    if (!/^[A-Za-z0-9_.-]+$/.test(name.text)) {
      ctx.sink.error(name.pos, 'invalid-value', `node name '${name.text}' must be [A-Za-z0-9_.-]+`);
      return;
    }
    const n: InventoryNode = { name: name.text, address: '', vips: [] };
    walkBlock(ctx, st.block, nodeHandlers, n, `node ${name.text}`);
    if (n.address === '')
      ctx.sink.error(st.keyword.pos, 'missing-argument', `node ${n.name} needs an address`);
    inv.nodes.push(n);
  },
};

/** buildInventory reads the statements of an inventory file. */
export function buildInventory(
  statements: readonly Statement[],
  parserDiagnostics: readonly Diagnostic[] = [],
): InventoryResult {
  const sink = new DiagnosticSink();
  sink.items.push(...parserDiagnostics);
  const ctx: BuildContext = { sink, hostname: 'inventory' };
  const pairs = statements.filter((st) => st.keyword.text === 'pair');
  const copied: Statement[] = [];
  for (const st of statements) {
    if (COPIED.has(st.keyword.text)) copied.push(st);
    else if (st.keyword.text !== 'pair') {
      sink.warning(
        st.keyword.pos,
        'unknown-keyword',
        `unknown keyword '${st.keyword.text}' in the inventory; ignored`,
      );
    }
  }
  const first = statements[0]?.keyword.pos ?? { file: 'inventory', line: 1, col: 1 };
  if (pairs.length !== 1) {
    sink.error(
      pairs[1]?.keyword.pos ?? first,
      'pair-count',
      `an inventory has exactly one pair block, found ${pairs.length}`,
    );
    return { diagnostics: sink.items };
  }
  const st = pairs[0]!;
  const name = requireArg(ctx, st, 0, 'a pair name');
  const inv: Inventory = {
    pair: name?.text ?? 'pair',
    mode: 'single_vip',
    interface: 'eth0',
    virtualRouterId: 51,
    advertInt: 1,
    unicast: false,
    vips: [],
    nodes: [],
    copied,
  };
  walkBlock(ctx, st.block, pairHandlers, inv, `pair ${inv.pair}`);
  if (inv.nodes.length !== 2) {
    sink.error(
      st.keyword.pos,
      'node-count',
      `pair ${inv.pair} needs exactly two node blocks, has ${inv.nodes.length}`,
    );
  } else if (inv.nodes[0]!.name === inv.nodes[1]!.name) {
    sink.error(st.keyword.pos, 'duplicate-name', `both nodes are called ${inv.nodes[0]!.name}`);
  }
  if (inv.mode === 'single_vip') {
    if (inv.vips.length === 0)
      sink.error(st.keyword.pos, 'missing-argument', 'single_vip needs a vip in the pair block');
    for (const n of inv.nodes) {
      if (n.vips.length > 0)
        sink.error(st.keyword.pos, 'invalid-value', `single_vip: node ${n.name} must not have its own vip`);
    }
  } else {
    if (inv.virtualRouterId > 254)
      sink.error(st.keyword.pos, 'vrid-range', 'dual_master needs virtual_router_id and the next one');
    if (inv.vips.length > 0)
      sink.error(st.keyword.pos, 'invalid-value', 'dual_master: put each vip in its node block');
    for (const n of inv.nodes) {
      if (n.vips.length === 0)
        sink.error(st.keyword.pos, 'missing-argument', `dual_master: node ${n.name} needs a vip`);
    }
  }
  return sink.hasErrors ? { diagnostics: sink.items } : { inventory: inv, diagnostics: sink.items };
}

/** loadInventory parses and reads an inventory file. */
export function loadInventory(path: string): InventoryResult {
  const parsed = parseConfigFile(path);
  return buildInventory(parsed.statements, parsed.diagnostics);
}

/** loadInventoryText is loadInventory for text in memory. */
export function loadInventoryText(text: string, file: string): InventoryResult {
  const parsed = parseConfigText(text, file);
  return buildInventory(parsed.statements, parsed.diagnostics);
}
