import { describe, expect, it } from 'vitest';
import type { LvsEvent } from '../../../src/lvs/events.js';
import { lvsFifoLine } from '../../../src/lvs/events.js';
import { LvsReconciler, REREAD_DESTINATIONS_PER_S } from '../../../src/lvs/reconciler.js';
import { silentLogger } from '../../../src/util/logger.js';
import { FakeIpvs, TestClock } from './fake-ipvs.js';
import { DR2, lvsConfig, MemoryVerdicts } from './helpers.js';

const RS1 = '[192.168.23.20]:tcp:80 -> [192.168.23.134]:tcp:80';
const SEED = [
  'inet tcp [192.168.23.20]:80 -> [192.168.23.134]:80 dr 1',
  'inet tcp [192.168.23.20]:80 -> [192.168.23.135]:80 dr 1',
];

function setup(text = DR2, port = new FakeIpvs()) {
  const clock = new TestClock();
  const verdicts = new MemoryVerdicts();
  const events: LvsEvent[] = [];
  const r = new LvsReconciler({ port, clock, log: silentLogger, verdicts, onEvent: (e) => events.push(e) });
  return { r, port, clock, verdicts, events, config: lvsConfig(text) };
}

/** settle lets queued reconciles run (they are promise chains, no timers). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((res) => setImmediate(res));
};

describe('LvsReconciler', () => {
  it('programs the seed table from empty and reports it programmed', async () => {
    const t = setup();
    await t.r.start(t.config);
    expect(t.port.weights()).toEqual(SEED);
    const st = t.r.status();
    expect(st.state).toBe('programmed');
    expect(st.virtualServers[0]!.realServers.map((r) => [r.address, r.alive, r.tableWeight])).toEqual([
      ['192.168.23.134', true, 1],
      ['192.168.23.135', true, 1],
    ]);
    expect(st.virtualServers[0]!.services[0]!.destinations).toHaveLength(2);
  });

  it('a restart adopts the existing table: no delete, no add, no edit', async () => {
    const a = setup();
    await a.r.start(a.config);
    await a.r.stop(true);
    const b = setup(DR2, a.port);
    const before = a.port.log.length;
    await b.r.start(b.config);
    expect(a.port.log.slice(before)).toEqual([]);
    expect(a.port.weights()).toEqual(SEED);
  });

  it('ownership is recorded: a service dropped from the configuration while stopped (-I) is deleted at the next start', async () => {
    let record: string[] = [];
    const ownership = {
      load: () => record,
      save: (k: readonly string[]) => {
        record = [...k];
      },
      clear: () => {
        record = [];
      },
    };
    const two = `${DR2}\nvirtual_server 192.168.23.21 80 {\n protocol TCP\n real_server 192.168.23.134 80 {\n }\n}`;
    const port = new FakeIpvs();
    const a = new LvsReconciler({ port, clock: new TestClock(), log: silentLogger, ownership });
    await a.start(lvsConfig(two));
    expect(record).toEqual(['inet tcp [192.168.23.20]:80', 'inet tcp [192.168.23.21]:80']);
    await a.stop(true);
    const b = new LvsReconciler({ port, clock: new TestClock(), log: silentLogger, ownership });
    const mark = port.log.length;
    await b.start(lvsConfig(DR2));
    expect(port.log.slice(mark)).toEqual(['delete-service inet tcp [192.168.23.21]:80']);
    expect(port.weights()).toEqual(SEED);
    expect(record).toEqual(['inet tcp [192.168.23.20]:80']);
    await b.stop();
    expect(record).toEqual([]);
    expect(port.entries.size).toBe(0);
  });

  it('SIGHUP with the same file changes nothing; a failed server stays out across the reload', async () => {
    const t = setup();
    await t.r.start(t.config);
    t.verdicts.set(RS1, false);
    await settle();
    const mark = t.port.log.length;
    await t.r.reload(lvsConfig(DR2));
    expect(t.port.log.slice(mark)).toEqual([]);
    expect(t.port.weights()).toEqual(['inet tcp [192.168.23.20]:80 -> [192.168.23.135]:80 dr 1']);
  });

  it('a verdict change costs one operation and no table dump', async () => {
    const t = setup();
    await t.r.start(t.config);
    const ops = t.port.operations;
    t.verdicts.set(RS1, true, 5);
    await settle();
    expect(t.port.operations - ops).toBe(1);
    expect(t.port.log.at(-1)).toBe('edit-destination inet tcp [192.168.23.20]:80 -> [192.168.23.134]:80 5');
  });

  it('an entry deleted by hand is back after one delay_loop', async () => {
    const t = setup();
    await t.r.start(t.config);
    const svc = t.port.entries.values().next().value!;
    svc.dests.delete('[192.168.23.134]:80'); // ipvsadm -d
    t.clock.advance(2999);
    await settle();
    expect(t.port.weights()).toHaveLength(1);
    t.clock.advance(1); // delay_loop 3
    await settle();
    expect(t.port.weights()).toEqual(SEED);
  });

  it('removing a virtual server from the configuration deletes its service; others are untouched', async () => {
    const t = setup();
    await t.port.addService({
      id: { family: 'inet', protocol: 'tcp', address: '10.9.9.9', port: 22 },
      schedName: 'rr',
      flags: 0,
      timeout: 0,
      netmask: 32,
    });
    await t.r.start(t.config);
    await t.r.reload(lvsConfig('vrrp_instance V {\n interface lo\n virtual_router_id 1\n}'));
    expect([...t.port.entries.keys()]).toEqual(['inet tcp [10.9.9.9]:22']);
  });

  it('stop removes its services (keepalived clear_services); lvs_flush_on_stop flushes everything', async () => {
    const t = setup();
    await t.port.addService({
      id: { family: 'inet', protocol: 'tcp', address: '10.9.9.9', port: 22 },
      schedName: 'rr',
      flags: 0,
      timeout: 0,
      netmask: 32,
    });
    await t.r.start(t.config);
    await t.r.stop();
    expect([...t.port.entries.keys()]).toEqual(['inet tcp [10.9.9.9]:22']);
    const f = setup(`global_defs {\n lvs_flush_on_stop\n}\n${DR2}`, t.port);
    await f.r.start(f.config);
    await f.r.stop();
    expect(t.port.entries.size).toBe(0);
  });

  it('lvs_timeouts are set at start and the previous values restored at stop', async () => {
    const t = setup(`global_defs {\n lvs_timeouts tcp 7200 udp 60\n}\n${DR2}`);
    await t.r.start(t.config);
    expect(t.port.timeouts).toEqual({ tcp: 7200, tcpFin: 120, udp: 60 });
    await t.r.stop();
    expect(t.port.timeouts).toEqual({ tcp: 900, tcpFin: 120, udp: 300 });
  });

  it('without IPVS in the kernel: not programmed, nothing sent, states still follow the verdicts', async () => {
    const port = new FakeIpvs();
    port.hasIpvs = false;
    const t = setup(DR2, port);
    await t.r.start(t.config);
    t.verdicts.set(RS1, false);
    await settle();
    expect(t.r.status()).toMatchObject({ state: 'not-programmed' });
    expect(port.log).toEqual([]);
  });

  it('up/down and quorum events, with keepalived FIFO lines', async () => {
    const t = setup(DR2.replace('protocol TCP', 'protocol TCP\n  quorum 2'));
    await t.r.start(t.config);
    t.verdicts.set(RS1, false);
    await settle();
    expect(t.events.map(lvsFifoLine)).toEqual([
      'RS [192.168.23.134]:tcp:80 [192.168.23.20]:tcp:80 DOWN\n',
      'VS [192.168.23.20]:tcp:80 DOWN\n',
    ]);
  });

  it('a 10,000-destination table: start programs it; one weight change is one operation', async () => {
    const servers = Array.from(
      { length: 10_000 },
      (_, i) => `real_server 10.${(i >> 8) & 255}.${i & 255}.2 80 {\n TCP_CHECK {\n }\n}`,
    ).join('\n');
    const t = setup(`virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_kind DR\n${servers}\n}`);
    await t.r.start(t.config);
    expect(t.port.weights()).toHaveLength(10_000);
    const ops = t.port.operations;
    t.verdicts.set('[10.0.0.1]:tcp:80 -> [10.1.1.2]:tcp:80', true, 3);
    await settle();
    expect(t.port.operations - ops).toBe(1);
  });
});

describe('LvsReconciler: a verdict change is incremental', () => {
  /** grid is S virtual servers x D real servers with a TCP_CHECK each (delay_loop 60 unless given). */
  const grid = (services: number, dests: number, delayLoop = 60) =>
    Array.from({ length: services }, (_, s) => {
      const rs = Array.from(
        { length: dests },
        (_, r) => ` real_server 10.200.0.${r + 1} 80 {\n  weight ${r + 1}\n  TCP_CHECK {\n  }\n }`,
      ).join('\n');
      return `virtual_server 10.100.${s >> 8}.${s & 255} 80 {\n delay_loop ${delayLoop}\n lb_algo wrr\n lb_kind DR\n protocol TCP\n${rs}\n}`;
    }).join('\n');

  it('500 x 20: one weight change recomputes its virtual server only (20 verdict look-ups), one operation, no dump', async () => {
    const t = setup(grid(500, 20));
    await t.r.start(t.config);
    expect(t.port.weights()).toHaveLength(10_000);
    let lookups = 0;
    const get = t.verdicts.get.bind(t.verdicts);
    t.verdicts.get = (k) => {
      lookups++;
      return get(k);
    };
    const ops = t.port.operations;
    t.verdicts.set('[10.100.0.250]:tcp:80 -> [10.200.0.7]:tcp:80', true, 100);
    await settle();
    expect(t.port.operations - ops).toBe(1);
    expect(lookups).toBe(20);
    expect(t.port.log.at(-1)).toBe('edit-destination inet tcp [10.100.0.250]:80 -> [10.200.0.7]:80 100');
    expect(t.r.status().last).toMatchObject({ read: false, planned: 1, operations: 1 });
    // What the reconciler believes is what the kernel has: a full re-read plans nothing.
    t.verdicts.set('[10.100.1.3]:tcp:80 -> [10.200.0.1]:tcp:80', false);
    await settle();
    const mark = t.port.log.length;
    await t.r.reload(t.config);
    expect(t.port.log.slice(mark)).toEqual([]);
    expect(t.port.weights()).toHaveLength(9_999);
  });

  it('changes arriving together are applied together; a server the table does not know recomputes everything', async () => {
    const t = setup(grid(3, 2));
    await t.r.start(t.config);
    t.verdicts.set('[10.100.0.0]:tcp:80 -> [10.200.0.1]:tcp:80', false);
    t.verdicts.set('[10.100.0.2]:tcp:80 -> [10.200.0.2]:tcp:80', true, 9);
    await settle();
    expect(t.port.log.slice(-2)).toEqual([
      'edit-destination inet tcp [10.100.0.2]:80 -> [10.200.0.2]:80 9',
      'delete-destination inet tcp [10.100.0.0]:80 -> [10.200.0.1]:80',
    ]);
    const ops = t.port.operations;
    t.verdicts.set('[10.9.9.9]:tcp:80 -> [10.200.0.1]:tcp:80', false);
    await settle();
    expect(t.port.operations - ops).toBe(0);
    expect(t.port.weights()).toHaveLength(5);
  });

  it('a large table is re-read no faster than REREAD_DESTINATIONS_PER_S destinations a second (8 x 250 at delay_loop 1: every 20 s), one service at a time', async () => {
    const t = setup(grid(8, 250, 1));
    await t.r.start(t.config);
    let tables = 0;
    const reads: number[] = [];
    const getTable = t.port.getTable.bind(t.port);
    t.port.getTable = () => {
      tables++;
      return getTable();
    };
    const getDestinations = t.port.getDestinations.bind(t.port);
    t.port.getDestinations = (id) => {
      reads.push(t.clock.nowMs());
      return getDestinations(id);
    };
    const start = t.clock.nowMs();
    const roundMs = (1000 * 2000) / REREAD_DESTINATIONS_PER_S;
    for (let i = 0; i < 16; i++) {
      t.clock.advance(roundMs / 8);
      await settle();
    }
    // Two rounds of 20 s: each service read once per round, a step of 2.5 s apart; never the whole table.
    expect(tables).toBe(0);
    expect(reads.map((at) => at - start)).toEqual(
      Array.from({ length: 16 }, (_, i) => ((i + 1) * roundMs) / 8),
    );
  });

  it('a re-read puts back a service deleted by hand and an edited weight, touching only that service', async () => {
    const t = setup(grid(2, 2));
    await t.r.start(t.config);
    t.port.entries.delete('inet tcp [10.100.0.0]:80'); // ipvsadm -D
    t.port.entries.get('inet tcp [10.100.0.1]:80')!.dests.get('[10.200.0.1]:80')!.weight = 7; // ipvsadm -e
    const before = t.port.log.length;
    for (let i = 0; i < 2; i++) {
      t.clock.advance(30_000); // a round of delay_loop 60 s: one service every 30 s
      await settle();
    }
    expect(t.port.log.slice(before)).toEqual([
      'add-service inet tcp [10.100.0.0]:80',
      'add-destination inet tcp [10.100.0.0]:80 -> [10.200.0.1]:80 1',
      'add-destination inet tcp [10.100.0.0]:80 -> [10.200.0.2]:80 2',
      'edit-destination inet tcp [10.100.0.1]:80 -> [10.200.0.1]:80 1',
    ]);
  });

  it('a re-read that finds nothing to change takes the counters as read, without operations', async () => {
    const t = setup(grid(1, 2));
    await t.r.start(t.config);
    t.port.entries.get('inet tcp [10.100.0.0]:80')!.dests.get('[10.200.0.2]:80')!.activeConns = 5;
    const ops = t.port.log.length;
    t.clock.advance(60_000);
    await settle();
    expect(t.port.log.length).toBe(ops);
    expect(JSON.stringify(t.r.status())).toContain('"activeConns":5');
  });

  it('verdict changes do not postpone the delay_loop re-read (a hand-deleted entry still comes back)', async () => {
    const t = setup(grid(2, 2));
    await t.r.start(t.config);
    t.port.entries.get('inet tcp [10.100.0.1]:80')!.dests.delete('[10.200.0.2]:80'); // ipvsadm -d
    for (let i = 0; i < 6; i++) {
      t.clock.advance(10_000);
      t.verdicts.set('[10.100.0.0]:tcp:80 -> [10.200.0.1]:tcp:80', true, 10 + i);
      await settle();
    }
    expect(t.port.weights()).toContain('inet tcp [10.100.0.1]:80 -> [10.200.0.2]:80 dr 2');
  });
});

describe('LvsReconciler state across reloads', () => {
  it('a virtual server removed and added back starts with a fresh quorum (keepalived set_quorum_states)', async () => {
    const text = `virtual_server 10.0.0.1 80 {\n protocol TCP\n quorum 2\n hysteresis 1\n sorry_server 10.0.0.9 80\n real_server 10.0.0.2 80 {\n }\n real_server 10.0.0.3 80 {\n }\n}`;
    const plain = `virtual_server 10.0.0.1 80 {\n protocol TCP\n real_server 10.0.0.2 80 {\n }\n real_server 10.0.0.3 80 {\n }\n}`;
    const t = setup(plain);
    await t.r.start(t.config);
    await t.r.reload(lvsConfig('vrrp_instance V {\n interface lo\n virtual_router_id 1\n}'));
    await t.r.reload(lvsConfig(text));
    // live weight 2 < quorum + hysteresis 3: starts with quorum down, the sorry server serves.
    expect(t.port.weights()).toEqual(['inet tcp [10.0.0.1]:80 -> [10.0.0.9]:80 nat 1']);
  });
});
