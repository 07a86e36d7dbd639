/** The pair check: findings that predict split brain or the wrong master (named cases). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { KeepvipConfig } from '../../../src/config/model.js';
import { checkPair } from '../../../src/config/pair-check.js';
import { load } from './build-helper.js';
import { SEED_CONFIGS } from '../../helpers/seeds.js';

const node = (file: string, routerId: string, instances: string): KeepvipConfig =>
  load(`global_defs {\n router_id ${routerId}\n}\n${instances}`, file).config!;

const inst = (
  o: {
    vrid?: number;
    state?: string;
    priority?: number;
    vip?: string;
    auth?: string;
    advert?: string;
    version?: number;
    extra?: string;
  } = {},
) =>
  `vrrp_instance VI_${o.vrid ?? 51} {
 state ${o.state ?? 'BACKUP'}
 interface eth0
 virtual_router_id ${o.vrid ?? 51}
 priority ${o.priority ?? 100}
 advert_int ${o.advert ?? '1'}
 ${o.version ? `version ${o.version}` : ''}
 ${o.auth === undefined ? 'authentication {\n auth_type PASS\n auth_pass 1111\n }' : o.auth}
 virtual_ipaddress {
  ${o.vip ?? '10.0.0.100/24'}
 }
 ${o.extra ?? ''}
}
`;

const codesOf = (a: KeepvipConfig, b: KeepvipConfig) => checkPair(a, b).map((d) => `${d.severity}:${d.code}`);

describe('checkPair', () => {
  it('a correct pair: MASTER 150 / BACKUP 100, same VIPs, auth, advert, version', () => {
    const a = node('a.conf', 'n1', inst({ state: 'MASTER', priority: 150 }));
    const b = node('b.conf', 'n2', inst({ priority: 100 }));
    expect(checkPair(a, b)).toEqual([]);
  });

  it.each([
    ['pair-vips: different VIPs', {}, { vip: '10.0.0.101/24' }, ['error:pair-vips']],
    ['pair-vips: different prefix', {}, { vip: '10.0.0.100/16' }, ['error:pair-vips']],
    [
      'pair-auth: different password',
      {},
      { auth: 'authentication {\n auth_type PASS\n auth_pass 2222\n }' },
      ['error:pair-auth'],
    ],
    ['pair-auth: one side without authentication', {}, { auth: '' }, ['error:pair-auth']],
    ['pair-advert-int: 1 s vs 2 s', {}, { advert: '2' }, ['error:pair-advert-int']],
    [
      'pair-version: 2 vs 3 (auth dropped on v3 as well)',
      { auth: '' },
      { auth: '', version: 3 },
      ['error:pair-version'],
    ],
    [
      'pair-priority-order: BACKUP side has the higher priority',
      {},
      { priority: 200 },
      ['warning:pair-priority-order'],
    ],
    [
      'pair-equal-priority: addresses decide',
      { priority: 100 },
      { priority: 100 },
      ['warning:pair-equal-priority'],
    ],
    ['pair-both-master', { priority: 150 }, { state: 'MASTER', priority: 100 }, ['warning:pair-both-master']],
  ])('%s', (_name, aOpts, bOpts, expected) => {
    const a = node('a.conf', 'n1', inst({ state: 'MASTER', priority: 150, ...aOpts }));
    const b = node('b.conf', 'n2', inst({ priority: 100, ...bOpts }));
    expect(codesOf(a, b)).toEqual(expected);
  });

  it('pair-priority-order names the winner and where MASTER was written', () => {
    const a = node('a.conf', 'n1', inst({ state: 'MASTER', priority: 100 }));
    const b = node('b.conf', 'n2', inst({ priority: 200 }));
    const [d] = checkPair(a, b);
    expect(d).toMatchObject({ file: 'a.conf', severity: 'warning' });
    expect(d!.message).toBe(
      'VRID 51 (VI_51 / VI_51): state MASTER is written on a.conf but b.conf has the higher priority (200 > 100) and will take over',
    );
  });

  it('pair-vrid-one-side: a VRID on one node only, anchored in that node', () => {
    const a = node(
      'a.conf',
      'n1',
      inst({ state: 'MASTER', priority: 150 }) + inst({ vrid: 52, vip: '10.0.0.52' }),
    );
    const b = node('b.conf', 'n2', inst({ priority: 100 }));
    const ds = checkPair(a, b);
    expect(ds.map((d) => `${d.file}:${d.code}`)).toEqual(['a.conf:pair-vrid-one-side']);
  });

  it('pair-router-id: the 001 seed pair really has router_id node1 on both nodes', () => {
    const seeds = SEED_CONFIGS;
    const a = loadConfig(join(seeds, '001-node1-master.conf')).config!;
    const b = loadConfig(join(seeds, '001-node2-backup.conf')).config!;
    const ds = checkPair(a, b);
    expect(ds.map((d) => `${d.severity}:${d.code}`)).toEqual(['warning:pair-router-id']);
    expect(ds[0]).toMatchObject({ file: join(seeds, '001-node2-backup.conf'), line: 2 });
    expect(ds[0]!.message).toContain("router_id 'node1'");
  });

  it('the 003 dual-master pair is consistent: each side masters one VRID', () => {
    const seeds = SEED_CONFIGS;
    const a = loadConfig(join(seeds, '003-lb01-dual-master.conf')).config!;
    const b = loadConfig(join(seeds, '003-lb02-dual-master.conf')).config!;
    expect(checkPair(a, b)).toEqual([]);
  });
});
