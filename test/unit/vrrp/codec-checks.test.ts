/** checkAdvertForInstance: the per-instance receive rules, as keepalived 2.2.7 applies them. */
import { describe, expect, it } from 'vitest';
import { type InstanceForChecks, checkAdvertForInstance } from '../../../src/vrrp/checks.js';
import { authDataFromPassword } from '../../../src/vrrp/codec.js';
import type { RejectReason, VrrpAdvert } from '../../../src/vrrp/packet.js';

const v2Instance: InstanceForChecks = {
  vrid: 51,
  version: 2,
  advertIntervalMs: 1000,
  authentication: { type: 'PASS', password: 'kvpass' },
  addresses: ['192.0.2.51', '192.0.2.151'],
};
const v2Advert: VrrpAdvert = {
  version: 2,
  vrid: 51,
  priority: 100,
  advertIntervalMs: 1000,
  addresses: ['192.0.2.151', '192.0.2.51'],
  authType: 1,
  authData: authDataFromPassword('kvpass'),
};
const v3Instance: InstanceForChecks = {
  vrid: 55,
  version: 3,
  advertIntervalMs: 1000,
  addresses: ['fe80::55', '2001:DB8:77:0::55'],
};
const v3Advert: VrrpAdvert = {
  version: 3,
  vrid: 55,
  priority: 100,
  advertIntervalMs: 1000,
  addresses: ['fe80::55', '2001:db8:77::55'],
  authType: 0,
};

describe('checkAdvertForInstance', () => {
  const cases: [string, VrrpAdvert, InstanceForChecks, RejectReason | 'ok'][] = [
    ['v2 PASS, addresses in another order', v2Advert, v2Instance, 'ok'],
    ['v3, instance addresses written non-canonically', v3Advert, v3Instance, 'ok'],
    [
      'v3 with a different interval (backups adopt it, RFC 5798 6.4.2)',
      { ...v3Advert, advertIntervalMs: 100 },
      v3Instance,
      'ok',
    ],
    [
      'v3 ignores a configured password (keepalived ignores auth in v3)',
      v3Advert,
      { ...v3Instance, authentication: { type: 'PASS', password: 'x' } },
      'ok',
    ],
    ['priority 0 is an ordinary advert here', { ...v2Advert, priority: 0 }, v2Instance, 'ok'],
    [
      'password longer than 8: keepalived truncates',
      { ...v2Advert, authData: authDataFromPassword('12345678') },
      { ...v2Instance, authentication: { type: 'PASS', password: '123456789' } },
      'ok',
    ],
    ['other VRID', { ...v2Advert, vrid: 52 }, v2Instance, 'unknown-vrid'],
    ['VRID 0', { ...v2Advert, vrid: 0 }, v2Instance, 'unknown-vrid'],
    ['v3 advert to a v2 instance', { ...v3Advert, vrid: 51 }, v2Instance, 'version'],
    [
      'no auth to a PASS instance',
      { ...v2Advert, authType: 0, authData: undefined },
      v2Instance,
      'auth-type',
    ],
    ['PASS to a no-auth instance', v2Advert, { ...v2Instance, authentication: undefined }, 'auth-type'],
    ['AH advert', { ...v2Advert, authType: 2, authData: undefined }, v2Instance, 'auth-type'],
    [
      'AH instance',
      v2Advert,
      { ...v2Instance, authentication: { type: 'AH', password: 'kvpass' } },
      'auth-type',
    ],
    ['wrong password', { ...v2Advert, authData: authDataFromPassword('kvpasS') }, v2Instance, 'auth'],
    [
      'password with a trailing byte',
      { ...v2Advert, authData: authDataFromPassword('kvpass1') },
      v2Instance,
      'auth',
    ],
    ['v2 interval 2 s vs 1 s', { ...v2Advert, advertIntervalMs: 2000 }, v2Instance, 'interval'],
    ['one address missing', { ...v2Advert, addresses: ['192.0.2.51'] }, v2Instance, 'address-count'],
    [
      'one address more',
      { ...v3Advert, addresses: [...v3Advert.addresses, 'fe80::56'] },
      v3Instance,
      'address-count',
    ],
    [
      'one address different',
      { ...v2Advert, addresses: ['192.0.2.51', '192.0.2.152'] },
      v2Instance,
      'addresses',
    ],
    ['duplicated address', { ...v2Advert, addresses: ['192.0.2.51', '192.0.2.51'] }, v2Instance, 'addresses'],
    // Order: VRID, version, auth type, password, interval, addresses.
    ['bad auth and interval', { ...v2Advert, authType: 0, advertIntervalMs: 3000 }, v2Instance, 'auth-type'],
    [
      'bad password and addresses',
      { ...v2Advert, authData: Buffer.alloc(8), addresses: [] },
      v2Instance,
      'auth',
    ],
  ];
  for (const [name, advert, instance, expected] of cases) {
    it(`${name}: ${expected}`, () => {
      const r = checkAdvertForInstance(advert, instance);
      expect(r.ok ? 'ok' : r.reason).toBe(expected);
    });
  }
});
