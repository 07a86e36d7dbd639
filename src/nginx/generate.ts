/**
 * `keepvip generate`: an inventory → both nodes' keepalived.conf, the notify script and the
 * nginx files, all from templates. What it returns has passed `--config-test --peer` (the
 * same loadConfig and checkPair the command runs), or it throws with the findings: a pair
 * generated from one source cannot disagree on VRIDs, VIPs, auth or advert_int.
 */
import { posix } from 'node:path';
import type { Statement, Word } from '../config/ast.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import { loadConfigText } from '../config/load.js';
import { checkPair } from '../config/pair-check.js';
import { KeepvipError } from '../util/errors.js';
import type { Inventory, InventoryNode } from './inventory.js';
import { renderTemplateFile } from './render.js';
import { renderUpstream } from './upstream.js';

/** GenerateError is an inventory whose generated pair does not pass the config test (code E_GENERATE). */
export class GenerateError extends KeepvipError {
  readonly findings: readonly string[];
  constructor(message: string, findings: readonly string[]) {
    super('E_GENERATE', message);
    this.findings = findings;
  }
}

/** GeneratedFile is one file to write under the output directory. */
export interface GeneratedFile {
  /** path is relative to the output directory. */
  path: string;
  content: string;
  /** mode is the file mode (0o755 for the notify script). */
  mode: number;
}

/** MASTER_PRIORITY / BACKUP_PRIORITY are the generated priorities; a failed track_nginx (weight -60) takes the master below the backup. */
export const MASTER_PRIORITY = 150;
export const BACKUP_PRIORITY = 100;
const TRACK_WEIGHT = -60;

/** printWord writes a word back in keepalived.conf syntax, quoting when needed. */
function printWord(w: Word): string {
  if (!w.quoted && w.text !== '' && !/[\s"#!{}\\]/.test(w.text)) return w.text;
  return `"${w.text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** printStatement writes a statement and its block back as keepalived.conf text. */
export function printStatement(st: Statement, depth = 0): string {
  const pad = '    '.repeat(depth);
  const head = [st.keyword, ...st.args].map(printWord).join(' ');
  if (st.block === undefined) return `${pad}${head}`;
  const inner = st.block.map((s) => printStatement(s, depth + 1));
  return [`${pad}${head} {`, ...inner, `${pad}}`].join('\n');
}

/** InstanceContext is one vrrp_instance of the node template. */
interface InstanceContext {
  name: string;
  state: 'MASTER' | 'BACKUP';
  interface: string;
  virtualRouterId: number;
  priority: number;
  advertInt: number;
  authPass?: string;
  unicastSrcIp?: string;
  unicastPeers: string[];
  vips: string[];
}

/** nodeContext builds the keepalived-node.hbs context of one node (index 0 or 1). */
export function nodeContext(inv: Inventory, index: 0 | 1): object {
  const node = inv.nodes[index]!;
  const peer = inv.nodes[1 - index]!;
  const ifOf = (n: InventoryNode) => n.interface ?? inv.interface;
  const instance = (name: string, vrid: number, owner: 0 | 1, vips: string[]): InstanceContext => ({
    name,
    state: owner === index ? 'MASTER' : 'BACKUP',
    interface: ifOf(node),
    virtualRouterId: vrid,
    priority: owner === index ? MASTER_PRIORITY : BACKUP_PRIORITY,
    advertInt: inv.advertInt,
    ...(inv.authPass === undefined ? {} : { authPass: inv.authPass }),
    ...(inv.unicast ? { unicastSrcIp: node.address } : {}),
    unicastPeers: inv.unicast ? [peer.address] : [],
    vips,
  });
  const instances =
    inv.mode === 'single_vip'
      ? [instance(`VI_${inv.pair}`, inv.virtualRouterId, 0, inv.vips)]
      : inv.nodes.map((n, i) =>
          instance(`VI_${inv.pair}_${n.name}`, inv.virtualRouterId + i, i as 0 | 1, n.vips),
        );
  return {
    pair: inv.pair,
    mode: inv.mode,
    node,
    peer,
    // With scripts, always enable script security (keepalived calls running them without it a
    // SECURITY VIOLATION); root unless the inventory names a user.
    scriptUser:
      inv.trackNginx !== undefined || inv.notifyScript !== undefined ? (inv.scriptUser ?? 'root') : undefined,
    trackNginx:
      inv.trackNginx === undefined
        ? undefined
        : { script: inv.trackNginx, interval: 2, fall: 2, rise: 2, weight: TRACK_WEIGHT },
    notifyScript: inv.notifyScript,
    instances,
    extraBlocks: inv.copied.map((st) => printStatement(st)),
  };
}

/** generatePair renders every file of the pair and checks the two keepalived.conf as `--config-test --peer` would. */
export function generatePair(inv: Inventory): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  const confs = ([0, 1] as const).map((i) => {
    const path = posix.join(inv.nodes[i]!.name, 'keepalived.conf');
    const content = renderTemplateFile('keepalived-node.hbs', nodeContext(inv, i), inv.templateDir);
    files.push({ path, content, mode: 0o644 });
    return { path, content };
  });
  const loaded = confs.map((c) => loadConfigText(c.content, c.path, { hostname: 'generate' }));
  const findings = loaded.flatMap((r) => r.diagnostics);
  const [a, b] = loaded;
  if (a?.config && b?.config) findings.push(...checkPair(a.config, b.config));
  const errors = findings.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !a?.config || !b?.config) {
    throw new GenerateError(
      `the generated pair does not pass --config-test --peer (${errors.length} error(s))`,
      findings.map(formatDiagnostic),
    );
  }
  if (inv.notifyScript !== undefined) {
    const content = renderTemplateFile('notify.sh.hbs', { pair: inv.pair }, inv.templateDir);
    files.push({ path: 'notify.sh', content, mode: 0o755 });
  }
  // The nginx side is the same on both nodes: one file per upstream, every server up.
  for (const up of a.config.nginxUpstreams) {
    files.push({
      path: posix.join('nginx', `${up.name}.conf`),
      content: renderUpstream(up, a.config),
      mode: 0o644,
    });
  }
  return files;
}
