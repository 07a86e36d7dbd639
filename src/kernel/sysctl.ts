/**
 * Interface sysctls keepvip sets for an instance, written under /proc/sys of the network
 * namespace the daemon runs in (keepalived sets the same, vrrp_if_config.c).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { SystemCallError } from '../util/errors.js';

/** IFNAME_RE is what an interface name may look like in a /proc/sys path (no '/'). */
const IFNAME_RE = /^[A-Za-z0-9_.:@-]{1,15}$/;

function promotePath(ifname: string): string {
  if (!IFNAME_RE.test(ifname) || ifname === '.' || ifname === '..')
    throw new SystemCallError(`set promote_secondaries on ${ifname}`, 'EINVAL');
  return `/proc/sys/net/ipv4/conf/${ifname}/promote_secondaries`;
}

async function write(ifname: string, value: '0' | '1'): Promise<void> {
  try {
    await writeFile(promotePath(ifname), `${value}\n`);
  } catch (error) {
    if (error instanceof SystemCallError) throw error;
    const errno = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new SystemCallError(`set promote_secondaries=${value} on ${ifname}`, errno);
  }
}

/**
 * setPromoteSecondaries sets net.ipv4.conf.IFNAME.promote_secondaries=1 (vrrp_instance
 * promote_secondaries): when the primary address of a subnet is removed, a secondary address of
 * that subnet (a VIP) is promoted instead of being flushed with it. It returns the restore step,
 * or undefined when the setting was already on: as keepalived, keepvip puts back only what it changed.
 */
export async function setPromoteSecondaries(ifname: string): Promise<(() => Promise<void>) | undefined> {
  const before = (await readFile(promotePath(ifname), 'utf8').catch(() => '0')).trim();
  if (before === '1') return undefined;
  await write(ifname, '1');
  return () => write(ifname, '0');
}
