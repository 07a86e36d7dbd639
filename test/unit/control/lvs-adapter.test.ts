/** lvsViewOf reads the LVS part's service keys (lvs/desired.ts serviceKey) for every kind of service. */
import { describe, expect, it } from 'vitest';
import { lvsViewOf } from '../../../src/control/lvs-adapter.js';
import { NO_IPVS } from '../../../src/control/lvs-view.js';
import type { LvsStatus } from '../../../src/lvs/status.js';

const status = (key: string): LvsStatus => ({
  state: 'programmed',
  reconciles: 1,
  operations: 1,
  virtualServers: [
    {
      key: 'vs',
      quorum: { up: true, liveWeight: 1, quorum: 1, hysteresis: 0, sorryInUse: false },
      realServers: [
        { key: 'rs', address: 'fd00::2', port: 8080, alive: false, weight: 1, reason: 'timeout' },
      ],
      services: [
        {
          key,
          scheduler: 'sh',
          flags: 0,
          persistenceTimeoutS: 0,
          destinations: [{ address: 'fd00::2', port: 8080, forward: 'nat', weight: 1 }],
        },
      ],
    },
  ],
});

describe('lvsViewOf', () => {
  const cases: [string, object][] = [
    ['inet tcp [10.0.0.1]:80', { family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 }],
    ['inet6 udp [fd00::1]:53', { family: 'inet6', protocol: 'udp', address: 'fd00::1', port: 53 }],
    ['inet sctp [10.0.0.1]:3868', { family: 'inet', protocol: 'sctp', address: '10.0.0.1', port: 3868 }],
    ['inet6 fwmark 12', { family: 'inet6', fwmark: 12 }],
  ];
  for (const [key, want] of cases)
    it(`parses ${key}`, () => {
      expect(lvsViewOf(status(key)).services[0]).toMatchObject(want);
    });

  it('joins each destination with its real server verdict (IPv6 address)', () => {
    expect(lvsViewOf(status('inet6 tcp [fd00::1]:80')).services[0]!.destinations[0]).toEqual({
      address: 'fd00::2',
      port: 8080,
      family: 'inet6',
      forward: 'nat',
      weight: 1,
      activeConns: 0,
      inactConns: 0,
      alive: false,
      reason: 'timeout',
    });
  });

  it('no virtual servers, or no section at all, is NO_IPVS; a kernel without IPVS says why', () => {
    expect(lvsViewOf(undefined)).toBe(NO_IPVS);
    expect(lvsViewOf({ state: 'not-configured', reconciles: 0, operations: 0, virtualServers: [] })).toBe(
      NO_IPVS,
    );
    const v = lvsViewOf({
      ...status('inet tcp [10.0.0.1]:80'),
      state: 'not-programmed',
      reason: 'no IPVS in this kernel',
    });
    expect(v).toMatchObject({ programmed: false, reason: 'no IPVS in this kernel' });
  });
});
