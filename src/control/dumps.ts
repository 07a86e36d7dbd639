/**
 * SIGUSR1 / SIGUSR2 dumps, as keepalived writes /tmp/keepalived.data and /tmp/keepalived.stats.
 * keepvip writes /tmp/keepvip.data and /tmp/keepvip.stats for the default pid file, and beside
 * the pid file otherwise (`-p /run/kv-a.pid` -> /run/kv-a.data), so daemons in different
 * namespaces on one host do not overwrite each other's dumps.
 */
import type { InstanceCounters } from '../util/counters.js';
import { writeFileSync } from 'node:fs';
import { formatStatus } from '../cli/status.js';
import { DEFAULT_PID_FILE } from '../daemon/paths.js';

/** dumpPath is where a dump of `kind` goes for a daemon with this pid file. */
export function dumpPath(pidFile: string, kind: 'data' | 'stats'): string {
  if (pidFile === DEFAULT_PID_FILE) return `/tmp/keepvip.${kind}`;
  return `${pidFile.endsWith('.pid') ? pidFile.slice(0, -4) : pidFile}.${kind}`;
}

/** StatsInstance is what the statistics dump needs of an instance. */
export interface StatsInstance {
  name: string;
  counters: InstanceCounters;
}

/** formatStats renders the SIGUSR2 statistics in keepalived's layout. */
export function formatStats(instances: StatsInstance[], unattributed: Record<string, number>): string {
  const lines: string[] = [];
  for (const i of instances) {
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
  const other = Object.entries(unattributed);
  if (other.length) {
    lines.push('Packets not attributed to an instance:');
    for (const [reason, n] of other) lines.push(`    ${reason}: ${n}`);
  }
  return `${lines.join('\n')}\n`;
}

/** writeDump writes a dump file (mode 0600) and returns its path. */
export function writeDump(path: string, text: string): string {
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

/** formatData renders the SIGUSR1 data dump: the status view plus the resolved configuration. */
export function formatData(status: Parameters<typeof formatStatus>[0], configJson: string): string {
  return `------< keepvip data dump ${new Date().toISOString()} >------\n${formatStatus(status)}\n\n------< configuration >------\n${configJson}\n`;
}
