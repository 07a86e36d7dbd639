/**
 * bench/nginx.ts: render, test and reload an nginx upstream of 1,000 servers. A real nginx runs
 * on loopback (127.0.0.1:18099, its own prefix in a temporary directory); each round takes one
 * more server down, so every apply really changes the file: render (pool → context → template),
 * diff, then the safe apply (temp file, `nginx -t` on the top-level config, rename, `nginx -s
 * reload`). Also times until nginx logs that it reconfigured. No traffic to the backends.
 * Run with `node --import tsx bench/nginx.ts [servers] [rounds]`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfigText } from '../src/config/load.js';
import { applyRendered } from '../src/nginx/apply.js';
import { unifiedDiff } from '../src/nginx/diff.js';
import { fsPorts } from '../src/nginx/fs-ports.js';
import { resolvePool } from '../src/nginx/pool.js';
import { renderUpstream } from '../src/nginx/upstream.js';

const servers = Number(process.argv[2] ?? 1000);
const rounds = Number(process.argv[3] ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'kvng-bench-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(1)} ms, p95 ${p95(xs).toFixed(1)} ms`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const nginxConf = join(dir, 'nginx.conf');
mkdirSync(join(dir, 'conf.d'));
mkdirSync(join(dir, 'tmp'));
writeFileSync(
  nginxConf,
  `worker_processes 1;
error_log ${dir}/error.log notice;
pid ${dir}/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp;
  uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  include ${dir}/conf.d/*.conf;
}
`,
);
const lines = [
  'nginx_upstream bench {',
  `    output ${dir}/conf.d/bench.conf`,
  `    nginx_conf ${nginxConf}`,
  `    test_command "nginx -t -q -p ${dir} -c ${nginxConf}"`,
  `    reload_command "nginx -p ${dir} -c ${nginxConf} -s reload"`,
  '    listen 127.0.0.1:18099',
];
for (let i = 0; i < servers; i++) {
  lines.push(
    `    server 127.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}:8080 weight ${1 + (i % 3)} max_fails 2`,
  );
}
lines.push('}');
const loaded = loadConfigText(lines.join('\n'), join(dir, 'keepalived.conf'));
if (!loaded.config) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
const config = loaded.config;
const up = config.nginxUpstreams[0]!;
const members = resolvePool(up, config);

// Start with a first apply while nginx is not running yet: only the test matters, so reload is a no-op.
writeFileSync(up.output, renderUpstream(up, config));
const nginx = spawn('nginx', ['-p', dir, '-c', nginxConf, '-g', 'daemon off;'], { stdio: 'ignore' });
try {
  while (!existsSync(join(dir, 'nginx.pid'))) await sleep(20);
  const renderMs: number[] = [];
  const diffMs: number[] = [];
  const testMs: number[] = [];
  const reloadMs: number[] = [];
  const applyMs: number[] = [];
  const reconfiguredMs: number[] = [];
  const health = new Map<string, boolean>();
  let previous = readFileSync(up.output, 'utf8');
  for (let r = 0; r < rounds; r++) {
    health.set(members[r]!.key, false);
    const t0 = performance.now();
    const content = renderUpstream(up, config, health);
    const t1 = performance.now();
    unifiedDiff(previous, content, { from: 'a', to: 'b' });
    const t2 = performance.now();
    const before = readFileSync(join(dir, 'error.log'), 'utf8').split('reconfiguring').length;
    const res = await applyRendered(up, content, fsPorts);
    const t3 = performance.now();
    if (res.status !== 'applied') throw new Error(`round ${r}: ${res.status}`);
    while (readFileSync(join(dir, 'error.log'), 'utf8').split('reconfiguring').length === before)
      await sleep(2);
    const t4 = performance.now();
    renderMs.push(t1 - t0);
    diffMs.push(t2 - t1);
    testMs.push(res.testMs);
    reloadMs.push(res.reloadMs);
    applyMs.push(t3 - t2);
    reconfiguredMs.push(t4 - t2);
    previous = content;
    await sleep(100);
  }
  const size = Buffer.byteLength(previous);
  const version = spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim();
  console.log(`nginx upstream with ${servers} servers (${size} bytes), ${rounds} rounds, ${version}`);
  console.log(`  render (pool → template):        ${fmt(renderMs)}`);
  console.log(`  diff against the previous file:  ${fmt(diffMs)}`);
  console.log(`  nginx -t on the top-level config: ${fmt(testMs)}`);
  console.log(`  nginx -s reload (signal sent):    ${fmt(reloadMs)}`);
  console.log(`  whole apply (write, test, rename, reload): ${fmt(applyMs)}`);
  console.log(`  apply until nginx logs reconfiguring:      ${fmt(reconfiguredMs)}`);
  console.log(
    `  render + apply end to end:        median ${(median(renderMs) + median(diffMs) + median(applyMs)).toFixed(1)} ms`,
  );
} finally {
  nginx.kill('SIGQUIT');
  await new Promise((r) => nginx.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
