/**
 * A check `keepvip --config-test` runs on the director itself: a DR or TUN real server whose
 * address is one of this host's own addresses. IPVS then delivers locally (the kernel turns the
 * destination into IP_VS_CONN_F_LOCALNODE) instead of forwarding, which is rarely meant on a
 * director: usually the real server's configuration was copied to the director by mistake, or the
 * VIP list of `keepvip realserver` ran here.
 */
import { networkInterfaces } from 'node:os';
import { type Diagnostic, diagnostic } from './diagnostics.js';
import type { KeepvipConfig } from './model.js';

/** localAddresses lists this host's interface addresses (in the network namespace keepvip runs in). */
export function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) out.add(a.address.replace(/%.*$/, ''));
  return out;
}

/** checkLocalRealServers warns for each DR/TUN real server whose address is local to this director. */
export function checkLocalRealServers(
  config: KeepvipConfig,
  local: ReadonlySet<string> = localAddresses(),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const vs of config.virtualServers) {
    for (const rs of vs.realServers) {
      if (rs.forward === 'NAT' || !local.has(rs.address)) continue;
      out.push(
        diagnostic(
          rs.pos,
          'warning',
          'local-real-server',
          `real_server ${rs.address} (${rs.forward}) is an address of this director: IPVS will deliver to this host instead of forwarding (is this the real server's configuration?)`,
        ),
      );
    }
  }
  return out;
}
