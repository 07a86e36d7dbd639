/**
 * scaleVrrpConfig renders the issue-11/15 scale configuration: `count` vrrp_instances VI_1..VI_N
 * (VRRPv3, advert_int 0.1, VRIDs 1..N on one interface, one /32 VIP each), as both keepalived and
 * keepvip read it.
 */
export interface ScaleConfigOptions {
  routerId: string;
  /** count is the number of instances (1..255). */
  count: number;
  priority: number;
  state: 'MASTER' | 'BACKUP';
  /** vipOf returns the VIP of instance i (1-based), e.g. 10.78.x.y. */
  vipOf: (i: number) => string;
  interface?: string;
  advertIntSec?: number;
}

/** scaleVrrpConfig renders the configuration text. */
export function scaleVrrpConfig(o: ScaleConfigOptions): string {
  const dev = o.interface ?? 'eth0';
  const parts = [`global_defs {\n  router_id ${o.routerId}\n  vrrp_version 3\n}\n`];
  for (let i = 1; i <= o.count; i++) {
    parts.push(
      [
        `vrrp_instance VI_${i} {`,
        `  state ${o.state}`,
        `  interface ${dev}`,
        `  virtual_router_id ${i}`,
        `  priority ${o.priority}`,
        `  advert_int ${o.advertIntSec ?? 0.1}`,
        '  virtual_ipaddress {',
        `    ${o.vipOf(i)}/32 dev ${dev}`,
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  }
  return parts.join('\n');
}

/** scaleVip is the VIP of instance i in a /24 base like '10.77.5': 10.(200 + i>>8).(i & 255)... kept on-link. */
export function scaleVip(subnet4Base: string, i: number): string {
  // Instances 1..255 get the host numbers of a second /24 next to the nodes' own: base.X with
  // X = i would collide with nodes (1, 2) and the client (250), so use the /24 above it.
  const [a, b, c] = subnet4Base.split('.').map(Number);
  return `${a}.${b}.${(c! + 100) % 256}.${i}`;
}
