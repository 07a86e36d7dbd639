/** keepvip's `dr_path_check on|off` in a virtual_server: read into a DR_PATH_CHECK, or warned at its FILE:LINE:COL. */
import { describe, expect, it } from 'vitest';
import { NOT_SUPPORTED } from '../../../src/config/build/values.js';
import { load } from './build-helper.js';

const vs = (head: string, body: string) =>
  `${head} {\n  protocol TCP\n${body}\n  real_server ${head.includes(':') ? 'fd00::2' : '10.0.0.2'} 80 {\n    TCP_CHECK {\n    }\n  }\n}\n`;

const at = (r: ReturnType<typeof load>, line: number) =>
  r.diagnostics.filter((d) => d.line === line && d.col === 3).map((d) => d.message);

describe('dr_path_check', () => {
  it.each([
    ['on', true],
    ['', true],
    ['yes', true],
    ['off', false],
    ['no', false],
  ])('lb_kind DR, dr_path_check %s', (arg, on) => {
    const r = load(vs('virtual_server 10.0.0.1 80', `  lb_kind DR\n  dr_path_check ${arg}`));
    const v = r.config!.virtualServers[0]!;
    expect(r.diagnostics.filter((d) => d.line === 4)).toEqual([]);
    if (!on) expect(v.drPathCheck).toBeUndefined();
    else expect(v.drPathCheck).toMatchObject({ kind: 'DR_PATH_CHECK', connectTimeoutMs: 5000, retry: 1 });
  });

  it('takes the virtual server timing written anywhere in the block (connect_timeout, retry, delay_loop)', () => {
    const r = load(
      vs(
        'virtual_server 10.0.0.1 80',
        '  dr_path_check on\n  lb_kind DR\n  connect_timeout 2\n  retry 3\n  delay_before_retry 4\n  delay_loop 7',
      ),
    );
    expect(r.config!.virtualServers[0]!.drPathCheck).toMatchObject({
      connectTimeoutMs: 2000,
      retry: 3,
      delayBeforeRetryMs: 4000,
      delayLoopMs: 7000,
      pos: { line: 3, col: 3 },
    });
  });

  it('warns (not "not supported") when lb_kind is not DR, and ignores it', () => {
    const r = load(vs('virtual_server 10.0.0.1 80', '  lb_kind NAT\n  dr_path_check on'));
    const msgs = at(r, 4);
    expect(msgs).toEqual([
      expect.stringMatching(/dr_path_check .* applies to lb_kind DR only \(this one is NAT\); ignored/),
    ]);
    expect(msgs[0]).not.toContain(NOT_SUPPORTED);
    expect(r.config!.virtualServers[0]!.drPathCheck).toBeUndefined();
  });

  it('an IPv6 virtual server: not supported by keepvip at file:line:col', () => {
    const r = load(vs('virtual_server fd00::1 80', '  lb_kind DR\n  dr_path_check on'));
    const d = r.diagnostics.find((x) => x.message.includes('dr_path_check'));
    expect(d).toMatchObject({ severity: 'warning', file: 'test.conf', line: 4, col: 3 });
    expect(d!.message).toContain(NOT_SUPPORTED);
    expect(d!.message).toContain('IPv4 only');
    expect(r.config!.virtualServers[0]!.drPathCheck).toBeUndefined();
  });

  it('a fwmark virtual server has no VIP:PORT to probe: warned and ignored', () => {
    const r = load(
      'virtual_server fwmark 5 {\n  lb_kind DR\n  dr_path_check on\n  real_server 10.0.0.2 80 {\n  }\n}\n',
    );
    expect(at(r, 3)).toEqual([expect.stringMatching(/needs a virtual_server IP PORT/)]);
    expect(r.config!.virtualServers[0]!.drPathCheck).toBeUndefined();
  });
});
