import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeProbes, formatReport } from '../../../bench/lib/outage.js';
import type { Prober } from '../../../bench/lib/prober.js';
import { REPO_ROOT, startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { startClientProber } from '../../helpers/prober.js';
import { createTopology, leftoverNetns, type TopoNode, type Topology } from '../../helpers/topology.js';
import { sleep, waitUntil } from '../../helpers/wait.js';
import { ensureDistSync } from '../../helpers/dist.js';

// An nginx_upstream with from_virtual_server follows the HTTP_GET verdicts of the virtual
// server's real servers: b2 starts answering 500, its HTTP_GET fails, keepvip renders it
// `down` and reloads the real front nginx on lb, and a client loop through lb sees no failed
// request. The pool's template retries 500 on the next backend (proxy_next_upstream http_500),
// which covers the moments before the checker notices.
const PREFIX = 'kvcn';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[check/nginx-pool.test] SKIPPED: ${skipReason}`);

function buildDist(): void {
  ensureDistSync();
}

function frontNginxConf(prefix: string): string {
  return `worker_processes 1;
error_log ${prefix}/error.log info;
pid ${prefix}/nginx.pid;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  include ${prefix}/conf.d/*.conf;
}
`;
}

describe.skipIf(skipReason !== undefined)(
  'nginx_upstream from_virtual_server follows HTTP_GET verdicts',
  () => {
    let topo: Topology;
    let lb: TopoNode;
    let prefix: string;
    let output: string;
    let keepvip: VrrpDaemon;
    let prober: Prober | undefined;
    const vip = '10.98.0.1';

    const config = () => `global_defs {
    router_id lb
}
virtual_server ${vip} 80 {
    delay_loop 1
    protocol TCP
${['b1', 'b2']
  .map(
    (b) => `    real_server ${topo.node(b).addr4} 8006 {
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
            retry 0
        }
    }`,
  )
  .join('\n')}
}
nginx_upstream web {
    output ${output}
    nginx_conf ${prefix}/nginx.conf
    test_command "nginx -t -q -p ${prefix} -c ${prefix}/nginx.conf"
    reload_command "nginx -p ${prefix} -c ${prefix}/nginx.conf -s reload"
    template_dir ${join(prefix, 'templates')}
    listen 80
    from_virtual_server ${vip} 80
    coalesce_delay 0.1
}
`;

    beforeAll(async () => {
      buildDist();
      topo = await createTopology({ prefix: PREFIX, nodes: ['lb', 'b1', 'b2'], client: true });
      lb = topo.node('lb');
      prefix = join(lb.dir, 'front');
      output = join(prefix, 'conf.d', 'web.conf');
      for (const b of ['b1', 'b2']) {
        const node = topo.node(b);
        await mkdir(node.dir, { recursive: true });
        // servers.mjs also serves TLS: it needs a key pair even though this test does not use it.
        spawnSync(
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
            join(node.dir, 'key.pem'),
            '-out',
            join(node.dir, 'cert.pem'),
          ],
          { stdio: 'ignore' },
        );
        await writeFile(join(node.dir, 'status'), '200\n');
        const s = node.spawn('servers', process.execPath, [
          join(REPO_ROOT, 'test/integration/check/fixtures/servers.mjs'),
          node.addr4,
          node.dir,
          b,
        ]);
        await s.waitForLine(/^ready$/, 10_000);
      }
      await mkdir(join(prefix, 'conf.d'), { recursive: true });
      await mkdir(join(prefix, 'tmp'), { recursive: true });
      await mkdir(join(prefix, 'templates'), { recursive: true });
      const tpl = await readFile(join(REPO_ROOT, 'templates/nginx-upstream.hbs'), 'utf8');
      await writeFile(
        join(prefix, 'templates/nginx-upstream.hbs'),
        tpl.replace('proxy_next_upstream error timeout', 'proxy_next_upstream error timeout http_500'),
      );
      await writeFile(join(prefix, 'nginx.conf'), frontNginxConf(prefix));
      lb.spawn('nginx', 'nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;']);
      await waitUntil(
        async () => (await readFile(join(prefix, 'nginx.pid'), 'utf8').catch(() => '')) !== '',
        {
          timeoutMs: 10_000,
          what: 'front nginx pid file',
        },
      );
    }, 120_000);

    afterAll(async () => {
      await prober?.stop().catch(() => undefined);
      await keepvip?.stop().catch(() => undefined);
      await topo?.destroy();
      expect(leftoverNetns(PREFIX)).toEqual([]);
    });

    it('renders both real servers, then marks the one answering 500 down; the client loop sees 0 failures', async () => {
      keepvip = await startVrrpDaemon(lb, { preset: 'keepvip', config: config() });
      await keepvip.waitForLog(/nginx_upstream web: .* updated and nginx reloaded/, 20_000);
      const b1 = topo.node('b1').addr4;
      const b2 = topo.node('b2').addr4;
      await keepvip.waitForLog(
        new RegExp(`Remote Web server \\[${b2.replace(/\./g, '\\.')}\\]:tcp:8006 succeed`),
        10_000,
      );
      expect(await readFile(output, 'utf8')).toContain(`server ${b2}:8006;`);
      prober = await startClientProber(topo, lb.addr4, { intervalMs: 10, timeoutMs: 2000 });
      await prober.waitFor((s) => s.ok, 5000);
      await sleep(500);
      const since = keepvip.lines.length;
      await writeFile(join(topo.node('b2').dir, 'status'), '500\n');
      const failed = await keepvip.waitForLog(
        /HTTP_CHECK on service .*:8006 failed\. \(HTTP status code error to \/: 500\)/,
        10_000,
        since,
      );
      const removed = await keepvip.waitForLog(
        new RegExp(`Removing service \\[${b2.replace(/\./g, '\\.')}\\]:tcp:8006`),
        10_000,
        since,
      );
      const applied = await keepvip.waitForLog(
        /web\.conf updated and nginx reloaded \(pool change/,
        10_000,
        since,
      );
      await sleep(1500);
      const samples = await prober.stop();
      prober = undefined;
      const report = analyzeProbes(samples);
      console.log(
        `[check/nginx] ${failed.text}\n[check/nginx] ${removed.text}\n[check/nginx] ${applied.text}\n[check/nginx] load loop: ${formatReport(report)}`,
      );
      const rendered = await readFile(output, 'utf8');
      expect(rendered).toContain(`server ${b2}:8006 down;`);
      expect(rendered).toContain(`server ${b1}:8006;`);
      expect(report.samples).toBeGreaterThan(100);
      expect(report.failed).toBe(0);
      // Recovery: b2 answers 200 again and returns to the pool.
      const since2 = keepvip.lines.length;
      await writeFile(join(topo.node('b2').dir, 'status'), '200\n');
      await keepvip.waitForLog(
        new RegExp(`Adding service \\[${b2.replace(/\./g, '\\.')}\\]:tcp:8006`),
        10_000,
        since2,
      );
      await keepvip.waitForLog(/web\.conf updated and nginx reloaded \(pool change/, 10_000, since2);
      expect(await readFile(output, 'utf8')).toContain(`server ${b2}:8006;`);
    });
  },
);
