/**
 * use_vmac, the pure parts: the RFC 5798 7.3 virtual router MAC, the IFLA_LINKINFO payload of a
 * private-mode macvlan (the bytes iproute2's `ip link add ... type macvlan mode private` sends),
 * and the configuration model (keepalived's default name vrrp.VRID, vmac_xmit_base).
 */
import { describe, expect, it } from 'vitest';
import { encodeMacvlanLinkInfo, linkInfoKind, vmacAddress } from '../../../src/kernel/vmac.js';
import { load } from '../config/build-helper.js';

const instance = (extra: string) =>
  `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 71\n${extra}\n  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n`;

describe('vmac', () => {
  it('vmacAddress is 00:00:5e:00:01:VRID for IPv4 and 00:00:5e:00:02:VRID for IPv6 (RFC 5798 7.3)', () => {
    expect(vmacAddress(71, 'inet')).toBe('00:00:5e:00:01:47');
    expect(vmacAddress(255, 'inet6')).toBe('00:00:5e:00:02:ff');
  });

  it('encodes IFLA_LINKINFO as iproute2 does: kind "macvlan", data { IFLA_MACVLAN_MODE = private }', () => {
    const info = encodeMacvlanLinkInfo();
    // len 11 type 1 "macvlan" pad | len 12 type 2 { len 8 type 1 u32 1 }
    expect(info.toString('hex')).toBe('0b0001006d6163766c616e000c0002000800010001000000');
    expect(linkInfoKind(info)).toBe('macvlan');
    expect(linkInfoKind(undefined)).toBeUndefined();
  });

  it('use_vmac without a name is vrrp.VRID; with one, that name; vmac_xmit_base is kept', () => {
    expect(load(instance('  use_vmac')).config?.vrrpInstances[0]?.useVmac).toBe('vrrp.71');
    const named = load(instance('  use_vmac vmac71\n  vmac_xmit_base')).config?.vrrpInstances[0];
    expect(named?.useVmac).toBe('vmac71');
    expect(named?.vmacXmitBase).toBe(true);
    const none = load(instance('  vmac_xmit_base')).config?.vrrpInstances[0];
    expect(none?.useVmac).toBeUndefined();
    expect(none?.vmacXmitBase).toBeUndefined();
  });

  it('warns about a use_vmac name that is no interface name and uses vrrp.VRID', () => {
    const r = load(instance('  use_vmac way-too-long-interface-name'));
    expect(r.config?.vrrpInstances[0]?.useVmac).toBe('vrrp.71');
    expect(r.diagnostics.map((d) => d.code)).toContain('vmac-name');
  });
});
