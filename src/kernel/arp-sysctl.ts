/**
 * The IPv4 ARP sysctls an LVS-DR real server needs (net.ipv4.conf.*.arp_ignore / arp_announce),
 * read and written under /proc/sys of the network namespace keepvip runs in. The kernel applies
 * the maximum of `all` and the interface's own value (IN_DEV_ARP_IGNORE / IN_DEV_ARP_ANNOUNCE in
 * include/linux/inetdevice.h), so that is what `effectiveArpSysctl` reports.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SystemCallError } from '../util/errors.js';

/** ArpSysctl names the two sysctls. */
export type ArpSysctl = 'arp_ignore' | 'arp_announce';

const IFNAME_RE = /^[A-Za-z0-9_.:@-]{1,15}$/;

/** PROC_IPV4_CONF is where the per-interface IPv4 sysctls live. */
export const PROC_IPV4_CONF = '/proc/sys/net/ipv4/conf';

function path(ifname: string, name: ArpSysctl, root: string): string {
  if (!IFNAME_RE.test(ifname) || ifname.includes('..'))
    throw new SystemCallError(`sysctl ${name} of ${ifname}`, 'EINVAL');
  return `${root}/${ifname}/${name}`;
}

/** readArpSysctl reads net.ipv4.conf.IFNAME.NAME. */
export function readArpSysctl(ifname: string, name: ArpSysctl, root = PROC_IPV4_CONF): number {
  try {
    return Number(readFileSync(path(ifname, name, root), 'utf8').trim());
  } catch (e) {
    if (e instanceof SystemCallError) throw e;
    throw new SystemCallError(`read ${name} of ${ifname}`, (e as NodeJS.ErrnoException).code ?? 'EIO');
  }
}

/** writeArpSysctl writes net.ipv4.conf.IFNAME.NAME. */
export function writeArpSysctl(ifname: string, name: ArpSysctl, value: number, root = PROC_IPV4_CONF): void {
  try {
    writeFileSync(path(ifname, name, root), `${value}\n`);
  } catch (e) {
    if (e instanceof SystemCallError) throw e;
    throw new SystemCallError(`write ${name} of ${ifname}`, (e as NodeJS.ErrnoException).code ?? 'EIO');
  }
}

/** ipv4Interfaces lists the interfaces with IPv4 sysctls (without `all` and `default`). */
export function ipv4Interfaces(root = PROC_IPV4_CONF): string[] {
  return readdirSync(root)
    .filter((n) => n !== 'all' && n !== 'default')
    .sort();
}

/** effectiveArpSysctl is the value the kernel uses on an interface: max(all, interface). */
export function effectiveArpSysctl(ifname: string, name: ArpSysctl, root = PROC_IPV4_CONF): number {
  return Math.max(readArpSysctl('all', name, root), readArpSysctl(ifname, name, root));
}
