/**
 * The dumps and the metrics endpoint of a live keepvip: SIGJSON (SIGRTMIN+2) writes keepalived's
 * JSON beside the pid file and at keepalived's path ($TMPDIR/keepalived.json, here a sticky
 * directory of the test's own); planted symlinks (CVE-2018-19044) are never followed and a dump
 * that cannot be written does not stop the daemon; the metrics and control sockets are 0600 and
 * the metrics speak keepalived-exporter's names through the real socket.
 */
import { execFile } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleVrrpConfig, startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { createTopology, type Topology } from '../../helpers/topology.js';
import { ensureDist } from '../../helpers/dist.js';

const run = promisify(execFile);
const skip = integrationSkipReason();
if (skip) console.warn(`control dump tests skipped: ${skip}`);

/** SIGJSON is SIGRTMIN+2: 36 with glibc (`kill -l 36` says RTMIN+2). */
const SIGJSON = 36 as unknown as NodeJS.Signals;

function getMetrics(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: '/metrics' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
  });
}

describe.skipIf(!!skip)('dumps and metrics of a live daemon', () => {
  let topo: Topology;
  let d: VrrpDaemon;
  let vip: string;
  let shared: string;
  let base: string;

  beforeAll(async () => {
    await ensureDist();
    topo = await createTopology({ prefix: 'kvdump', nodes: ['n1'] });
    vip = topo.addr4(100);
    const n1 = topo.node('n1');
    shared = join(n1.dir, 'tmp');
    mkdirSync(shared, { recursive: true });
    chmodSync(shared, 0o1777);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = shared; // the daemon inherits it: keepalived's tmp_dir rule
    try {
      d = await startVrrpDaemon(n1, {
        preset: 'keepvip',
        config: simpleVrrpConfig({
          routerId: 'n1',
          virtualRouterId: 81,
          priority: 150,
          state: 'MASTER',
          authPass: 'hunter2',
          vips: [`${vip}/24`],
        }),
        extraArgs: ['--metrics', `unix:${join(n1.dir, 'metrics.sock')}`],
      });
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    await topo.waitForVipOn('n1', vip, 15_000);
    base = d.paths.pid.replace(/\.pid$/, '');
  });
  afterAll(async () => {
    await d?.stop().catch(() => {});
    await topo?.destroy();
  });

  it('SIGJSON writes keepalived.json beside the pid file and at $TMPDIR/keepalived.json, mode 0600', async () => {
    const since = d.lines.length;
    await d.proc.signal(SIGJSON);
    await d.waitForLog(new RegExp(`JSON state written to ${shared}/keepalived\\.json`), 5000, since);
    const compat = JSON.parse(readFileSync(join(shared, 'keepalived.json'), 'utf8'));
    const own = JSON.parse(readFileSync(`${base}.json`, 'utf8'));
    console.log(`[dumps] ${shared}/keepalived.json: ${JSON.stringify(compat).slice(0, 300)}...`);
    expect(own).toEqual(compat);
    expect(compat[0].data).toMatchObject({ iname: 'VI_1', vrid: 81, state: 2, ifp_ifname: 'eth0' });
    expect(compat[0].data.vips).toEqual([`${vip}/24 dev eth0 scope global set`]);
    expect(compat[0].stats.advert_sent).toBeGreaterThan(0);
    expect(JSON.stringify(compat)).not.toContain('hunter2');
    expect(statSync(join(shared, 'keepalived.json')).mode & 0o777).toBe(0o600);
    expect(statSync(`${base}.json`).mode & 0o777).toBe(0o600);
  });

  it('CVE-2018-19044: a symlink planted at /tmp/keepalived.json is refused and logged; the daemon runs on', async () => {
    const victim = join(topo.node('n1').dir, 'victim');
    writeFileSync(victim, 'precious\n');
    const compat = join(shared, 'keepalived.json');
    await run('rm', ['-f', compat]);
    symlinkSync(victim, compat);
    const since = d.lines.length;
    await d.proc.signal(SIGJSON);
    const line = await d.waitForLog(/JSON state not written to .*is a symlink/, 5000, since);
    console.log(`[dumps] ${line.text}`);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(compat).isSymbolicLink()).toBe(true);
    const status = (await d.status()) as { instances: { state: string }[] };
    expect(status.instances[0]!.state).toBe('MASTER');
  });

  it('CVE-2018-19044: a symlink at the stats path is replaced by a new file, not written through', async () => {
    const victim = join(topo.node('n1').dir, 'victim2');
    writeFileSync(victim, 'precious\n');
    await run('rm', ['-f', `${base}.stats`]);
    symlinkSync(victim, `${base}.stats`);
    const since = d.lines.length;
    await d.proc.signal('SIGUSR2');
    await d.waitForLog(/Statistics written to/, 5000, since);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(`${base}.stats`).isFile()).toBe(true);
    expect(readFileSync(`${base}.stats`, 'utf8')).toMatch(/^VRRP Instance: VI_1$/m);
  });

  it('a dump that cannot be written (its path is a directory) is logged; the daemon keeps serving', async () => {
    mkdirSync(`${base}.data`, { recursive: true });
    const since = d.lines.length;
    await d.proc.signal('SIGUSR1');
    const line = await d.waitForLog(/Data dump not written/, 5000, since);
    console.log(`[dumps] ${line.text}`);
    const status = (await d.status()) as { instances: { state: string }[] };
    expect(status.instances[0]!.state).toBe('MASTER');
    expect(d.proc.running).toBe(true);
  });

  it('the metrics and control sockets are 0600; /metrics serves keepalived-exporter names', async () => {
    const metricsSock = join(topo.node('n1').dir, 'metrics.sock');
    expect(statSync(metricsSock).mode & 0o777).toBe(0o600);
    expect(statSync(d.paths.control!).mode & 0o777).toBe(0o600);
    const body = await getMetrics(metricsSock);
    const lines = body.split('\n');
    console.log(
      lines.filter((l) => /^keepalived_(vrrp_state|advertisements_sent|become_master)/.test(l)).join('\n'),
    );
    expect(lines).toContain(
      `keepalived_vrrp_state{iname="VI_1",intf="eth0",vrid="81",ip_address="${vip}/24"} 2`,
    );
    expect(body).toMatch(
      /^keepalived_advertisements_sent_total\{iname="VI_1",intf="eth0",vrid="81"\} [1-9]\d*$/m,
    );
    expect(body).toMatch(/^keepalived_become_master_total\{iname="VI_1",intf="eth0",vrid="81"\} 1$/m);
    expect(body).toContain('keepalived_up 1');
    expect(body).not.toContain('node_ipvs_'); // no IPVS here
  });
});
