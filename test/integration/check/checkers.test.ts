import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { md5Hex } from '../../../src/check/probes/http.js';
import { REPO_ROOT, startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import type { ManagedProcess } from '../../helpers/processes.js';
import { createTopology, type TopoNode, type Topology } from '../../helpers/topology.js';
import { waitUntil } from '../../helpers/wait.js';
import { ensureDistSync } from '../../helpers/dist.js';

// keepvip -C (checkers only) in namespace `dir` judges real servers in namespace `srv` (node
// servers: fixtures/servers.mjs; dnsmasq for DNS) and `blk` (its ICMP dropped by nftables).
// Each real server's first run logs keepalived's success or failure line, and a failure is
// followed by "Removing service ...": those lines are the verdicts checked here.
const PREFIX = 'kvck';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[check/checkers.test] SKIPPED: ${skipReason}`);

/** buildDist compiles dist/ for bin/keepvip; type errors elsewhere in a tree being edited still emit (no noEmitOnError). */
function buildDist(): void {
  ensureDistSync();
}

const esc = (s: string) => s.replace(/[.[\]]/g, (c) => `\\${c}`);

describe.skipIf(skipReason !== undefined)('checkers against real servers in namespaces', () => {
  let topo: Topology;
  let srv: TopoNode;
  let blk: TopoNode;
  let dir: TopoNode;
  let servers: ManagedProcess;
  let keepvip: VrrpDaemon;
  let work: string;
  const vip = '10.99.0.1';

  const rs = (port: number, body: string, addr = srv.addr4) =>
    `  real_server ${addr} ${port} {\n${body}\n  }`;
  const http = (extra = '', url = 'path /') =>
    `    HTTP_GET {\n      url {\n        ${url.split(';').join('\n        ')}\n      }\n      connect_timeout 1\n${extra}    }`;

  const config = () => `global_defs {
  router_id checkers
}
virtual_server ${vip} 80 {
  delay_loop 2
  protocol TCP
${rs(8001, http('', `path /;digest ${md5Hex(Buffer.from('hello keepvip\n'))}`))}
${rs(8002, http())}
${rs(8003, http())}
${rs(8004, http())}
${rs(8005, http())}
${rs(8443, `    SSL_GET {\n      url {\n        path /\n        digest ${md5Hex(Buffer.from('secure\n'))}\n      }\n      connect_timeout 2\n    }`)}
}
virtual_server ${vip} 85 {
  delay_loop 2
  protocol TCP
${rs(8010, '    TCP_CHECK {\n      connect_timeout 1\n    }')}
${rs(8003, '    TCP_CHECK {\n      connect_timeout 1\n    }')}
}
virtual_server ${vip} 81 {
  delay_loop 2
  protocol TCP
${rs(8001, http('', 'path /;digest 00000000000000000000000000000000'))}
${rs(8006, http('', 'path /;status_code 200-204 404'))}
${rs(2525, '    SMTP_CHECK {\n      connect_timeout 2\n      helo_name checker.test\n    }')}
${rs(8003, '    SMTP_CHECK {\n      connect_timeout 1\n    }')}
${rs(53, '    DNS_CHECK {\n      type A\n      name svc.test\n      connect_timeout 1\n      retry 0\n    }')}
}
virtual_server ${vip} 82 {
  delay_loop 2
  protocol UDP
${rs(9001, '    UDP_CHECK {\n      payload 6b6565707669700a\n      require_reply\n      connect_timeout 1\n    }')}
${rs(9002, '    UDP_CHECK {\n      require_reply\n      connect_timeout 1\n    }')}
${rs(9003, '    UDP_CHECK {\n      connect_timeout 1\n    }')}
${rs(53, '    DNS_CHECK {\n      type A\n      name other.test\n      connect_timeout 1\n      retry 0\n    }')}
}
virtual_server ${vip} 83 {
  delay_loop 1
  protocol UDP
${rs(9002, '    UDP_CHECK {\n      connect_timeout 1\n    }')}
${rs(1, '    PING_CHECK {\n      connect_timeout 1\n    }')}
${rs(1, '    PING_CHECK {\n      connect_timeout 1\n    }', blk.addr4)}
}
virtual_server ${vip} 84 {
  delay_loop 1
  protocol TCP
${rs(7001, `    MISC_CHECK {\n      misc_path "/bin/sh -c 'exit $(cat ${work}/misc-exit)'"\n      misc_dynamic\n      misc_timeout 2\n    }`)}
${rs(7002, '    MISC_CHECK {\n      misc_path "/bin/sleep 31.25"\n      misc_timeout 1\n    }')}
}
`;

  beforeAll(async () => {
    buildDist();
    topo = await createTopology({ prefix: PREFIX, nodes: ['dir', 'srv', 'blk'] });
    dir = topo.node('dir');
    srv = topo.node('srv');
    blk = topo.node('blk');
    work = join(topo.dir, 'work');
    await mkdir(work, { recursive: true });
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=rs.test',
        '-keyout',
        join(work, 'key.pem'),
        '-out',
        join(work, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    await writeFile(join(work, 'misc-exit'), '12\n');
    servers = srv.spawn('servers', process.execPath, [
      join(REPO_ROOT, 'test/integration/check/fixtures/servers.mjs'),
      srv.addr4,
      work,
    ]);
    await servers.waitForLine(/^ready$/, 10_000);
    srv.spawn('dnsmasq', 'dnsmasq', [
      '--no-daemon',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      `--listen-address=${srv.addr4}`,
      '--port=53',
      '--address=/svc.test/10.1.2.3',
      `--pid-file=${join(work, 'dnsmasq.pid')}`,
      '--user=root',
    ]);
    await blk.exec('nft', ['-f', '-'], {
      input:
        'table inet kv_ck_icmp {\n chain input {\n  type filter hook input priority 0;\n  meta l4proto { icmp, ipv6-icmp } drop\n }\n}\n',
    });
    keepvip = await startVrrpDaemon(dir, { preset: 'keepvip', config: config(), extraArgs: ['-C'] });
    await keepvip.waitForLog(/Misc check for .*:7002/, 20_000);
  }, 120_000);

  afterAll(async () => {
    await keepvip?.stop().catch(() => {});
    await topo?.destroy();
  });

  const ok = (re: RegExp) => keepvip.waitForLog(re, 15_000);
  const removed = (port: number, vsPort: number, addr = srv.addr4, proto = 'tcp') =>
    keepvip.waitForLog(
      new RegExp(
        `Removing service ${esc(`[${addr}]:${proto}:${port}`)} from VS ${esc(`[${vip}]:${proto}:${vsPort}`)}`,
      ),
      15_000,
    );
  const neverRemoved = (port: number, vsPort: number, addr = srv.addr4, proto = 'tcp') =>
    expect(keepvip.lines.map((l) => l.text).join('\n')).not.toMatch(
      new RegExp(
        `Removing service ${esc(`[${addr}]:${proto}:${port}`)} from VS ${esc(`[${vip}]:${proto}:${vsPort}`)}`,
      ),
    );

  it('HTTP_GET: 200 with the right digest is up; digest mismatch and status 500 are down', async () => {
    await ok(new RegExp(`Remote Web server ${esc(`[${srv.addr4}]:tcp:8001`)} succeed on service\\.`));
    neverRemoved(8001, 80);
    await removed(8001, 81);
    await ok(
      new RegExp(
        `HTTP_CHECK on service ${esc(`[${srv.addr4}]:tcp:8002`)} failed\\. \\(HTTP status code error to /: 500\\)`,
      ),
    );
    await removed(8002, 80);
  });

  it('HTTP_GET: a server that accepts and never answers, a reset and a stalled body are down', async () => {
    for (const port of [8003, 8004, 8005]) await removed(port, 80);
    const text = keepvip.lines.map((l) => l.text).join('\n');
    expect(text).toMatch(new RegExp(`${esc(`[${srv.addr4}]:tcp:8004`)} failed\\..*(ECONNRESET|EPIPE)`));
    expect(text).toMatch(new RegExp(`${esc(`[${srv.addr4}]:tcp:8005`)} failed\\..*ETIMEDOUT`));
  });

  it('SSL_GET: a self-signed certificate is accepted (no verification, as keepalived) and the digest checked', async () => {
    await ok(new RegExp(`Remote Web server ${esc(`[${srv.addr4}]:tcp:8443`)} succeed on service\\.`));
    neverRemoved(8443, 80);
  });

  it('TCP_CHECK: connection refused (RST to the SYN) is down, an accepting server is up', async () => {
    await removed(8010, 85);
    await ok(new RegExp(`TCP connection to ${esc(`[${srv.addr4}]:tcp:8003`)} success\\.`));
  });

  it('status_code ranges: 200-204 404 accepts 404, rejects 500', async () => {
    await ok(new RegExp(`Remote Web server ${esc(`[${srv.addr4}]:tcp:8006`)} succeed`));
    const since = keepvip.lines.length;
    await writeFile(join(work, 'status'), '500\n');
    await keepvip.waitForLog(new RegExp(`Removing service ${esc(`[${srv.addr4}]:tcp:8006`)}`), 15_000, since);
    await writeFile(join(work, 'status'), '404\n');
    await keepvip.waitForLog(new RegExp(`Adding service ${esc(`[${srv.addr4}]:tcp:8006`)}`), 15_000, since);
  });

  it('SMTP_CHECK: the test SMTP server is up; a server without a banner is down', async () => {
    await ok(new RegExp(`Remote SMTP server ${esc(`[${srv.addr4}]:tcp:2525`)} succeed on service\\.`));
    await removed(8003, 81);
  });

  it('DNS_CHECK against dnsmasq: a known name is up, a refused one is down', async () => {
    await ok(new RegExp(`DNS_CHECK \\(${esc(`[${srv.addr4}]:tcp:53`)}\\) succeed`));
    await removed(53, 82, srv.addr4, 'udp');
    expect(keepvip.lines.map((l) => l.text).join('\n')).toMatch(/rcode = 5/);
  });

  it('UDP_CHECK: an echo is up; silence is down with require_reply and up without; port unreachable is down', async () => {
    await ok(new RegExp(`UDP connection to ${esc(`[${srv.addr4}]:udp:9001`)} success\\.`));
    await removed(9002, 82, srv.addr4, 'udp');
    await removed(9003, 82, srv.addr4, 'udp');
    await ok(new RegExp(`UDP connection to ${esc(`[${srv.addr4}]:udp:9002`)} success\\.`));
    neverRemoved(9002, 83, srv.addr4, 'udp');
  });

  it('PING_CHECK: an answering host is up; a host whose ICMP nftables drops is down', async () => {
    await ok(new RegExp(`ICMP connection to ${esc(`[${srv.addr4}]:udp:1`)} success\\.`));
    await removed(1, 83, blk.addr4, 'udp');
  });

  it('MISC_CHECK misc_dynamic: exit 12 sets weight 10, exit 5 weight 3, exit 1 takes it down', async () => {
    await ok(/Changing weight from 1 to 10 for active service .*:tcp:7001/);
    const since = keepvip.lines.length;
    await writeFile(join(work, 'misc-exit'), '5\n');
    await keepvip.waitForLog(/Changing weight from 10 to 3 for active service .*:tcp:7001/, 10_000, since);
    await writeFile(join(work, 'misc-exit'), '1\n');
    await keepvip.waitForLog(/Removing service .*:tcp:7001/, 10_000, since);
  });

  it('MISC_CHECK: a hung script is killed at misc_timeout and counts as failed', async () => {
    await ok(/Misc check for \[.*:tcp:7002 VS .*\] by \[\/bin\/sleep\] timed out/);
    await removed(7002, 84);
    // The timed-out run's process group is gone (SIGTERM at the timeout): no `sleep 31.25` lives on
    // beyond the next run's start.
    await waitUntil(
      async () => {
        const r = await dir.exec('pgrep', ['-f', '-c', '^/bin/sleep 31.25$'], { reject: false });
        return Number(r.stdout.trim() || '0') <= 1;
      },
      { timeoutMs: 5000, what: 'sleep processes reaped' },
    );
  });
});
