/**
 * SIGUSR1 / SIGUSR2 / SIGJSON dumps, as keepalived writes keepalived.data, keepalived.stats and
 * keepalived.json. keepvip writes them into a directory only root can write: /run/keepvip/ for
 * the default pid file, beside the pid file otherwise (`-p /run/kv-a.pid` -> /run/kv-a.data),
 * so daemons in different namespaces on one host do not overwrite each other's dumps. The JSON
 * dump is also written to keepalived's path, $TMPDIR or /tmp + /keepalived.json, which
 * keepalived-exporter reads (dump-files.ts says how that stays safe).
 */
import { basename, join } from 'node:path';
import { formatStatus } from './status-text.js';
import type { DaemonSnapshot } from './snapshot.js';

/** DUMP_DIR is the root-owned directory dumps go to when the pid file is the default one. */
export const DUMP_DIR = '/run/keepvip';

/** DumpKind names the three dumps. */
export type DumpKind = 'data' | 'stats' | 'json';

/** dumpPath is where a dump of `kind` goes for a daemon with this pid file. */
export function dumpPath(
  pidFile: string,
  isDefaultPidFile: boolean,
  kind: DumpKind,
  dumpDir = DUMP_DIR,
): string {
  if (isDefaultPidFile) return join(dumpDir, kind === 'json' ? 'keepalived.json' : `keepvip.${kind}`);
  return `${pidFile.endsWith('.pid') ? pidFile.slice(0, -4) : pidFile}.${kind}`;
}

/** fallbackDumpPath is the /run/keepvip/ path used when the pid file's directory is not safe. */
export function fallbackDumpPath(path: string, dumpDir = DUMP_DIR): string {
  return join(dumpDir, basename(path));
}

/** compatJsonPath is keepalived's SIGJSON file: $TMPDIR (when absolute) or /tmp, then keepalived.json (lib/utils.c set_tmp_dir). */
export function compatJsonPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.TMPDIR?.startsWith('/') ? env.TMPDIR : '/tmp';
  return join(dir, 'keepalived.json');
}

/** formatStats renders the SIGUSR2 statistics in keepalived's layout. */
export function formatStats(snap: Pick<DaemonSnapshot, 'instances' | 'drops'>): string {
  const lines: string[] = [];
  for (const i of snap.instances) {
    const c = i.counters;
    lines.push(
      `VRRP Instance: ${i.name}`,
      '  Advertisements:',
      `    Received: ${c.advertsReceived}`,
      `    Sent: ${c.advertsSent}`,
      `  Became master: ${c.becameMaster}`,
      `  Released master: ${c.releasedMaster}`,
      '  Packet Errors:',
    );
    const drops = Object.entries(c.drops);
    if (drops.length === 0) lines.push('    none');
    for (const [reason, n] of drops) lines.push(`    ${reason}: ${n}`);
    lines.push(
      '  Priority Zero:',
      `    Received: ${c.priorityZeroReceived}`,
      `    Sent: ${c.priorityZeroSent}`,
    );
  }
  const other = Object.entries(snap.drops);
  if (other.length) {
    lines.push('Packets not attributed to an instance:');
    for (const [reason, n] of other) lines.push(`    ${reason}: ${n}`);
  }
  return `${lines.join('\n')}\n`;
}

/** formatData renders the SIGUSR1 data dump: the status view plus the resolved configuration. */
export function formatData(
  status: Parameters<typeof formatStatus>[0],
  configJson: string,
  now = new Date(),
): string {
  return `------< keepvip data dump ${now.toISOString()} >------\n${formatStatus(status)}\n\n------< configuration >------\n${configJson}\n`;
}
