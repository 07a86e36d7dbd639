import { run } from './netns.js';
import type { TopoNode } from './topology.js';

/** VRRP_TABLE is the nftables table the fault helpers own (named so it never clashes with a test's own). */
export const VRRP_TABLE = 'kv_fault_vrrp';

/** DropWhere chooses where VRRP is dropped: in the node's IP stack, or on its bridge port. */
export type DropWhere = 'node' | 'bridge';

// IANA protocol 112 is VRRP for both IPv4 and IPv6 (RFC 5798 section 5.1.1.4 / 5.1.2.4).
// `meta l4proto` matches the transport protocol after any IPv6 extension headers, which
// `ip6 nexthdr` would not.
function nodeRules(): string {
  return `table inet ${VRRP_TABLE} {
  chain input_vrrp { type filter hook input priority -300; policy accept; meta l4proto 112 drop; }
  chain output_vrrp { type filter hook output priority -300; policy accept; meta l4proto 112 drop; }
}
`;
}

// On the bridge the drop also hides adverts from packet (AF_PACKET) sockets on the node,
// which see frames before the node's input hook would drop them.
function bridgeRules(port: string): string {
  return `table bridge ${VRRP_TABLE}_${port.replace(/-/g, '_')} {
  chain forward_vrrp {
    type filter hook forward priority -300; policy accept;
    iifname "${port}" meta l4proto 112 drop
    oifname "${port}" meta l4proto 112 drop
  }
}
`;
}

/**
 * dropVrrp makes `node` deaf and mute for VRRP: by default nftables inside the node drops IP
 * protocol 112 in and out (a split brain: both sides become MASTER); `where: 'bridge'` drops
 * it on the node's bridge port instead.
 */
export async function dropVrrp(node: TopoNode, where: DropWhere = 'node'): Promise<void> {
  await restoreVrrp(node, where);
  if (where === 'node') await node.exec('nft', ['-f', '-'], { input: nodeRules() });
  else
    await run('ip', ['netns', 'exec', node.bridgeNetns, 'nft', '-f', '-'], {
      input: bridgeRules(node.bridgePort),
    });
}

/** restoreVrrp removes what dropVrrp added (no error if it was not there). */
export async function restoreVrrp(node: TopoNode, where: DropWhere = 'node'): Promise<void> {
  if (where === 'node') {
    await node.exec('nft', ['delete', 'table', 'inet', VRRP_TABLE], { reject: false });
  } else {
    const table = `${VRRP_TABLE}_${node.bridgePort.replace(/-/g, '_')}`;
    await run('ip', ['netns', 'exec', node.bridgeNetns, 'nft', 'delete', 'table', 'bridge', table], {
      reject: false,
    });
  }
}

/**
 * linkDown pulls the node's cable: the bridge-side veth goes down, so the node's eth0 loses
 * carrier (NO-CARRIER, operstate DOWN) exactly as when a switch port or peer dies.
 */
export async function linkDown(node: TopoNode): Promise<void> {
  await run('ip', ['netns', 'exec', node.bridgeNetns, 'ip', 'link', 'set', node.bridgePort, 'down']);
}

/** linkUp plugs the cable back in. */
export async function linkUp(node: TopoNode): Promise<void> {
  await run('ip', ['netns', 'exec', node.bridgeNetns, 'ip', 'link', 'set', node.bridgePort, 'up']);
}

/**
 * deleteEth0 deletes the node's eth0 (the veth pair goes with it, bridge side included), as when
 * a driver unloads or a network manager tears the interface down; its addresses go with it.
 */
export async function deleteEth0(node: TopoNode): Promise<void> {
  await node.exec('ip', ['link', 'del', 'eth0']);
}

/**
 * recreateEth0 builds the node's eth0 again as createTopology did (a new veth to the bridge, the
 * node's IPv4 address, up); the new interface has a new index.
 */
export async function recreateEth0(node: TopoNode): Promise<void> {
  const br = node.bridgeNetns;
  await run('ip', [
    '-n',
    br,
    'link',
    'add',
    node.bridgePort,
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    node.netns,
  ]);
  await run('ip', ['-n', br, 'link', 'set', node.bridgePort, 'master', 'br0', 'up']);
  await node.exec('ip', ['addr', 'add', `${node.addr4}/24`, 'dev', 'eth0']);
  await node.exec('ip', ['link', 'set', 'eth0', 'up']);
}

/** renameLink renames an interface of the node (it must be down to be renamed), then brings it up again. */
export async function renameLink(node: TopoNode, from: string, to: string): Promise<void> {
  await node.exec('ip', ['link', 'set', from, 'down']);
  await node.exec('ip', ['link', 'set', from, 'name', to]);
  await node.exec('ip', ['link', 'set', to, 'up']);
}

/**
 * replacePrimary4 changes the node's primary IPv4 address on `dev` under a running daemon: the
 * new address is added (a secondary), then the old primary deleted with promote_secondaries on,
 * so the kernel promotes the new one instead of deleting every secondary of the subnet.
 */
export async function replacePrimary4(node: TopoNode, dev: string, from: string, to: string): Promise<void> {
  await node.exec('sysctl', ['-qw', `net.ipv4.conf.${dev}.promote_secondaries=1`]);
  await node.exec('ip', ['addr', 'add', to, 'dev', dev]);
  await node.exec('ip', ['addr', 'del', from, 'dev', dev]);
}
