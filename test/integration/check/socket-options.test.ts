import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { md5Hex } from '../../../src/check/probes/http.js';
import { ensureDistSync } from '../../helpers/dist.js';
import { REPO_ROOT, startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { createTopology, type TopoNode, type Topology } from '../../helpers/topology.js';

// keepvip -C in namespace `dir` probes real servers in `srv` (fixtures/servers.mjs) with the
// checker socket options `fwmark` (SO_MARK) and `bind_if` (SO_BINDTODEVICE). nftables on dir's
// output hook counts the probes' packets by mark and by outgoing interface, and drops mark 8;
// `alt0` is a second interface of dir (a veth whose peer `alt0p` also stays in dir) with no
// route to srv: what is sent there reaches no other namespace.
const PREFIX = 'kvso';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[check/socket-options.test] SKIPPED: ${skipReason}`);

const esc = (s: string) => s.replace(/[.[\]]/g, (c) => `\\${c}`);

/** COUNTERS are the output-hook rules, each named by its comment. */
const COUNTERS = [
  ['tcp-mark7', 'meta mark 7 tcp dport 8003'],
  ['tcp-unmarked', 'meta mark 0 tcp dport 8001'],
  ['http-mark7', 'meta mark 7 tcp dport 8001'],
  ['ssl-mark7', 'meta mark 7 tcp dport 8443'],
  ['smtp-mark7', 'meta mark 7 tcp dport 2525'],
  ['udp-mark7', 'meta mark 7 udp dport 9001'],
  ['ll6-mark9-eth0', 'meta mark 9 oifname "eth0" ip6 daddr fe80::/10 tcp dport 8100'],
  ['out-alt0', 'oifname "alt0"'],
  ['eth0-8004', 'oifname "eth0" tcp dport 8004'],
  ['eth0-8005', 'oifname "eth0" tcp dport 8005'],
] as const;

describe.skipIf(skipReason !== undefined)('checker fwmark (SO_MARK) and bind_if (SO_BINDTODEVICE)', () => {
  let topo: Topology;
  let dir: TopoNode;
  let srv: TopoNode;
  let keepvip: VrrpDaemon;
  const vip = '10.99.0.1';

  const rs = (port: number, body: string) => `  real_server ${srv.addr4} ${port} {\n${body}\n  }`;
  const tcp = (extra: string) => `    TCP_CHECK {\n      connect_timeout 1\n${extra}\n    }`;

  const config = () => `global_defs {
  router_id sockopts
}
virtual_server ${vip} 80 {
  delay_loop 1
  protocol TCP
${rs(8003, tcp('      fwmark 7'))}
${rs(8001, tcp(''))}
${rs(8006, tcp('      fwmark 8'))}
${rs(8004, tcp('      bind_if alt0'))}
${rs(8005, tcp('      bind_if eth0'))}
${rs(8100, tcp(`      connect_ip ${srv.linkLocal6}\n      bind_if eth0\n      fwmark 9`))}
}
virtual_server ${vip} 81 {
  delay_loop 1
  protocol TCP
${rs(8001, `    HTTP_GET {\n      url {\n        path /\n        digest ${md5Hex(Buffer.from('hello keepvip\n'))}\n      }\n      connect_timeout 1\n      fwmark 7\n    }`)}
${rs(8443, `    SSL_GET {\n      url {\n        path /\n        digest ${md5Hex(Buffer.from('secure\n'))}\n      }\n      connect_timeout 2\n      fwmark 7\n    }`)}
${rs(2525, '    SMTP_CHECK {\n      connect_timeout 2\n      fwmark 7\n    }')}
}
virtual_server ${vip} 82 {
  delay_loop 1
  protocol UDP
${rs(9001, '    UDP_CHECK {\n      payload 6b6565707669700a\n      require_reply\n      connect_timeout 1\n      fwmark 7\n    }')}
${rs(9003, '    UDP_CHECK {\n      connect_timeout 1\n      fwmark 7\n    }')}
}
`;

  /** counters reads every named counter of dir's output chain: comment -> packets. */
  async function counters(): Promise<Record<string, number>> {
    const r = await dir.exec('nft', ['-j', 'list', 'chain', 'inet', 'kv_so', 'out']);
    const out: Record<string, number> = {};
    for (const item of JSON.parse(r.stdout).nftables as Record<string, unknown>[]) {
      const rule = item.rule as
        | { comment?: string; expr: Record<string, { packets?: number }>[] }
        | undefined;
      if (rule?.comment === undefined) continue;
      out[rule.comment] = rule.expr.find((e) => e.counter !== undefined)?.counter?.packets ?? 0;
    }
    return out;
  }

  beforeAll(async () => {
    ensureDistSync();
    topo = await createTopology({ prefix: PREFIX, nodes: ['dir', 'srv'], ipv6: true });
    dir = topo.node('dir');
    srv = topo.node('srv');
    const work = join(topo.dir, 'work');
    await mkdir(work, { recursive: true });
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=rs.test'],
        ...['-keyout', join(work, 'key.pem'), '-out', join(work, 'cert.pem')],
      ],
      { stdio: 'ignore' },
    );
    const servers = srv.spawn('servers', process.execPath, [
      join(REPO_ROOT, 'test/integration/check/fixtures/servers.mjs'),
      srv.addr4,
      work,
    ]);
    await servers.waitForLine(/^ready$/, 10_000);
    const v6 = srv.spawn('v6', process.execPath, [
      '-e',
      "require('node:net').createServer(() => {}).listen({ port: 8100, host: '::', ipv6Only: true }, () => console.log('ready'))",
    ]);
    await v6.waitForLine(/^ready$/, 10_000);
    // alt0: a second interface of the prober, up, with an address of its own and no route to srv.
    await dir.exec('ip', ['link', 'add', 'alt0', 'type', 'veth', 'peer', 'name', 'alt0p']);
    await dir.exec('ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'alt0']);
    await dir.exec('ip', ['link', 'set', 'alt0', 'up']);
    await dir.exec('ip', ['link', 'set', 'alt0p', 'up']);
    const rules = COUNTERS.map(([name, match]) => `  ${match} counter comment "${name}"\n`).join('');
    await dir.exec('nft', ['-f', '-'], {
      input: `table inet kv_so {\n chain out {\n  type filter hook output priority 0; policy accept;\n${rules}  meta mark 8 counter drop comment "mark8-dropped"\n }\n}\n`,
    });
    keepvip = await startVrrpDaemon(dir, { preset: 'keepvip', config: config(), extraArgs: ['-C'] });
  }, 120_000);

  afterAll(async () => {
    await keepvip?.stop().catch(() => {});
    // The veth pair and the nft table live in dir's namespace, which destroy() deletes.
    await topo?.destroy();
  });

  const logged = (re: RegExp) => keepvip.waitForLog(re, 15_000);
  const removed = (port: number, vsPort: number, proto = 'tcp') =>
    logged(
      new RegExp(
        `Removing service ${esc(`[${srv.addr4}]:${proto}:${port}`)} from VS ${esc(`[${vip}]:${proto}:${vsPort}`)}`,
      ),
    );
  const text = () => keepvip.lines.map((l) => l.text).join('\n');

  it('reads fwmark and bind_if without a "not supported by keepvip" warning', async () => {
    await logged(new RegExp(`TCP connection to ${esc(`[${srv.addr4}]:tcp:8001`)} success\\.`));
    expect(text()).not.toMatch(/'(fwmark|bind_if)'.*not supported by keepvip/);
  });

  it('TCP_CHECK fwmark 7: the probe packets carry mark 7; a mark nftables drops fails while the unmarked check passes', async () => {
    await logged(new RegExp(`TCP connection to ${esc(`[${srv.addr4}]:tcp:8003`)} success\\.`));
    await logged(new RegExp(`TCP connection to ${esc(`[${srv.addr4}]:tcp:8001`)} success\\.`));
    await removed(8006, 80);
    const c = await counters();
    console.log(
      `[socket-options] TCP: mark 7 -> :8003 ${c['tcp-mark7']} packets, unmarked -> :8001 ${c['tcp-unmarked']}, mark 8 dropped ${c['mark8-dropped']}`,
    );
    expect(c['tcp-mark7']).toBeGreaterThan(0);
    expect(c['tcp-unmarked']).toBeGreaterThan(0);
    expect(c['mark8-dropped']).toBeGreaterThan(0);
    const failed = keepvip.lines.find(
      (l) => l.text.includes(`[${srv.addr4}]:tcp:8006`) && /failed/i.test(l.text),
    );
    console.log(`[socket-options] mark 8: ${failed?.text}`);
    expect(failed).toBeDefined();
  });

  it('HTTP_GET, SSL_GET (TLS over the adopted socket), SMTP_CHECK and UDP_CHECK with fwmark 7 succeed with marked packets', async () => {
    await logged(new RegExp(`Remote Web server ${esc(`[${srv.addr4}]:tcp:8001`)} succeed on service\\.`));
    await logged(new RegExp(`Remote Web server ${esc(`[${srv.addr4}]:tcp:8443`)} succeed on service\\.`));
    await logged(new RegExp(`Remote SMTP server ${esc(`[${srv.addr4}]:tcp:2525`)} succeed on service\\.`));
    await logged(new RegExp(`UDP connection to ${esc(`[${srv.addr4}]:udp:9001`)} success\\.`));
    const c = await counters();
    console.log(
      `[socket-options] mark 7 packets: HTTP_GET ${c['http-mark7']}, SSL_GET ${c['ssl-mark7']}, SMTP_CHECK ${c['smtp-mark7']}, UDP_CHECK ${c['udp-mark7']}`,
    );
    for (const k of ['http-mark7', 'ssl-mark7', 'smtp-mark7', 'udp-mark7'])
      expect(c[k], k).toBeGreaterThan(0);
    for (const port of [8001, 8443, 2525])
      expect(text()).not.toMatch(
        new RegExp(`Removing service ${esc(`[${srv.addr4}]:tcp:${port}`)} from VS ${esc(`[${vip}]:tcp:81`)}`),
      );
  });

  it('UDP_CHECK fwmark 7 to a port with no listener: the ICMP port unreachable reaches the addon socket (ECONNREFUSED), down', async () => {
    await removed(9003, 82, 'udp');
    const line = keepvip.lines.find(
      (l) => l.text.includes(`[${srv.addr4}]:udp:9003`) && /failed/i.test(l.text),
    );
    console.log(`[socket-options] UDP :9003: ${line?.text}`);
    expect(line?.text).toMatch(/ECONNREFUSED/);
  });

  it('bind_if: bound to alt0 (no route to srv) the probe leaves by alt0 and fails; bound to eth0 it succeeds', async () => {
    await removed(8004, 80);
    await logged(new RegExp(`TCP connection to ${esc(`[${srv.addr4}]:tcp:8005`)} success\\.`));
    const c = await counters();
    console.log(
      `[socket-options] bind_if: alt0 ${c['out-alt0']} packets out (eth0 -> :8004 ${c['eth0-8004']}); eth0 -> :8005 ${c['eth0-8005']}`,
    );
    const failed = keepvip.lines.find(
      (l) => l.text.includes(`[${srv.addr4}]:tcp:8004`) && /failed/i.test(l.text),
    );
    console.log(`[socket-options] bind_if alt0: ${failed?.text}`);
    expect(failed).toBeDefined();
    expect(c['out-alt0']).toBeGreaterThan(0);
    expect(c['eth0-8004']).toBe(0);
    expect(c['eth0-8005']).toBeGreaterThan(0);
  });

  it('bind_if still scopes an IPv6 link-local connect_ip (with fwmark 9 on the same socket)', async () => {
    await logged(new RegExp(`TCP connection to ${esc(`[${srv.addr4}]:tcp:8100`)} success\\.`));
    const c = await counters();
    console.log(
      `[socket-options] link-local ${srv.linkLocal6}:8100 via eth0 with mark 9: ${c['ll6-mark9-eth0']} packets`,
    );
    expect(c['ll6-mark9-eth0']).toBeGreaterThan(0);
  });
});
