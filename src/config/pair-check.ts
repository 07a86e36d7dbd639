/**
 * The pair check (`keepvip --config-test -f node1.conf --peer node2.conf`): the two nodes of an
 * HA pair must agree on each shared virtual router, or both become master (split brain). The
 * checks are the misconfigurations the seed write-ups name: different VIPs, authentication,
 * advert_int or version for one VRID (RFC 3768 section 7.1 / RFC 5798 section 6.4.2: an advert
 * whose interval or auth does not match is discarded, so each side thinks the other is gone),
 * priorities that elect a side other than the one written `state MASTER`, a shared router_id.
 */
import type { Diagnostic } from './diagnostics.js';
import { diagnostic } from './diagnostics.js';
import type { KeepvipConfig, VrrpInstance } from './model.js';

/** vipKey is how a VIP is compared across nodes: address and prefix (dev and label are local). */
const vipKey = (v: VrrpInstance['virtualIpAddresses'][number]): string => `${v.address}/${v.prefixLength}`;

/** routerKey identifies a virtual router across the pair: VRID and family (interface names may differ per host). */
const routerKey = (vi: VrrpInstance): string => `${vi.family}/${vi.virtualRouterId}`;

/** checkPair compares the two nodes of a pair and returns findings (Diagnostic[] anchored in either file). */
export function checkPair(a: KeepvipConfig, b: KeepvipConfig): Diagnostic[] {
  const out: Diagnostic[] = [];
  const nameA = a.files[0] ?? 'first node';
  const nameB = b.files[0] ?? 'peer';
  if (a.globalDefs.routerId === b.globalDefs.routerId) {
    const pos = b.globalDefs.pos ?? a.globalDefs.pos ?? { file: nameB, line: 1, col: 1 };
    out.push(
      diagnostic(
        pos,
        'warning',
        'pair-router-id',
        `both nodes have router_id '${b.globalDefs.routerId}'; give each node its own, or notifications and logs cannot tell them apart`,
      ),
    );
  }
  const byKey = (c: KeepvipConfig) => new Map(c.vrrpInstances.map((vi) => [routerKey(vi), vi]));
  const mapA = byKey(a);
  const mapB = byKey(b);
  for (const [key, x] of mapA) {
    const y = mapB.get(key);
    if (y === undefined) {
      out.push(
        diagnostic(
          x.pos,
          'warning',
          'pair-vrid-one-side',
          `vrrp_instance ${x.name} (VRID ${x.virtualRouterId}) has no counterpart in ${nameB}; that virtual router has no backup`,
        ),
      );
      continue;
    }
    out.push(...compareRouters(x, y, nameA, nameB));
  }
  for (const [key, y] of mapB) {
    if (!mapA.has(key)) {
      out.push(
        diagnostic(
          y.pos,
          'warning',
          'pair-vrid-one-side',
          `vrrp_instance ${y.name} (VRID ${y.virtualRouterId}) has no counterpart in ${nameA}; that virtual router has no backup`,
        ),
      );
    }
  }
  return out;
}

/** compareRouters checks one virtual router present on both nodes; findings are anchored at the peer's instance. */
function compareRouters(x: VrrpInstance, y: VrrpInstance, nameA: string, nameB: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const label = `VRID ${x.virtualRouterId} (${x.name} / ${y.name})`;
  const err = (code: string, message: string) =>
    out.push(diagnostic(y.pos, 'error', code, `${label}: ${message}`));
  const vipsX = x.virtualIpAddresses.map(vipKey).sort();
  const vipsY = y.virtualIpAddresses.map(vipKey).sort();
  if (vipsX.join(' ') !== vipsY.join(' ')) {
    err(
      'pair-vips',
      `the nodes hold different virtual addresses (${vipsX.join(', ') || 'none'} vs ${vipsY.join(', ') || 'none'})`,
    );
  }
  const authText = (vi: VrrpInstance) =>
    vi.authentication ? `${vi.authentication.type} '${vi.authentication.password}'` : 'none';
  if (authText(x) !== authText(y)) {
    // RFC 2338 section 7.1: an advert whose authentication does not match MUST be discarded.
    err(
      'pair-auth',
      `authentication differs (${authText(x)} vs ${authText(y)}); each node discards the other's adverts and both become MASTER`,
    );
  }
  if (x.advertIntervalMs !== y.advertIntervalMs) {
    // RFC 3768 section 7.1: an advert with a different Adver Int MUST be discarded (VRRPv2).
    err(
      'pair-advert-int',
      `advert_int differs (${x.advertIntervalMs / 1000} s vs ${y.advertIntervalMs / 1000} s); VRRPv2 nodes discard adverts with another interval`,
    );
  }
  if (x.version !== y.version) {
    err(
      'pair-version',
      `VRRP version differs (${x.version} vs ${y.version}); the nodes do not understand each other's adverts`,
    );
  }
  out.push(...checkElection(x, y, nameA, nameB, label));
  return out;
}

/** checkElection says which node the priorities make master and whether that is the one written `state MASTER`. */
function checkElection(
  x: VrrpInstance,
  y: VrrpInstance,
  nameA: string,
  nameB: string,
  label: string,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (vi: VrrpInstance, severity: 'error' | 'warning', code: string, message: string) =>
    out.push(diagnostic(vi.pos, severity, code, `${label}: ${message}`));
  const masterX = x.initialState === 'MASTER';
  const masterY = y.initialState === 'MASTER';
  if (x.priority === y.priority) {
    // RFC 5798 section 6.4.3: on equal priority the higher primary IP address wins.
    at(
      y,
      'warning',
      'pair-equal-priority',
      `both nodes have priority ${x.priority}; the one with the higher interface address becomes MASTER. Give the intended master a higher priority`,
    );
    return out;
  }
  const winner = x.priority > y.priority ? x : y;
  const winnerFile = winner === x ? nameA : nameB;
  const loser = winner === x ? y : x;
  if (masterX !== masterY) {
    const intended = masterX ? x : y;
    if (winner !== intended) {
      const preempts = !winner.nopreempt;
      at(
        intended,
        'warning',
        'pair-priority-order',
        `state MASTER is written on ${intended === x ? nameA : nameB} but ${winnerFile} has the higher priority (${winner.priority} > ${loser.priority})${preempts ? ' and will take over' : ''}`,
      );
    }
  } else if (masterX && masterY) {
    at(
      y,
      'warning',
      'pair-both-master',
      `both nodes say state MASTER; ${winnerFile} wins with priority ${winner.priority}`,
    );
  }
  return out;
}
