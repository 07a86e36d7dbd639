import { describeInterop } from './interop.js';

// VRRPv3 over IPv6 multicast ff02::12 (RFC 5798 5.1.2.2): an IPv6 VIP makes the instance IPv6
// on both daemons (keepalived needs no native_ipv6 for that), adverts come from eth0's
// link-local address; 200 ms interval.
describeInterop({
  name: 'VRRPv3 IPv6 multicast',
  prefix: 'kvi6',
  version: 3,
  family: 'inet6',
  advertIntSec: 0.2,
  virtualRouterId: 66,
});
