import { describe, expect, it } from 'vitest';
import type { IpvsDestination, IpvsService, IpvsTable } from '../../../src/kernel/ipvs/types.js';
import { serviceKey } from '../../../src/lvs/desired.js';
import { diffTables, planSize } from '../../../src/lvs/diff.js';

const svc = (port: number, over: Partial<IpvsService> = {}): IpvsService => ({
  id: { family: 'inet', protocol: 'tcp', address: '10.0.0.1', port },
  schedName: 'rr',
  flags: 0,
  timeout: 0,
  netmask: 32,
  ...over,
});
const dest = (n: number, weight = 1, over: Partial<IpvsDestination> = {}): IpvsDestination => ({
  address: `10.0.1.${n}`,
  family: 'inet',
  port: 80,
  forward: 'dr',
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
  ...over,
});
const table = (...entries: [IpvsService, IpvsDestination[]][]): IpvsTable => ({
  services: entries.map(([service, destinations]) => ({ service, destinations })),
});
const ops = (plan: ReturnType<typeof diffTables>) =>
  plan.map((phase) =>
    phase.map((o) =>
      'destination' in o
        ? `${o.op} ${o.destination.address} ${o.destination.weight}`
        : `${o.op} ${serviceKey('service' in o ? o.service.id : o.id)}`,
    ),
  );

describe('diffTables', () => {
  it('equal tables: nothing to do (the kernel HASHED bit and counters are ignored)', () => {
    const want = table([svc(80), [dest(1), dest(2)]]);
    const got = table([svc(80, { flags: 0x2 }), [dest(1, 1, { activeConns: 5 }), dest(2)]]);
    expect(diffTables(want, got)).toEqual([]);
  });

  it('empty kernel: services first, then their destinations', () => {
    expect(ops(diffTables(table([svc(80), [dest(1)]]), table()))).toEqual([
      ['add-service inet tcp [10.0.0.1]:80'],
      ['add-destination 10.0.1.1 1'],
    ]);
  });

  it('one weight change in a 10,000-destination table is one edit', () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      dest(i, 1, { address: `10.${(i >> 8) & 255}.${i & 255}.1` }),
    );
    const changed = many.map((d, i) => (i === 4242 ? { ...d, weight: 5 } : d));
    const plan = diffTables(table([svc(80), changed]), table([svc(80), many]));
    expect(planSize(plan)).toBe(1);
    expect(plan[0]![0]).toMatchObject({ op: 'edit-destination', destination: { weight: 5 } });
  });

  it('additions before removals (a sorry server is in before the real servers leave)', () => {
    const plan = ops(diffTables(table([svc(80), [dest(9)]]), table([svc(80), [dest(1), dest(2)]])));
    expect(plan).toEqual([
      ['add-destination 10.0.1.9 1'],
      ['delete-destination 10.0.1.1 1', 'delete-destination 10.0.1.2 1'],
    ]);
  });

  it('services of others are left alone; a formerly owned service no longer wanted is deleted', () => {
    const foreign = svc(443);
    const old = svc(8080);
    const got = table([foreign, [dest(1)]], [old, [dest(1)]]);
    expect(diffTables(table(), got)).toEqual([]);
    expect(ops(diffTables(table(), got, new Set([serviceKey(old.id)])))).toEqual([
      ['delete-service inet tcp [10.0.0.1]:8080'],
    ]);
  });

  it('a scheduler or persistence change edits the service in place', () => {
    expect(ops(diffTables(table([svc(80, { schedName: 'wlc' }), []]), table([svc(80), []])))).toEqual([
      ['edit-service inet tcp [10.0.0.1]:80'],
    ]);
  });

  it('a destination the kernel made LOCALNODE is not edited again and again', () => {
    const want = table([svc(80), [dest(1, 1, { forward: 'nat' })]]);
    const got = table([svc(80), [dest(1, 1, { forward: 'dr', localNode: true })]]);
    expect(diffTables(want, got)).toEqual([]);
  });

  it('tunnel attributes count only for TUN', () => {
    const want = table([
      svc(80),
      [dest(1, 1, { forward: 'tun', tunType: 'gue', tunPort: 6080, tunFlags: 0 })],
    ]);
    const got = table([svc(80), [dest(1, 1, { forward: 'tun', tunType: 'ipip', tunPort: 0, tunFlags: 0 })]]);
    expect(ops(diffTables(want, got))).toEqual([['edit-destination 10.0.1.1 1']]);
  });
});
