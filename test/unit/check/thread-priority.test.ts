import { describe, expect, it } from 'vitest';
import {
  CHECKER_DEFAULT_NICE,
  checkerThreadPriority,
  vrrpThreadPriority,
} from '../../../src/check/thread-priority.js';
import { loadConfigText } from '../../../src/config/load.js';

const load = (globals: string) => loadConfigText(`global_defs {\n${globals}\n}\n`, 'test.conf');

describe('vrrp_priority / checker_priority / *_rt_priority (keepalived global_parser.c)', () => {
  const cases: { name: string; globals: string; vrrp: object; checker: object; warns?: RegExp }[] = [
    {
      name: 'nothing written: VRRP thread untouched, checker thread nice 0',
      globals: '',
      vrrp: {},
      checker: { nice: 0 },
    },
    {
      name: 'nice values as written',
      globals: 'vrrp_priority -10\nchecker_priority 5',
      vrrp: { nice: -10 },
      checker: { nice: 5 },
    },
    {
      name: 'real-time priorities (the nice value stays beside them, unused)',
      globals: 'vrrp_rt_priority 20\nchecker_rt_priority 10',
      vrrp: { realtime: 20 },
      checker: { nice: CHECKER_DEFAULT_NICE, realtime: 10 },
    },
    {
      name: 'a nice value outside -20..19 is reported and 0 is used (get_priority)',
      globals: 'vrrp_priority 30',
      vrrp: { nice: 0 },
      checker: { nice: 0 },
      warns: /Invalid vrrp process priority/,
    },
    {
      name: 'a real-time priority above 99 is clamped to 99 (get_realtime_priority)',
      globals: 'checker_rt_priority 150',
      vrrp: {},
      checker: { nice: 0, realtime: 99 },
      warns: /greater than maximum 99 - setting to maximum/,
    },
    {
      name: 'a real-time priority below 1 is raised to 1',
      globals: 'vrrp_rt_priority 0',
      vrrp: { realtime: 1 },
      checker: { nice: 0 },
      warns: /less than minimum 1 - setting to minimum/,
    },
    {
      name: 'a real-time priority that is not a number is ignored',
      globals: 'vrrp_rt_priority high',
      vrrp: {},
      checker: { nice: 0 },
      warns: /real-time priority 'high' invalid/,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const r = load(c.globals);
      expect(r.canRun).toBe(true);
      const g = r.config!.globalDefs;
      expect(vrrpThreadPriority(g)).toEqual(c.vrrp);
      expect(checkerThreadPriority(g)).toEqual(c.checker);
      const messages = r.diagnostics.map((d) => d.message).join('\n');
      if (c.warns) expect(messages).toMatch(c.warns);
      else expect(r.diagnostics.filter((d) => /priority/.test(d.message))).toEqual([]);
    });
});
