import { describeInterop } from './interop.js';

// Unicast VRRP (keepalived's unicast_src_ip / unicast_peer): adverts go to the peer's address
// instead of the multicast group. VRRPv2 with PASS over IPv4 (the common cloud setting), and
// VRRPv3 over IPv6 with global addresses.
describeInterop({
  name: 'unicast VRRPv2 PASS IPv4',
  prefix: 'kviu4',
  version: 2,
  family: 'inet',
  advertIntSec: 1,
  virtualRouterId: 74,
  authPass: 'kviupass',
  unicast: true,
});

describeInterop({
  name: 'unicast VRRPv3 IPv6',
  prefix: 'kviu6',
  version: 3,
  family: 'inet6',
  advertIntSec: 0.2,
  virtualRouterId: 76,
  unicast: true,
});
