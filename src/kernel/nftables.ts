/**
 * The nftables rules keepalived 2.2.7 installs for instances that do not accept traffic to their
 * VIPs (`no_accept`, or `vrrp_strict` without `accept`; vrrp_nftables.c): table `ip keepalived`
 * / `ip6 keepalived` with a set `vips`, and chains `in` / `out` at filter priority -1 dropping
 * traffic to and from the set (IPv6 lets neighbour discovery through). A MASTER puts its VIPs
 * (and excluded addresses) into the set; leaving MASTER takes them out; stop deletes the tables.
 * Written with `nft -f -` so the ruleset is exactly what `nft list ruleset` shows for keepalived.
 */
import { execFile } from 'node:child_process';
import { isIPv4 } from 'node:net';
import { KeepvipError } from '../util/errors.js';

/** NFT_TABLE is keepalived's DEFAULT_NFTABLES_TABLE. */
export const NFT_TABLE = 'keepalived';

const TABLE_V4 = `table ip ${NFT_TABLE} {
  set vips { type ipv4_addr; }
  chain out { type filter hook output priority filter - 1; policy accept; ip saddr @vips drop; }
  chain in { type filter hook input priority filter - 1; policy accept; ip daddr @vips drop; }
}`;

// keepalived lets NS/NA through and sends link-local addresses to per-interface chains (empty
// unless a VIP is link-local, which keepvip does not put in the set). The chains are made in
// keepalived's order (out, in, then the link-local ones), so `nft list ruleset` reads the same.
const TABLE_V6 = `table ip6 ${NFT_TABLE} {
  set vips { type ipv6_addr; }
  set neighbor-discovery { type icmpv6_type; flags constant; elements = { nd-neighbor-solicit, nd-neighbor-advert }; }
  chain out { type filter hook output priority filter - 1; policy accept; }
  chain in { type filter hook input priority filter - 1; policy accept; }
  chain in_link_local { }
  chain out_link_local { }
}
add rule ip6 ${NFT_TABLE} out icmpv6 type @neighbor-discovery accept
add rule ip6 ${NFT_TABLE} out ip6 saddr fe80::/10 goto out_link_local
add rule ip6 ${NFT_TABLE} out ip6 saddr @vips drop
add rule ip6 ${NFT_TABLE} in icmpv6 type @neighbor-discovery accept
add rule ip6 ${NFT_TABLE} in ip6 daddr fe80::/10 goto in_link_local
add rule ip6 ${NFT_TABLE} in ip6 daddr @vips drop`;

/** nft runs `nft -f -` with a script; rejects with E_NFT and nft's message. */
function nft(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('nft', ['-f', '-'], { timeout: 10_000 }, (error, _stdout, stderr) => {
      if (error) reject(new KeepvipError('E_NFT', `nft failed: ${stderr.trim() || error.message}`));
      else resolve();
    });
    child.stdin?.end(script);
  });
}

const created = new Set<'ip' | 'ip6'>();

/** ensureTable creates the family's table once per process, replacing one left by a crash. */
async function ensureTable(family: 'ip' | 'ip6'): Promise<void> {
  if (created.has(family)) return;
  // `add table` + `delete table` removes any earlier copy (ours after a crash) without failing.
  await nft(
    `add table ${family} ${NFT_TABLE}\ndelete table ${family} ${NFT_TABLE}\n${family === 'ip' ? TABLE_V4 : TABLE_V6}\n`,
  );
  created.add(family);
}

function byFamily(addresses: readonly string[]): { ip: string[]; ip6: string[] } {
  const ip = addresses.filter((a) => isIPv4(a));
  // Link-local VIPs go to keepalived's per-interface sets, which keepvip does not build.
  const ip6 = addresses.filter((a) => !isIPv4(a) && !/^fe[89ab]/i.test(a));
  return { ip, ip6 };
}

/** nftBlockVips puts addresses into the `vips` sets: traffic to and from them is dropped. */
export async function nftBlockVips(addresses: readonly string[]): Promise<void> {
  for (const [family, list] of Object.entries(byFamily(addresses)) as ['ip' | 'ip6', string[]][]) {
    if (list.length === 0) continue;
    await ensureTable(family);
    await nft(`add element ${family} ${NFT_TABLE} vips { ${list.join(', ')} }\n`);
  }
}

/** nftUnblockVips takes addresses out of the `vips` sets; one that is not there counts as done. */
export async function nftUnblockVips(addresses: readonly string[]): Promise<void> {
  for (const [family, list] of Object.entries(byFamily(addresses)) as ['ip' | 'ip6', string[]][]) {
    if (!created.has(family)) continue;
    for (const a of list)
      await nft(`delete element ${family} ${NFT_TABLE} vips { ${a} }\n`).catch(() => undefined);
  }
}

/** nftCleanup deletes the tables this process created (keepalived removes them at stop). */
export async function nftCleanup(): Promise<void> {
  for (const family of [...created]) {
    await nft(`delete table ${family} ${NFT_TABLE}\n`).catch(() => undefined);
    created.delete(family);
  }
}
