/**
 * The keyword walk (issue 11 item 2): nothing configured is silently ignored. Every keyword
 * table the builders walk (found at run time through observeWalks, so a new table cannot be
 * missed) and every option table of the vrrp_instance grammar (virtual addresses, routes,
 * rules, unicast peers, auth_type) is walked; for each keyword a minimal configuration uses it
 * and the test asserts that it is on the IMPLEMENTED list below or that the diagnostics carry a
 * `not supported by keepvip` warning at its FILE:LINE:COL. Both lists are printed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { UNSUPPORTED_TOP } from '../../../src/config/build/keywords.js';
import { NOT_SUPPORTED, observeWalks } from '../../../src/config/build/values.js';
import { VIP_OPTIONS } from '../../../src/config/build/vip.js';
import { ROUTE_OPTIONS, RULE_OPTIONS } from '../../../src/config/build/virtual-routes.js';
import type { Diagnostic } from '../../../src/config/diagnostics.js';
import { load } from './build-helper.js';

const INSTANCE_HEAD =
  'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    10.0.0.1\n  }';
const INSTANCE = `${INSTANCE_HEAD}\n}\n`;
const VS_HEAD = 'virtual_server 10.0.0.1 80 {\n  protocol TCP';
const RS_HEAD = `${VS_HEAD}\n  real_server 10.0.0.2 80 {`;

/** WRAP puts one sample line (`' KEYWORD ARGS'`, column 2) into the smallest configuration that reads it in each block. */
const WRAP: Record<string, (line: string) => string> = {
  top: (l) => `${l}\n${INSTANCE}`,
  global_defs: (l) => `global_defs {\n${l}\n}\n${INSTANCE}`,
  vrrp_script: (l) => `vrrp_script s {\n  script /bin/true\n${l}\n}\n${INSTANCE}`,
  track_file: (l) => `track_file f {\n  file /tmp/keepvip-walk\n${l}\n}\n${INSTANCE}`,
  vrrp_track_process: (l) => `vrrp_track_process p {\n  process nginx\n${l}\n}\n${INSTANCE}`,
  vrrp_instance: (l) => `${INSTANCE_HEAD}\n${l}\n}\n`,
  vrrp_sync_group: (l) =>
    `${INSTANCE}vrrp_instance VI_2 {\n  interface eth0\n  virtual_router_id 52\n  virtual_ipaddress {\n    10.0.0.2\n  }\n}\nvrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n${l}\n}\n`,
  virtual_server: (l) => `${INSTANCE}${VS_HEAD}\n${l}\n}\n`,
  real_server: (l) => `${INSTANCE}${RS_HEAD}\n${l}\n  }\n}\n`,
  TCP_CHECK: (l) => `${INSTANCE}${RS_HEAD}\n    TCP_CHECK {\n${l}\n    }\n  }\n}\n`,
  HTTP_GET: (l) =>
    `${INSTANCE}${RS_HEAD}\n    HTTP_GET {\n      url {\n        path /\n      }\n${l}\n    }\n  }\n}\n`,
  SSL_GET: (l) =>
    `${INSTANCE}${RS_HEAD}\n    SSL_GET {\n      url {\n        path /\n      }\n${l}\n    }\n  }\n}\n`,
  MISC_CHECK: (l) =>
    `${INSTANCE}${RS_HEAD}\n    MISC_CHECK {\n      misc_path /bin/true\n${l}\n    }\n  }\n}\n`,
  SMTP_CHECK: (l) => `${INSTANCE}${RS_HEAD}\n    SMTP_CHECK {\n${l}\n    }\n  }\n}\n`,
  DNS_CHECK: (l) => `${INSTANCE}${RS_HEAD}\n    DNS_CHECK {\n      name example.com\n${l}\n    }\n  }\n}\n`,
  UDP_CHECK: (l) => `${INSTANCE}${RS_HEAD}\n    UDP_CHECK {\n${l}\n    }\n  }\n}\n`,
  PING_CHECK: (l) => `${INSTANCE}${RS_HEAD}\n    PING_CHECK {\n${l}\n    }\n  }\n}\n`,
  FILE_CHECK: (l) =>
    `track_file f {\n  file /tmp/keepvip-walk\n}\n${INSTANCE}${RS_HEAD}\n    FILE_CHECK {\n      track_file f\n${l}\n    }\n  }\n}\n`,
  url: (l) =>
    `${INSTANCE}${RS_HEAD}\n    HTTP_GET {\n      url {\n        path /\n${l}\n      }\n    }\n  }\n}\n`,
  nginx_upstream: (l) =>
    `${INSTANCE}nginx_upstream u {\n  output /tmp/keepvip-walk.conf\n  server 127.0.0.1:80\n${l}\n}\n`,
};

/** DISCOVER uses every block kind once, so observeWalks sees every keyword table. */
const DISCOVER = `global_defs {\n  router_id x\n}
vrrp_script s {\n  script /bin/true\n}
track_file f {\n  file /tmp/keepvip-walk\n}
vrrp_track_process p {\n  process nginx\n}
${INSTANCE}vrrp_sync_group G {\n  group {\n    VI_1\n  }\n}
${RS_HEAD}\n    TCP_CHECK {\n    }\n    HTTP_GET {\n      url {\n        path /\n      }\n    }\n    SSL_GET {\n      url {\n        path /\n      }\n    }\n    MISC_CHECK {\n      misc_path /bin/true\n    }\n    SMTP_CHECK {\n    }\n    DNS_CHECK {\n      name example.com\n    }\n    UDP_CHECK {\n    }\n    PING_CHECK {\n    }\n    FILE_CHECK {\n      track_file f\n    }\n  }\n}
nginx_upstream u {\n  output /tmp/keepvip-walk.conf\n  server 127.0.0.1:80\n}
`;

/** TOP_BLOCKS are the top-level blocks keepvip reads (config.ts BLOCK_KEYWORDS). */
const TOP_BLOCKS = [
  'global_defs',
  'vrrp_script',
  'track_file',
  'vrrp_track_file',
  'vrrp_track_process',
  'vrrp_instance',
  'vrrp_sync_group',
  'virtual_server',
  'virtual_server_group',
  'nginx_upstream',
];

/** INHERITED are the checker settings a virtual_server / real_server sets as defaults for its checkers. */
const INHERITED = ['connect_timeout', 'retry', 'nb_get_retry', 'delay_before_retry', 'warmup', 'delay_loop'];

const CHECKER_COMMON = [
  'connect_ip',
  'connect_port',
  'bindto',
  'bind_port',
  'connect_timeout',
  'retry',
  'nb_get_retry',
  'delay_before_retry',
  'warmup',
  'delay_loop',
];

/** CONNECTION are the probe socket options of the connection checkers (SO_BINDTODEVICE, SO_MARK); PING_CHECK's shared ICMP socket takes neither. */
const CONNECTION = ['bind_if', 'fwmark'];

/**
 * IMPLEMENTED: keywords that work in keepvip, per table. Everything else must warn
 * `not supported by keepvip` at its position.
 */
const IMPLEMENTED: Record<string, readonly string[]> = {
  top: [
    'virtual_server',
    'virtual_server_group',
    'global_defs',
    'vrrp_script',
    'track_file',
    'vrrp_track_file',
    'vrrp_track_process',
    'vrrp_instance',
    'vrrp_sync_group',
    'nginx_upstream',
  ],
  global_defs: [
    'vrrp_priority',
    'checker_priority',
    'vrrp_rt_priority',
    'checker_rt_priority',
    'lvs_flush',
    'lvs_flush_on_stop',
    'lvs_keep_on_stop',
    'real_server_setup',
    'lvs_notify_fifo',
    'lvs_notify_fifo_script',
    'lvs_sync_daemon',
    'lvs_timeouts',
    'router_id',
    // keepalived 1.x's router_id (2.2.7 rejects it): read as router_id with a warning.
    'lvs_id',
    'notification_email',
    'notification_email_from',
    'smtp_server',
    'smtp_helo_name',
    'smtp_connect_timeout',
    'smtp_alert',
    'vrrp_mcast_group4',
    'vrrp_mcast_group6',
    'vrrp_version',
    'vrrp_garp_master_delay',
    'vrrp_garp_master_repeat',
    'vrrp_garp_master_refresh',
    'vrrp_garp_master_refresh_repeat',
    'vrrp_garp_lower_prio_delay',
    'vrrp_garp_lower_prio_repeat',
    'vrrp_garp_interval',
    'vrrp_gna_interval',
    'script_user',
    'enable_script_security',
    'vrrp_handoff',
    'vrrp_strict',
    'default_interface',
    'notify_fifo',
    'notify_fifo_script',
    'vrrp_notify_fifo',
    'vrrp_notify_fifo_script',
  ],
  vrrp_script: ['script', 'interval', 'timeout', 'weight', 'fall', 'rise', 'user', 'init_fail'],
  track_file: ['file', 'weight', 'init_file'],
  vrrp_track_process: [
    'process',
    'param_match',
    'full_command',
    'pid_file',
    'quorum',
    'quorum_max',
    'delay',
    'terminate_delay',
    'fork_delay',
    'weight',
  ],
  vrrp_instance: [
    'state',
    'interface',
    'virtual_router_id',
    'priority',
    'advert_int',
    'version',
    'authentication',
    'virtual_ipaddress',
    'virtual_ipaddress_excluded',
    'virtual_routes',
    'virtual_rules',
    'track_script',
    'track_interface',
    'track_file',
    'track_process',
    'handoff',
    'nopreempt',
    'no_preempt',
    'preempt',
    'preempt_delay',
    'unicast_src_ip',
    'unicast_peer',
    'mcast_src_ip',
    'notify_master',
    'notify_backup',
    'notify_fault',
    'notify_stop',
    'notify',
    'smtp_alert',
    'garp_master_delay',
    'garp_master_refresh',
    'garp_master_repeat',
    'garp_master_refresh_repeat',
    'garp_lower_prio_delay',
    'garp_lower_prio_repeat',
    'accept',
    'no_accept',
    'dont_track_primary',
    'promote_secondaries',
    'use_vmac',
    'vmac_xmit_base',
    // keepalived 2.2.7 still maps it onto global lvs_sync_daemon, with a deprecation warning.
    'lvs_sync_daemon_interface',
  ],
  // global_tracking is obsolete in keepalived 2.x, which ignores it too (a deprecation warning says so).
  vrrp_sync_group: [
    'group',
    'track_script',
    'track_interface',
    'track_file',
    'track_process',
    'notify_master',
    'notify_backup',
    'notify_fault',
    'notify_stop',
    'notify',
    'smtp_alert',
    'global_tracking',
  ],
  nginx_upstream: [
    'output',
    'template',
    'template_dir',
    'nginx_conf',
    'test_command',
    'reload_command',
    'notify',
    'listen',
    'server_name',
    'server',
    'from_virtual_server',
    'health_check',
    'down_servers',
    'coalesce_delay',
  ],
  'virtual address option': ['brd', 'broadcast', 'dev', 'scope', 'label'],
  'virtual_routes option': [
    'src',
    'via',
    'gw',
    'dev',
    'oif',
    'scope',
    'table',
    'metric',
    'priority',
    'preference',
    'protocol',
    'onlink',
  ],
  'virtual_rules option': [
    'from',
    'to',
    'table',
    'lookup',
    'priority',
    'preference',
    'pref',
    'order',
    'fwmark',
    'iif',
    'dev',
    'oif',
    'tos',
    'dsfield',
    'blackhole',
    'unreachable',
    'prohibit',
  ],
  // LVS (src/lvs/, config/build/virtual-server.ts) and the checkers (src/check/, config/build/checkers.ts).
  virtual_server: [
    ...INHERITED,
    'alpha',
    'omega',
    'virtualhost',
    'dr_path_check',
    'flag-1',
    'flag-2',
    'flag-3',
    'flap_guard',
    'ha_suspend',
    'hysteresis',
    'smtp_alert',
    'inhibit_on_failure',
    'ip_family',
    'lb_algo',
    'lb_kind',
    'lvs_method',
    'lvs_sched',
    'mh-fallback',
    'mh-port',
    'sh-fallback',
    'sh-port',
    'ops',
    'persistence_engine',
    'persistence_granularity',
    'persistence_timeout',
    'protocol',
    'quorum',
    'quorum_down',
    'quorum_up',
    'real_server',
    'sorry_server',
    'sorry_server_inhibit',
    'sorry_server_lvs_method',
    'snmp_name',
    'weight',
  ],
  real_server: [
    ...INHERITED,
    'virtualhost',
    'DNS_CHECK',
    'FILE_CHECK',
    'HTTP_GET',
    'MISC_CHECK',
    'PING_CHECK',
    'SMTP_CHECK',
    'SSL_GET',
    'TCP_CHECK',
    'UDP_CHECK',
    'alpha',
    'flap_guard',
    'inhibit_on_failure',
    'smtp_alert',
    'lthreshold',
    'uthreshold',
    'lvs_method',
    'notify_down',
    'notify_up',
    'snmp_name',
    'weight',
  ],
  TCP_CHECK: [...CHECKER_COMMON, ...CONNECTION, 'alpha', 'log_all_failures'],
  HTTP_GET: [
    ...CHECKER_COMMON,
    ...CONNECTION,
    'alpha',
    'fast_recovery',
    'http_protocol',
    'log_all_failures',
    'url',
    'virtualhost',
  ],
  SSL_GET: [
    ...CHECKER_COMMON,
    ...CONNECTION,
    'alpha',
    'enable_sni',
    'fast_recovery',
    'http_protocol',
    'log_all_failures',
    'url',
    'virtualhost',
  ],
  MISC_CHECK: [
    'alpha',
    'delay_before_retry',
    'delay_loop',
    'log_all_failures',
    'misc_dynamic',
    'misc_path',
    'misc_timeout',
    'nb_get_retry',
    'retry',
    'user',
    'warmup',
  ],
  SMTP_CHECK: [...CHECKER_COMMON, ...CONNECTION, 'alpha', 'helo_name', 'log_all_failures'],
  DNS_CHECK: [...CHECKER_COMMON, ...CONNECTION, 'alpha', 'log_all_failures', 'name', 'type'],
  UDP_CHECK: [
    ...CHECKER_COMMON,
    ...CONNECTION,
    'alpha',
    'log_all_failures',
    'max_reply_length',
    'min_reply_length',
    'payload',
    'require_reply',
  ],
  // PING_CHECK reads the common checker keywords as keepalived does; ports mean nothing to ICMP there either.
  PING_CHECK: [...CHECKER_COMMON, 'alpha', 'log_all_failures'],
  FILE_CHECK: [
    'retry',
    'nb_get_retry',
    'delay_before_retry',
    'warmup',
    'delay_loop',
    'alpha',
    'log_all_failures',
    'track_file',
    'weight',
  ],
  url: ['digest', 'path', 'regex', 'regex_no_match', 'regex_options', 'status_code', 'virtualhost'],
  auth_type: ['PASS', 'AH'],
  'unicast_peer option': ['min_ttl', 'max_ttl'],
};

/** SAMPLES are the arguments used after a keyword when `1` would not read as the keyword's use. */
const SAMPLES: Record<string, string> = {
  authentication: '{\n    auth_type PASS\n    auth_pass secret\n  }',
  virtual_ipaddress: '{\n    10.0.0.3\n  }',
  virtual_ipaddress_excluded: '{\n    10.0.0.4\n  }',
  virtual_routes: '{\n    10.1.0.0/16 via 10.0.0.254\n  }',
  virtual_rules: '{\n    from 10.0.0.1 table 100\n  }',
  unicast_peer: '{\n    10.0.0.9\n  }',
  state: 'BACKUP',
  handoff: 'fast',
  vrrp_handoff: 'fast',
  group: '{\n    VI_1\n    VI_2\n  }',
  script: '/bin/true',
  process: 'nginx',
  file: '/tmp/keepvip-walk',
  output: '/tmp/keepvip-walk-2.conf',
  server: '127.0.0.1:81',
  real_server_setup: '10.0.0.5',
  dr_path_check: 'on',
};

const rows: { table: string; keyword: string; verdict: 'implemented' | 'warns' | string }[] = [];

/** notSupportedAt finds a `not supported by keepvip` warning at line:col of test.conf. */
function notSupportedAt(diags: readonly Diagnostic[], line: number, col: number): Diagnostic | undefined {
  return diags.find(
    (d) => d.severity === 'warning' && d.line === line && d.col === col && d.message.includes(NOT_SUPPORTED),
  );
}

/** check builds `text` (sample on the line starting with `marker`, keyword at `col`), then applies the rule. */
function check(table: string, keyword: string, text: string, marker: string, col: number): void {
  const lines = text.split('\n');
  const index = lines.findIndex((l) => l.startsWith(marker));
  expect(index, `sample line for ${table} ${keyword} not found`).toBeGreaterThanOrEqual(0);
  const r = load(text);
  const warned = notSupportedAt(r.diagnostics, index + 1, col);
  const implemented = IMPLEMENTED[table]?.includes(keyword) ?? false;
  rows.push({ table, keyword, verdict: warned ? 'warns' : 'implemented' });
  if (implemented) {
    expect(warned, `${table} ${keyword} is IMPLEMENTED but warns: ${warned?.message}`).toBeUndefined();
  } else {
    expect(
      warned,
      `${table} ${keyword} is neither IMPLEMENTED nor warned 'not supported by keepvip' at test.conf:${index + 1}:${col}; got ${JSON.stringify(r.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`))}`,
    ).toBeDefined();
  }
}

/** discoverTables runs DISCOVER with an observer: block kind -> keywords (handlers and not-supported set). */
function discoverTables(): Map<string, string[]> {
  const tables = new Map<string, Set<string>>();
  observeWalks((where, keywords, unsupported) => {
    const kind = where.split(' ')[0]!;
    const set = tables.get(kind) ?? new Set<string>();
    for (const k of [...keywords, ...unsupported]) set.add(k);
    tables.set(kind, set);
  });
  try {
    load(DISCOVER);
  } finally {
    observeWalks();
  }
  return new Map([...tables].map(([k, v]) => [k, [...v].sort()]));
}

const tables = discoverTables();

describe('keyword walk: every keyword works or says not supported by keepvip', () => {
  it('every discovered keyword table has a wrapper', () => {
    expect([...tables.keys()].filter((k) => WRAP[k] === undefined)).toEqual([]);
  });

  for (const [table, keywords] of tables) {
    it.each(keywords)(`${table} %s`, (keyword) => {
      const sample = SAMPLES[keyword] ?? '1';
      const text = WRAP[table]!(` ${keyword} ${sample}`);
      check(table, keyword, text, ` ${keyword} ${sample.split('\n')[0]}`, 2);
    });
  }

  it.each([...TOP_BLOCKS, ...UNSUPPORTED_TOP])('top %s', (keyword) => {
    const block =
      keyword === 'vrrp_instance'
        ? ' VI_9 {\n  interface eth0\n  virtual_router_id 9\n  virtual_ipaddress {\n    10.0.0.9\n  }\n}'
        : ' x {\n}';
    check('top', keyword, WRAP.top!(`${keyword}${block}`), `${keyword} `, 1);
  });

  it.each(Object.keys(VIP_OPTIONS))('virtual address option %s', (opt) => {
    const value = VIP_OPTIONS[opt]!.takesValue
      ? opt === 'brd' || opt === 'broadcast' || opt === 'peer'
        ? ' 10.0.0.255'
        : opt === 'label'
          ? ' eth0:1'
          : opt === 'scope'
            ? ' link'
            : ' eth0'
      : '';
    const line = `    10.0.0.5/24 ${opt}${value}`;
    const text = WRAP.vrrp_instance!(`  virtual_ipaddress {\n${line}\n  }`);
    check('virtual address option', opt, text, line, line.indexOf(` ${opt}`) + 2);
  });

  it.each(Object.keys(ROUTE_OPTIONS))('virtual_routes option %s', (opt) => {
    const values: Record<string, string> = {
      src: '10.0.0.1',
      via: '10.0.0.254',
      gw: '10.0.0.254',
      or: '10.0.0.253',
      scope: 'link',
      table: '100',
      protocol: 'static',
      dev: 'eth0',
      oif: 'eth0',
    };
    const value = ROUTE_OPTIONS[opt]!.takesValue ? ` ${values[opt] ?? '1'}` : '';
    const line = `    10.2.0.0/16 ${opt}${value}`;
    const text = WRAP.vrrp_instance!(`  virtual_routes {\n${line}\n  }`);
    check('virtual_routes option', opt, text, line, line.indexOf(` ${opt}`) + 2);
  });

  it.each(Object.keys(RULE_OPTIONS))('virtual_rules option %s', (opt) => {
    const values: Record<string, string> = {
      from: '10.0.0.0/24',
      to: '10.3.0.0/16',
      table: '100',
      lookup: '100',
      dev: 'eth0',
      iif: 'eth0',
      oif: 'eth0',
    };
    const value = RULE_OPTIONS[opt]!.takesValue ? ` ${values[opt] ?? '1'}` : '';
    const line =
      opt === 'table' || opt === 'lookup'
        ? `    from 10.0.0.1 ${opt}${value}`
        : `    table 100 ${opt}${value}`;
    const text = WRAP.vrrp_instance!(`  virtual_rules {\n${line}\n  }`);
    check('virtual_rules option', opt, text, line, line.indexOf(` ${opt}`) + 2);
  });

  it.each(['min_ttl', 'max_ttl'])('unicast_peer option %s', (opt) => {
    const line = `    10.0.0.9 ${opt} 250`;
    const text = WRAP.vrrp_instance!(`  unicast_peer {\n${line}\n  }`);
    check('unicast_peer option', opt, text, line, line.indexOf(` ${opt}`) + 2);
  });

  it.each(['PASS', 'AH'])('auth_type %s', (type) => {
    const line = `    auth_type ${type}`;
    const text = WRAP.vrrp_instance!(`  authentication {\n${line}\n    auth_pass secret\n  }`);
    check('auth_type', type, text, line, line.indexOf(type) + 1);
  });

  it('IMPLEMENTED names only keywords that exist', () => {
    const known = new Map<string, Set<string>>();
    for (const row of rows) known.set(row.table, (known.get(row.table) ?? new Set()).add(row.keyword));
    const stale: string[] = [];
    for (const [table, list] of Object.entries(IMPLEMENTED))
      for (const k of list) if (!known.get(table)?.has(k)) stale.push(`IMPLEMENTED ${table} ${k}`);
    expect(stale).toEqual([]);
  });
});

afterAll(() => {
  const byVerdict = (pred: (v: string) => boolean) =>
    rows
      .filter((r) => pred(r.verdict))
      .map((r) => `${r.table}: ${r.keyword}`)
      .join('\n  ');
  console.log(`keyword walk: ${rows.length} keywords`);
  console.log(
    `IMPLEMENTED (${rows.filter((r) => r.verdict === 'implemented').length}):\n  ${byVerdict((v) => v === 'implemented')}`,
  );
  console.log(
    `WARNS not supported by keepvip (${rows.filter((r) => r.verdict === 'warns').length}):\n  ${byVerdict((v) => v === 'warns')}`,
  );
});
