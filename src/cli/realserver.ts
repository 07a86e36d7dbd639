/**
 * `keepvip realserver up|down|status --vip IP [--vip IP6]`: the LVS-DR real-server side (seed
 * 002-lvs_rs.sh done properly). `up` puts each VIP on `lo` as /32 (/128) so the server accepts
 * packets the director forwards unchanged, and makes IPv4 ARP leave the VIP alone:
 * arp_ignore=1 (answer only for addresses of the receiving interface) and arp_announce=2 (never
 * announce the VIP as a source). The kernel reads both as max(all, interface), so only `all` is
 * raised, and only when it is below. What `up` changed is recorded under /run/keepvip/, so `up`
 * is idempotent and `down` undoes exactly that: addresses that were already there and sysctls
 * someone changed since are left alone. IPv6 needs no sysctl: Linux answers neighbour
 * solicitations only for addresses of the receiving interface.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { addAddress, closeRtnetlink, deleteAddress, listAddresses } from '../kernel/addresses.js';
import {
  type ArpSysctl,
  effectiveArpSysctl,
  ipv4Interfaces,
  readArpSysctl,
  writeArpSysctl,
} from '../kernel/arp-sysctl.js';
import { parseIpAddress } from '../config/build/values.js';

/** REALSERVER_STATE is where `up` records what it changed. */
export const REALSERVER_STATE = '/run/keepvip/realserver.json';

/** ARP_TARGETS are the values DR needs. */
export const ARP_TARGETS: Record<ArpSysctl, number> = { arp_ignore: 1, arp_announce: 2 };

/** RealServerState is the record of what `up` did. */
export interface RealServerState {
  /** addresses keepvip added to lo, as `IP/PREFIX`. */
  addresses: string[];
  /** sysctls keepvip raised: net.ipv4.conf.IFNAME.NAME from -> to. */
  sysctls: { ifname: string; name: ArpSysctl; from: number; to: number }[];
}

/** RealServerOptions select the VIPs and where the record lives (tests use a temporary one). */
export interface RealServerOptions {
  mode: string;
  vips: string[];
  stateFile?: string;
  /** sysctlRoot replaces /proc/sys/net/ipv4/conf (tests). */
  sysctlRoot?: string;
  out?: (line: string) => void;
}

function readState(file: string): RealServerState {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as RealServerState;
    return { addresses: s.addresses ?? [], sysctls: s.sysctls ?? [] };
  } catch {
    return { addresses: [], sysctls: [] };
  }
}

function writeState(file: string, s: RealServerState): void {
  if (s.addresses.length === 0 && s.sysctls.length === 0) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(s, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** vipOf validates one --vip and gives its address on lo. */
function vipOf(text: string): {
  address: string;
  family: 'inet' | 'inet6';
  prefixLength: number;
  dev: string;
} {
  const ip = parseIpAddress(text.replace(/\/(32|128)$/, ''));
  if (!ip) throw new Error(`--vip ${text}: not an IP address`);
  return { ...ip, prefixLength: ip.family === 'inet' ? 32 : 128, dev: 'lo' };
}

/** runRealServer carries out `keepvip realserver MODE` and returns the exit code. */
export async function runRealServer(o: RealServerOptions): Promise<number> {
  const out = o.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const file = o.stateFile ?? REALSERVER_STATE;
  const root = o.sysctlRoot;
  try {
    const vips = o.vips.map(vipOf);
    const state = readState(file);
    const onLo = new Set((await listAddresses('lo')).map((a) => `${a.address}/${a.prefixLength}`));
    if (o.mode === 'up') {
      if (vips.length === 0) throw new Error('realserver up needs at least one --vip');
      for (const v of vips) {
        const key = `${v.address}/${v.prefixLength}`;
        if (onLo.has(key)) {
          out(`${key} already on lo${state.addresses.includes(key) ? ' (added by keepvip)' : ''}`);
          continue;
        }
        await addAddress(v);
        if (!state.addresses.includes(key)) state.addresses.push(key);
        out(`${key} added to lo`);
      }
      if (vips.some((v) => v.family === 'inet')) {
        for (const name of ['arp_ignore', 'arp_announce'] as const) {
          const now = readArpSysctl('all', name, root);
          if (now >= ARP_TARGETS[name]) {
            out(`net.ipv4.conf.all.${name} = ${now} (already >= ${ARP_TARGETS[name]})`);
            continue;
          }
          writeArpSysctl('all', name, ARP_TARGETS[name], root);
          if (!state.sysctls.some((s) => s.ifname === 'all' && s.name === name))
            state.sysctls.push({ ifname: 'all', name, from: now, to: ARP_TARGETS[name] });
          out(`net.ipv4.conf.all.${name} = ${ARP_TARGETS[name]} (was ${now})`);
        }
      }
      writeState(file, state);
      return 0;
    }
    if (o.mode === 'down') {
      const chosen =
        vips.length === 0 ? [...state.addresses] : vips.map((v) => `${v.address}/${v.prefixLength}`);
      for (const key of chosen) {
        if (!state.addresses.includes(key)) {
          out(`${key} was not added by keepvip; left alone`);
          continue;
        }
        if (onLo.has(key)) await deleteAddress(vipOf(key));
        state.addresses = state.addresses.filter((a) => a !== key);
        out(`${key} removed from lo`);
      }
      if (state.addresses.every((a) => !a.includes('.'))) {
        // The last IPv4 VIP is gone: put back the sysctls keepvip raised, unless changed since.
        for (const s of state.sysctls) {
          const now = readArpSysctl(s.ifname, s.name, root);
          if (now === s.to) {
            writeArpSysctl(s.ifname, s.name, s.from, root);
            out(`net.ipv4.conf.${s.ifname}.${s.name} = ${s.from} (restored)`);
          } else
            out(`net.ipv4.conf.${s.ifname}.${s.name} = ${now} changed since keepvip set ${s.to}; left alone`);
        }
        state.sysctls = [];
      }
      writeState(file, state);
      return 0;
    }
    if (o.mode === 'status') {
      const wanted = vips.length > 0 ? vips.map((v) => `${v.address}/${v.prefixLength}`) : state.addresses;
      let ok = true;
      for (const key of wanted) {
        const present = onLo.has(key);
        ok &&= present;
        out(
          `${key}: ${present ? 'on lo' : 'NOT on lo'}${state.addresses.includes(key) ? ' (added by keepvip)' : ''}`,
        );
      }
      for (const name of ['arp_ignore', 'arp_announce'] as const) {
        const bad = ipv4Interfaces(root).filter(
          (i) => i !== 'lo' && effectiveArpSysctl(i, name, root) < ARP_TARGETS[name],
        );
        if (bad.length > 0 && wanted.some((k) => k.includes('.'))) ok = false;
        out(
          `${name}: ${bad.length === 0 ? `>= ${ARP_TARGETS[name]} on every interface` : `below ${ARP_TARGETS[name]} on ${bad.join(', ')}`}`,
        );
      }
      return ok ? 0 : 1;
    }
    throw new Error(`unknown mode '${o.mode}' (expected up, down or status)`);
  } catch (e) {
    process.stderr.write(`keepvip realserver: ${(e as Error).message}\n`);
    return 1;
  } finally {
    closeRtnetlink();
  }
}
