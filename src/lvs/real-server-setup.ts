/**
 * The LVS-DR real-server side, shared by `keepvip realserver up|down|status` (cli/realserver.ts)
 * and the daemon's `real_server_setup` (daemon/lvs.ts). `up` puts each VIP on `lo` as /32
 * (/128) so the server accepts packets the director forwards unchanged, and makes IPv4 ARP
 * leave the VIP alone: arp_ignore=1 (answer only for addresses of the receiving interface) and
 * arp_announce=2 (never announce the VIP as a source). The kernel reads both as
 * max(all, interface), so only `all` is raised, and only when it is below. What `up` changed is
 * recorded in a state file, so `up` is idempotent and `down` undoes exactly that: addresses
 * that were already there and sysctls someone changed since are left alone. IPv6 needs no
 * sysctl: Linux answers neighbour solicitations only for addresses of the receiving interface.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseIpAddress } from '../config/build/values.js';
import { addAddress, deleteAddress, listAddresses } from '../kernel/addresses.js';
import {
  type ArpSysctl,
  effectiveArpSysctl,
  ipv4Interfaces,
  readArpSysctl,
  writeArpSysctl,
} from '../kernel/arp-sysctl.js';

/** ARP_TARGETS are the values DR needs. */
export const ARP_TARGETS: Record<ArpSysctl, number> = { arp_ignore: 1, arp_announce: 2 };

/** RealServerState is the record of what `up` did. */
export interface RealServerState {
  /** addresses keepvip added to lo, as `IP/PREFIX`. */
  addresses: string[];
  /** sysctls keepvip raised: net.ipv4.conf.IFNAME.NAME from -> to. */
  sysctls: { ifname: string; name: ArpSysctl; from: number; to: number }[];
}

/** RealServerSetupOptions say where the record lives and where the report lines go. */
export interface RealServerSetupOptions {
  stateFile: string;
  /** sysctlRoot replaces /proc/sys/net/ipv4/conf (tests). */
  sysctlRoot?: string;
  out: (line: string) => void;
}

/** LoVip is one VIP as it goes on lo. */
export interface LoVip {
  address: string;
  family: 'inet' | 'inet6';
  prefixLength: number;
  dev: string;
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

/** vipOnLo validates one VIP (`IP`, `IP/32`, `IP6/128`) and gives its address on lo. */
export function vipOnLo(text: string): LoVip {
  const ip = parseIpAddress(text.replace(/\/(32|128)$/, ''));
  if (!ip) throw new Error(`--vip ${text}: not an IP address`);
  return { ...ip, prefixLength: ip.family === 'inet' ? 32 : 128, dev: 'lo' };
}

const keyOf = (v: LoVip) => `${v.address}/${v.prefixLength}`;

async function onLo(): Promise<Set<string>> {
  return new Set((await listAddresses('lo')).map((a) => `${a.address}/${a.prefixLength}`));
}

/** realServerUp puts the VIPs on lo and raises the ARP sysctls (idempotent; recorded in the state file). */
export async function realServerUp(vipTexts: string[], o: RealServerSetupOptions): Promise<void> {
  const vips = vipTexts.map(vipOnLo);
  if (vips.length === 0) throw new Error('realserver up needs at least one --vip');
  const state = readState(o.stateFile);
  const present = await onLo();
  for (const v of vips) {
    const key = keyOf(v);
    if (present.has(key)) {
      o.out(`${key} already on lo${state.addresses.includes(key) ? ' (added by keepvip)' : ''}`);
      continue;
    }
    await addAddress(v);
    if (!state.addresses.includes(key)) state.addresses.push(key);
    o.out(`${key} added to lo`);
  }
  if (vips.some((v) => v.family === 'inet')) {
    for (const name of ['arp_ignore', 'arp_announce'] as const) {
      const now = readArpSysctl('all', name, o.sysctlRoot);
      if (now >= ARP_TARGETS[name]) {
        o.out(`net.ipv4.conf.all.${name} = ${now} (already >= ${ARP_TARGETS[name]})`);
        continue;
      }
      writeArpSysctl('all', name, ARP_TARGETS[name], o.sysctlRoot);
      if (!state.sysctls.some((s) => s.ifname === 'all' && s.name === name))
        state.sysctls.push({ ifname: 'all', name, from: now, to: ARP_TARGETS[name] });
      o.out(`net.ipv4.conf.all.${name} = ${ARP_TARGETS[name]} (was ${now})`);
    }
  }
  writeState(o.stateFile, state);
}

/**
 * realServerDown removes the VIPs `up` added (all of them when `vipTexts` is undefined or
 * empty) and, once no IPv4 VIP of the record is left, restores the sysctls it raised.
 */
export async function realServerDown(
  vipTexts: string[] | undefined,
  o: RealServerSetupOptions,
): Promise<void> {
  const state = readState(o.stateFile);
  const present = await onLo();
  const chosen =
    vipTexts === undefined || vipTexts.length === 0
      ? [...state.addresses]
      : vipTexts.map((t) => keyOf(vipOnLo(t)));
  for (const key of chosen) {
    if (!state.addresses.includes(key)) {
      o.out(`${key} was not added by keepvip; left alone`);
      continue;
    }
    if (present.has(key)) await deleteAddress(vipOnLo(key));
    state.addresses = state.addresses.filter((a) => a !== key);
    o.out(`${key} removed from lo`);
  }
  if (state.addresses.every((a) => !a.includes('.'))) {
    // The last IPv4 VIP is gone: put back the sysctls keepvip raised, unless changed since.
    for (const s of state.sysctls) {
      const now = readArpSysctl(s.ifname, s.name, o.sysctlRoot);
      if (now === s.to) {
        writeArpSysctl(s.ifname, s.name, s.from, o.sysctlRoot);
        o.out(`net.ipv4.conf.${s.ifname}.${s.name} = ${s.from} (restored)`);
      } else
        o.out(`net.ipv4.conf.${s.ifname}.${s.name} = ${now} changed since keepvip set ${s.to}; left alone`);
    }
    state.sysctls = [];
  }
  writeState(o.stateFile, state);
}

/** realServerStatus reports the VIPs (the recorded ones by default) and the sysctls; true when all is set. */
export async function realServerStatus(vipTexts: string[], o: RealServerSetupOptions): Promise<boolean> {
  const state = readState(o.stateFile);
  const present = await onLo();
  const wanted = vipTexts.length > 0 ? vipTexts.map((t) => keyOf(vipOnLo(t))) : state.addresses;
  let ok = true;
  for (const key of wanted) {
    const on = present.has(key);
    ok &&= on;
    o.out(
      `${key}: ${on ? 'on lo' : 'NOT on lo'}${state.addresses.includes(key) ? ' (added by keepvip)' : ''}`,
    );
  }
  for (const name of ['arp_ignore', 'arp_announce'] as const) {
    const bad = ipv4Interfaces(o.sysctlRoot).filter(
      (i) => i !== 'lo' && effectiveArpSysctl(i, name, o.sysctlRoot) < ARP_TARGETS[name],
    );
    if (bad.length > 0 && wanted.some((k) => k.includes('.'))) ok = false;
    o.out(
      `${name}: ${bad.length === 0 ? `>= ${ARP_TARGETS[name]} on every interface` : `below ${ARP_TARGETS[name]} on ${bad.join(', ')}`}`,
    );
  }
  return ok;
}
