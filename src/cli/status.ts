/**
 * `keepvip status [--json] [--control PATH]`: what the running daemon says about itself.
 */
import { requestControl } from '../control/client.js';

/** StatusDocument is the subset of the daemon's status the text view prints. */
interface StatusInstance {
  name: string;
  state: string;
  basePriority: number;
  effectivePriority: number;
  masterAddress?: string;
  interface: string;
  vrid: number;
  version: number;
  vips: string[];
  faults: string[];
  tracks: {
    name: string;
    good: boolean;
    weight: number;
    lastRun?: { at: string; exitCode?: number; timedOut: boolean };
  }[];
  counters: {
    advertsSent: number;
    advertsReceived: number;
    splitBrainEpisodes?: number;
    drops: Record<string, number>;
  };
  transitions: { wallTime: string; from: string; to: string; reason: string }[];
}

/** formatStatus renders the status document for people. */
export function formatStatus(doc: {
  pid: number;
  version: string;
  instances: StatusInstance[];
  drops: Record<string, number>;
  nginxUpstreams?: { name: string; output: string; members: { server: string; up: boolean }[] }[];
}): string {
  const lines = [`keepvip ${doc.version} (pid ${doc.pid})`];
  for (const i of doc.instances) {
    lines.push(
      `${i.name}: ${i.state}  vrid ${i.vrid} v${i.version} on ${i.interface}  priority ${i.effectivePriority} (base ${i.basePriority})  master ${i.masterAddress ?? '-'}`,
    );
    lines.push(`  VIPs: ${i.vips.join(' ') || '-'}`);
    if (i.faults.length) lines.push(`  faults: ${i.faults.join(', ')}`);
    for (const t of i.tracks) {
      const last = t.lastRun
        ? ` (last run ${t.lastRun.at}, ${t.lastRun.timedOut ? 'timed out' : `exit ${t.lastRun.exitCode}`})`
        : '';
      lines.push(`  track ${t.name}: ${t.good ? 'OK' : 'FAILED'} weight ${t.weight}${last}`);
    }
    const drops = Object.entries(i.counters.drops).map(([k, v]) => `${k}=${v}`);
    lines.push(
      `  adverts sent ${i.counters.advertsSent} received ${i.counters.advertsReceived}; drops: ${drops.join(' ') || 'none'}`,
    );
    if (i.counters.splitBrainEpisodes) lines.push(`  split-brain episodes: ${i.counters.splitBrainEpisodes}`);
    for (const t of i.transitions.slice(-5)) lines.push(`  ${t.wallTime} ${t.from} -> ${t.to} (${t.reason})`);
  }
  for (const u of doc.nginxUpstreams ?? []) {
    const members = u.members.map((m) => `${m.server}${m.up ? '' : ' (down)'}`).join(', ');
    lines.push(`nginx_upstream ${u.name} -> ${u.output}: ${members || 'no servers'}`);
  }
  const other = Object.entries(doc.drops).map(([k, v]) => `${k}=${v}`);
  if (other.length) lines.push(`unattributed drops: ${other.join(' ')}`);
  return lines.join('\n');
}

/** runStatus prints the daemon's status and returns the exit code. */
export async function runStatus(opts: { json?: boolean; control: string }): Promise<number> {
  try {
    const doc = (await requestControl(opts.control, 'status')) as Parameters<typeof formatStatus>[0];
    process.stdout.write(opts.json ? `${JSON.stringify(doc, null, 2)}\n` : `${formatStatus(doc)}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`keepvip status: ${(err as Error).message}\n`);
    return 3;
  }
}
