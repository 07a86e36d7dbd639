import { describeInterop } from './interop.js';

// VRRPv3 (RFC 5798) over IPv4 multicast 224.0.0.18 with a 200 ms advert interval, which both
// keepalived 2.2.7 and keepvip accept (centisecond intervals are VRRPv3 only).
describeInterop({
  name: 'VRRPv3 IPv4 multicast',
  prefix: 'kvi3',
  version: 3,
  family: 'inet',
  advertIntSec: 0.2,
  virtualRouterId: 63,
});
