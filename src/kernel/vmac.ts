/**
 * VMAC interfaces (vrrp_instance `use_vmac [NAME]`), as keepalived 2.2.7 builds them
 * (vrrp_vmac.c, vrrp_if_config.c): a macvlan in private mode on the instance's interface with the
 * RFC 5798 7.3 virtual router MAC 00:00:5e:00:01:VRID (IPv6 00:00:5e:00:02:VRID), named
 * vrrp.VRID by default, created with RTM_NEWLINK (IFLA_LINKINFO kind "macvlan", IFLA_MACVLAN_MODE,
 * IFLA_LINK, IFLA_ADDRESS) and deleted with RTM_DELLINK. The VIPs live on it, so ARP replies and
 * gratuitous ARPs carry the virtual MAC. For IPv4 it gets arp_ignore=1, accept_local=1,
 * rp_filter=0, promote_secondaries=1 and no IPv6; the base interface gets arp_ignore=1 and
 * arp_filter=1 (put back when its last VMAC goes), and net.ipv4.conf.all.rp_filter is cleared
 * while a VMAC exists (its value moved onto each interface first, as keepalived's clear_rp_filter).
 * For IPv6 no link-local address is generated from the virtual MAC (addr_gen_mode none, RFC 5798
 * 7.4): the base interface's link-local address is added instead, the source of the adverts.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { KeepvipError, SystemCallError } from '../util/errors.js';
import { type Logger, silentLogger } from '../util/logger.js';
import {
  addAddress,
  forgetLinkIndex,
  linkIndex,
  listAddresses,
  netlinkErrno,
  netlinkError,
  rtnetlink,
} from './addresses.js';
import { NLM_F_CREATE, NLM_F_EXCL } from './netlink-constants.js';
import { encodeAttr, parseAttrs, readString } from './nlmsg.js';
import { IFF_UP, IFLA_INFO_DATA, IFLA_INFO_KIND } from './rtnetlink-constants.js';

/** IFLA_MACVLAN_MODE is the first macvlan IFLA_INFO_DATA attribute; MACVLAN_MODE_PRIVATE = 1. */
const IFLA_MACVLAN_MODE = 1;
export const MACVLAN_MODE_PRIVATE = 1;

/** VmacSpec is one instance's VMAC: its name, base interface, VRID and family. */
export interface VmacSpec {
  name: string;
  base: string;
  vrid: number;
  family: 'inet' | 'inet6';
}

/** vmacAddress is the RFC 5798 7.3 virtual router MAC of a VRID: 00:00:5e:00:01:VRID (IPv6 :02:). */
export function vmacAddress(vrid: number, family: 'inet' | 'inet6'): string {
  const b = [0x00, 0x00, 0x5e, 0x00, family === 'inet' ? 0x01 : 0x02, vrid & 0xff];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** encodeMacvlanLinkInfo is the IFLA_LINKINFO payload: IFLA_INFO_KIND "macvlan", IFLA_INFO_DATA { IFLA_MACVLAN_MODE }. */
export function encodeMacvlanLinkInfo(mode = MACVLAN_MODE_PRIVATE): Buffer {
  const modeValue = Buffer.alloc(4);
  modeValue.writeUInt32LE(mode, 0);
  return Buffer.concat([
    encodeAttr(IFLA_INFO_KIND, Buffer.from('macvlan')),
    encodeAttr(IFLA_INFO_DATA, encodeAttr(IFLA_MACVLAN_MODE, modeValue)),
  ]);
}

/** linkInfoKind reads IFLA_INFO_KIND out of an IFLA_LINKINFO payload. */
export function linkInfoKind(linkinfo: Buffer | undefined): string | undefined {
  const kind = linkinfo && parseAttrs(linkinfo).attrs.find((a) => a.type === IFLA_INFO_KIND);
  return kind && readString(kind.data);
}

const IFNAME_RE = /^[A-Za-z0-9_.:-]{1,15}$/;

/** sysctlPath is /proc/sys/net/{ipv4,ipv6}/conf/IFNAME/NAME; EINVAL for names that are not interface names. */
function sysctlPath(v: 'ipv4' | 'ipv6', ifname: string, name: string): string {
  if (!(IFNAME_RE.test(ifname) && ifname !== '.' && ifname !== '..'))
    throw new SystemCallError(`sysctl ${name} of ${ifname}`, 'EINVAL');
  return `/proc/sys/net/${v}/conf/${ifname}/${name}`;
}

async function readSysctl(v: 'ipv4' | 'ipv6', ifname: string, name: string): Promise<number> {
  return Number((await readFile(sysctlPath(v, ifname, name), 'utf8')).trim());
}

async function writeSysctl(v: 'ipv4' | 'ipv6', ifname: string, name: string, value: number): Promise<void> {
  try {
    await writeFile(sysctlPath(v, ifname, name), `${value}\n`);
  } catch (error) {
    if (error instanceof SystemCallError) throw error;
    const errno = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new SystemCallError(`set net.${v}.conf.${ifname}.${name}=${value}`, errno);
  }
}

/** baseState counts the VMACs on each base interface and keeps its arp_ignore/arp_filter to put back. */
const baseState = new Map<string, { count: number; arpIgnore: number; arpFilter: number }>();
/** rpFilterAll is net.ipv4.conf.all.rp_filter before the first VMAC cleared it (undefined: untouched). */
let rpFilterAll: number | undefined;
let vmacCount = 0;

/** clearRpFilter moves a non-zero all.rp_filter onto every interface and clears it (keepalived's clear_rp_filter). */
async function clearRpFilter(): Promise<void> {
  const all = await readSysctl('ipv4', 'all', 'rp_filter').catch(() => 0);
  if (all === 0) return;
  for (const ifname of await readdir('/proc/sys/net/ipv4/conf')) {
    if (ifname === 'all') continue;
    const own = await readSysctl('ipv4', ifname, 'rp_filter').catch(() => all);
    if (own < all) await writeSysctl('ipv4', ifname, 'rp_filter', all).catch(() => undefined);
  }
  await writeSysctl('ipv4', 'all', 'rp_filter', 0);
  rpFilterAll = all;
}

async function findLink(name: string) {
  const links = await rtnetlink()
    .getLink({}, { ifname: name })
    .catch((error: unknown) => {
      if (netlinkErrno(error) === 'ENODEV') return [];
      throw netlinkError(`look up ${name}`, error);
    });
  return links[0];
}

async function deleteLinkIndex(index: number, name: string): Promise<void> {
  try {
    await rtnetlink().delLink({ index });
  } catch (error) {
    if (netlinkErrno(error) !== 'ENODEV') throw netlinkError(`delete link ${name}`, error);
  } finally {
    forgetLinkIndex(name);
  }
}

/**
 * addVmac creates (or takes over, when one with the right MAC and base is left from a previous
 * run) the VMAC of an instance, sets keepalived's sysctls and brings it up. It resolves to the
 * step that deletes it and puts the base interface's settings back.
 */
export async function addVmac(spec: VmacSpec, log: Logger = silentLogger): Promise<() => Promise<void>> {
  const mac = vmacAddress(spec.vrid, spec.family);
  const macBytes = Buffer.from(mac.split(':').map((h) => Number.parseInt(h, 16)));
  const baseIndex = await linkIndex(spec.base);
  const existing = await findLink(spec.name);
  let created = true;
  if (existing) {
    const kind = linkInfoKind(existing.attrs.linkinfo);
    const sameBase = existing.attrs.link === baseIndex;
    if (kind !== 'macvlan')
      throw new KeepvipError(
        'E_VMAC_EXISTS',
        `${spec.name} exists and is not a VMAC interface (${kind ?? 'physical'})`,
      );
    if (existing.attrs.address?.equals(macBytes) && sameBase) created = false;
    else {
      log.info(`vmac: removing old VMAC interface ${spec.name} (wrong MAC or interface)`);
      await deleteLinkIndex(existing.data.index, spec.name);
    }
  }
  if (created) {
    try {
      await rtnetlink().newLink(
        {},
        { ifname: spec.name, address: macBytes, link: baseIndex, linkinfo: encodeMacvlanLinkInfo() },
        NLM_F_CREATE | NLM_F_EXCL,
      );
    } catch (error) {
      throw netlinkError(`create VMAC interface ${spec.name} on ${spec.base}`, error);
    }
    log.info(`Success creating VMAC interface ${spec.name} (${mac} on ${spec.base})`);
  }
  forgetLinkIndex(spec.name);
  const index = await linkIndex(spec.name);
  vmacCount++;
  if (spec.family === 'inet') {
    for (const [name, value] of [
      ['arp_ignore', 1],
      ['accept_local', 1],
      ['rp_filter', 0],
      ['promote_secondaries', 1],
    ] as const)
      await writeSysctl('ipv4', spec.name, name, value);
    const base = baseState.get(spec.base);
    if (base) base.count++;
    else {
      baseState.set(spec.base, {
        count: 1,
        arpIgnore: await readSysctl('ipv4', spec.base, 'arp_ignore'),
        arpFilter: await readSysctl('ipv4', spec.base, 'arp_filter'),
      });
      await writeSysctl('ipv4', spec.base, 'arp_ignore', 1);
      await writeSysctl('ipv4', spec.base, 'arp_filter', 1);
    }
    if (rpFilterAll === undefined) await clearRpFilter();
    // No IPv6 on an IPv4 VMAC: nothing (DAD, router solicitations) leaves it with the virtual MAC.
    await writeSysctl('ipv6', spec.name, 'disable_ipv6', 1).catch(() => undefined);
  } else {
    // RFC 5798 7.4: no link-local address from the virtual MAC; the base's one is the source.
    await writeSysctl('ipv6', spec.name, 'addr_gen_mode', 1).catch(() => undefined);
    const ll = (await listAddresses()).find(
      (a) => a.dev === spec.base && a.family === 'inet6' && a.address.toLowerCase().startsWith('fe80:'),
    );
    if (ll)
      await addAddress(
        { address: ll.address, family: 'inet6', prefixLength: 64, dev: spec.name, scope: 'link' },
        log,
      );
  }
  try {
    await rtnetlink().setLink({ index, flags: IFF_UP, change: IFF_UP });
  } catch (error) {
    throw netlinkError(`bring up ${spec.name}`, error);
  }
  let removed = false;
  return async () => {
    if (removed) return;
    removed = true;
    await deleteLinkIndex(index, spec.name);
    log.info(`vmac: Success removing VMAC interface ${spec.name}`);
    vmacCount--;
    const base = baseState.get(spec.base);
    if (spec.family === 'inet' && base && --base.count === 0) {
      baseState.delete(spec.base);
      await writeSysctl('ipv4', spec.base, 'arp_ignore', base.arpIgnore).catch(() => undefined);
      await writeSysctl('ipv4', spec.base, 'arp_filter', base.arpFilter).catch(() => undefined);
    }
    if (vmacCount === 0 && rpFilterAll !== undefined) {
      await writeSysctl('ipv4', 'all', 'rp_filter', rpFilterAll).catch(() => undefined);
      rpFilterAll = undefined;
    }
  };
}
