import { describeInterop } from './interop.js';

// VRRPv2 (RFC 3768) with PASS authentication (RFC 2338 type 1) over IPv4 multicast: the
// seed configurations' setting. VRRPv2 intervals are whole seconds, so this is the slow row.
describeInterop({
  name: 'VRRPv2 PASS IPv4 multicast',
  prefix: 'kvi2',
  version: 2,
  family: 'inet',
  advertIntSec: 1,
  virtualRouterId: 62,
  authPass: 'kvi2pass',
});
