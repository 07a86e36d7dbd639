import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeProbes, formatReport } from '../../../bench/lib/outage.js';
import type { Prober } from '../../../bench/lib/prober.js';
import { REPO_ROOT, startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { type NginxInstance, startNginx } from '../../helpers/nginx.js';
import { startClientProber } from '../../helpers/prober.js';
import { createTopology, leftoverNetns, type TopoNode, type Topology } from '../../helpers/topology.js';
import { sleep, waitUntil } from '../../helpers/wait.js';
import { ensureDistSync } from '../../helpers/dist.js';

// keepvip renders a real nginx's upstream from an nginx_upstream block: the front nginx `lb`
// proxies to two backend nginx (b1, b2), keepvip's TCP health check takes b2 out when it
// stops, and a client load loop through lb sees no failed request across the reload. A
// template that renders an invalid nginx config is refused by `nginx -t` on the top-level
// configuration, and the running nginx keeps serving the previous one.
const PREFIX = 'kvng';
const skipReason = integrationSkipReason();
if (skipReason) console.warn(`[nginx-upstream.test] SKIPPED: ${skipReason}`);

/** frontNginxConf is lb's top-level nginx.conf: it only includes conf.d, where keepvip writes. */
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

describe.skipIf(skipReason !== undefined)('nginx_upstream rendered into a real nginx', () => {
  let topo: Topology;
  let lb: TopoNode;
  let prefix: string;
  let output: string;
  let keepvip: VrrpDaemon;
  const backends = new Map<string, NginxInstance>();
  let prober: Prober | undefined;

  const keepalivedConf = (extra = '') => `global_defs {
    router_id lb
}
nginx_upstream web {
    output ${output}
    nginx_conf ${prefix}/nginx.conf
    test_command "nginx -t -q -p ${prefix} -c ${prefix}/nginx.conf"
    reload_command "nginx -p ${prefix} -c ${prefix}/nginx.conf -s reload"
    listen 80
    server ${topo.node('b1').addr4}:80
    server ${topo.node('b2').addr4}:80
    health_check tcp { interval 0.3 timeout 0.3 fall 2 rise 1 }
    coalesce_delay 0.1
${extra}
}
`;

  /** keepvipCli runs `keepvip ARGS` in lb's namespace; returns exit code and output. */
  const keepvipCli = async (args: string[]) => {
    const r = await lb.exec(process.execPath, [join(REPO_ROOT, 'bin/keepvip'), ...args], { reject: false });
    return { code: r.exitCode, out: `${r.stdout}\n${r.stderr}` };
  };
  const curl = async () =>
    (await topo.client!.exec('curl', ['-sS', '--max-time', '3', `http://${lb.addr4}/`])).stdout.trim();
  const reconfigurations = async () =>
    (await readFile(join(prefix, 'error.log'), 'utf8')).split('reconfiguring').length - 1;

  beforeAll(async () => {
    ensureDistSync();
    topo = await createTopology({ prefix: PREFIX, nodes: ['lb', 'b1', 'b2'], client: true });
    lb = topo.node('lb');
    prefix = join(lb.dir, 'front');
    output = join(prefix, 'conf.d', 'web.conf');
    for (const b of ['b1', 'b2']) backends.set(b, await startNginx(topo.node(b), { body: `${b}\n` }));
    await mkdir(join(prefix, 'conf.d'), { recursive: true });
    await mkdir(join(prefix, 'tmp'), { recursive: true });
    await writeFile(join(prefix, 'nginx.conf'), frontNginxConf(prefix));
    // The topology tracks the front nginx and stops it in destroy().
    lb.spawn('nginx', 'nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;']);
    await waitUntil(async () => (await readFile(join(prefix, 'nginx.pid'), 'utf8').catch(() => '')) !== '', {
      timeoutMs: 10_000,
      what: 'front nginx pid file',
    });
  }, 120_000);

  afterAll(async () => {
    await prober?.stop().catch(() => undefined);
    await topo?.destroy();
    expect(leftoverNetns(PREFIX)).toEqual([]);
  });

  it('keepvip renders the upstream, nginx -t passes on the top-level config, and lb serves through both backends', async () => {
    keepvip = await startVrrpDaemon(lb, { preset: 'keepvip', config: keepalivedConf() });
    const applied = await keepvip.waitForLog(/nginx_upstream web: .* updated and nginx reloaded/, 20_000);
    console.log(`[nginx] ${applied.text}`);
    const rendered = await readFile(output, 'utf8');
    expect(rendered).toMatch(/^upstream web \{$/m);
    expect(rendered).toContain(`server ${topo.node('b1').addr4}:80;`);
    expect(rendered).toContain(`server ${topo.node('b2').addr4}:80;`);
    const seen = new Set<string>();
    await waitUntil(
      async () => {
        seen.add(await curl().catch(() => ''));
        return seen.has('b1') && seen.has('b2');
      },
      { timeoutMs: 10_000, what: 'answers from b1 and b2 through lb' },
    );
    expect([...seen].filter((s) => s !== '').sort()).toEqual(['b1', 'b2']);
  });

  it('takes a backend that goes down out of the upstream; the client loop sees zero failed requests', async () => {
    prober = await startClientProber(topo, lb.addr4, { intervalMs: 10, timeoutMs: 2000 });
    await prober.waitFor((s) => s.ok, 5000);
    await sleep(500);
    const reloadsBefore = await reconfigurations();
    const since = keepvip.lines.length;
    await backends.get('b2')!.stop();
    const down = await keepvip.waitForLog(/server .*:80 is down \(health check\)/, 10_000, since);
    const applied = await keepvip.waitForLog(
      /web\.conf updated and nginx reloaded \(pool change/,
      10_000,
      since,
    );
    await waitUntil(async () => (await reconfigurations()) > reloadsBefore, {
      timeoutMs: 5000,
      what: 'nginx reload',
    });
    await sleep(1000);
    const samples = await prober.stop();
    prober = undefined;
    const report = analyzeProbes(samples);
    console.log(`[nginx] ${down.text}\n[nginx] ${applied.text}\n[nginx] load loop: ${formatReport(report)}`);
    expect(await readFile(output, 'utf8')).toContain(`server ${topo.node('b2').addr4}:80 down;`);
    expect(report.samples).toBeGreaterThan(50);
    expect(report.failed).toBe(0);
    expect(Object.keys(report.answersByNode).sort()).toEqual(['b1', 'b2']);
    // After the reload only b1 answers.
    for (let i = 0; i < 5; i++) expect(await curl()).toBe('b1');
  });

  it('keepvip render refuses a template nginx -t rejects and leaves the running config untouched', async () => {
    const badDir = join(lb.dir, 'bad-templates');
    await mkdir(badDir, { recursive: true });
    await writeFile(join(badDir, 'nginx-upstream.hbs'), 'upstream {{name}} {\n    bogus_directive on;\n}\n');
    const conf = join(lb.dir, 'render.conf');
    await writeFile(conf, keepalivedConf(`    template_dir ${badDir}`));
    const before = await readFile(output, 'utf8');
    const reloadsBefore = await reconfigurations();
    const dry = await keepvipCli(['render', '-f', conf, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/^\+ {4}bogus_directive on;$/m);
    expect(dry.out).toMatch(/would change \(dry run, nothing written\)/);
    const r = await keepvipCli(['render', '-f', conf, '--diff']);
    console.log(`[nginx] keepvip render with a bad template: exit ${r.code}\n${r.out.trim()}`);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /rejected the new .*web\.conf; previous version restored: .*unknown directive "bogus_directive"/,
    );
    expect(await readFile(output, 'utf8')).toBe(before);
    expect(await readFile(`${output}.keepvip-rejected`, 'utf8')).toContain('bogus_directive');
    expect(await reconfigurations()).toBe(reloadsBefore);
    expect(await curl()).toBe('b1');
    // With the good template, a one-shot render also brings b2 back (render assumes all up) and reloads.
    const good = join(lb.dir, 'good.conf');
    await writeFile(good, keepalivedConf());
    const ok = await keepvipCli(['render', '-f', good]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/written, nginx -t .* passed, nginx reloaded/);
    expect(await readFile(output, 'utf8')).not.toContain(' down;');
  });
});
