/**
 * A real Prometheus (Debian's /usr/bin/prometheus) scrapes two keepvip nodes and evaluates the
 * rules we ship in contrib/prometheus/keepvip.rules.yml (a test copy with `for: 0s`). The test
 * forces both conditions: nftables drops VRRP between the nodes (two masters: VrrpSplitBrain),
 * then both nodes lose carrier (both FAULT: VrrpNoMaster), and reads the firing alerts from
 * Prometheus's HTTP API. Prometheus and a TCP->unix forwarder run in the client namespace on
 * its loopback; the nodes serve metrics on unix sockets in their scratch directories.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropVrrp, linkDown, linkUp, restoreVrrp } from '../../helpers/faults.js';
import { REPO_ROOT, simpleVrrpConfig, startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import type { ManagedProcess } from '../../helpers/processes.js';
import { createTopology, type Topology } from '../../helpers/topology.js';
import { waitUntil } from '../../helpers/wait.js';
import { ensureDist } from '../../helpers/dist.js';

const PROMETHEUS = '/usr/bin/prometheus';
const skip =
  integrationSkipReason() ?? (existsSync(PROMETHEUS) ? undefined : `${PROMETHEUS} is not installed`);
if (skip) console.warn(`prometheus tests skipped: ${skip}`);

const VRID = 73;
const PROM = '127.0.0.1:19090';

interface Alert {
  labels: Record<string, string>;
  state: string;
  value: string;
}

describe.skipIf(!!skip)('Prometheus scrapes keepvip and fires the shipped VRRP alerts', () => {
  let topo: Topology;
  const d: Record<string, VrrpDaemon> = {};
  let prometheus: ManagedProcess;
  let vip: string;

  const api = async (path: string): Promise<unknown> => {
    const res = await topo.node('client').exec('curl', ['-sf', '--max-time', '2', `http://${PROM}${path}`], {
      reject: false,
    });
    if (res.exitCode !== 0) return undefined;
    return (JSON.parse(res.stdout) as { data: unknown }).data;
  };
  const firing = async (): Promise<Alert[]> => {
    const data = (await api('/api/v1/alerts')) as { alerts: Alert[] } | undefined;
    return (data?.alerts ?? []).filter((a) => a.state === 'firing');
  };
  const waitForAlerts = (pred: (a: Alert[]) => boolean, what: string, ms = 30_000) =>
    waitUntil(
      async () => {
        const a = await firing();
        return pred(a) ? a : undefined;
      },
      { timeoutMs: ms, intervalMs: 250, what },
    );

  beforeAll(async () => {
    await ensureDist();
    topo = await createTopology({ prefix: 'kvprom', nodes: ['n1', 'n2'], client: true });
    vip = topo.addr4(100);
    for (const [name, priority] of [
      ['n1', 150],
      ['n2', 100],
    ] as const) {
      d[name] = await startVrrpDaemon(topo.node(name), {
        preset: 'keepvip',
        config: simpleVrrpConfig({ routerId: name, virtualRouterId: VRID, priority, vips: [`${vip}/24`] }),
        extraArgs: ['--metrics', `unix:${join(topo.node(name).dir, 'metrics.sock')}`],
      });
    }
    await topo.waitForVipOn('n1', vip, 15_000);

    const client = topo.node('client');
    await mkdir(client.dir, { recursive: true });
    const proxy = client.spawn('unix-proxy', process.execPath, [
      join(REPO_ROOT, 'test/integration/control/unix-proxy.mjs'),
      `127.0.0.1:19101=${join(topo.node('n1').dir, 'metrics.sock')}`,
      `127.0.0.1:19102=${join(topo.node('n2').dir, 'metrics.sock')}`,
    ]);
    await proxy.waitForLine(/^ready$/, 10_000);
    // The shipped rules, with `for:` shortened so the test does not wait 30 s per alert.
    const rules = readFileSync(join(REPO_ROOT, 'contrib/prometheus/keepvip.rules.yml'), 'utf8').replace(
      /for: \d+s/g,
      'for: 0s',
    );
    await writeFile(join(client.dir, 'keepvip.rules.yml'), rules);
    await writeFile(
      join(client.dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${join(client.dir, 'keepvip.rules.yml')}`,
        'scrape_configs:',
        '  - job_name: keepvip-pair',
        '    static_configs:',
        "      - targets: ['127.0.0.1:19101', '127.0.0.1:19102']",
        '',
      ].join('\n'),
    );
    prometheus = client.spawn('prometheus', PROMETHEUS, [
      `--config.file=${join(client.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(client.dir, 'prometheus-data')}`,
      `--web.listen-address=${PROM}`,
      '--log.level=warn',
    ]);
    await waitUntil(
      async () => {
        const t = (await api('/api/v1/targets')) as { activeTargets: { health: string }[] } | undefined;
        return t && t.activeTargets.length === 2 && t.activeTargets.every((x) => x.health === 'up')
          ? t
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'both keepvip targets up in Prometheus' },
    );
  });

  afterAll(async () => {
    for (const n of ['n1', 'n2']) {
      if (!topo) break;
      await restoreVrrp(topo.node(n)).catch(() => {});
      await linkUp(topo.node(n)).catch(() => {});
    }
    await prometheus?.stop().catch(() => {});
    for (const daemon of Object.values(d)) await daemon.stop().catch(() => {});
    await topo?.destroy();
  });

  it('a healthy pair: Prometheus sees one MASTER and fires nothing', async () => {
    const q = (await api(`/api/v1/query?query=${encodeURIComponent('keepalived_vrrp_state')}`)) as {
      result: { metric: Record<string, string>; value: [number, string] }[];
    };
    const rows = q.result.map(
      (r) =>
        `${r.metric.instance} ${r.metric.iname} vrid ${r.metric.vrid} ${r.metric.ip_address} = ${r.value[1]}`,
    );
    console.log(`[prometheus] keepalived_vrrp_state:\n  ${rows.sort().join('\n  ')}`);
    expect(q.result.map((r) => r.value[1]).sort()).toEqual(['1', '2']);
    expect(q.result.every((r) => r.metric.vrid === String(VRID) && r.metric.ip_address === `${vip}/24`)).toBe(
      true,
    );
    // Two evaluation rounds after the targets came up, still nothing fires.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await firing()).toEqual([]);
  });

  it('nftables drops VRRP between the nodes: both become MASTER and VrrpSplitBrain fires', async () => {
    const t0 = Date.now();
    await dropVrrp(topo.node('n1'));
    try {
      const alerts = await waitForAlerts(
        (a) => a.some((x) => x.labels.alertname === 'VrrpSplitBrain'),
        'VrrpSplitBrain firing',
      );
      const a = alerts.find((x) => x.labels.alertname === 'VrrpSplitBrain')!;
      console.log(
        `[prometheus] VrrpSplitBrain firing ${Date.now() - t0} ms after the drop: ${JSON.stringify(a.labels)} value ${a.value}`,
      );
      expect(a.labels).toMatchObject({ vrid: String(VRID), job: 'keepvip-pair', severity: 'critical' });
      expect(Number(a.value)).toBe(2);
      expect(alerts.some((x) => x.labels.alertname === 'VrrpNoMaster')).toBe(false);
    } finally {
      await restoreVrrp(topo.node('n1'));
    }
    await topo.waitForVipOn('n1', vip, 15_000);
    await waitForAlerts((a) => a.length === 0, 'VrrpSplitBrain resolved after the heal');
    console.log(`[prometheus] healed: no alert firing ${Date.now() - t0} ms after the drop`);
  });

  it('both nodes lose carrier: both FAULT and VrrpNoMaster fires', async () => {
    const t0 = Date.now();
    await linkDown(topo.node('n1'));
    await linkDown(topo.node('n2'));
    try {
      const alerts = await waitForAlerts(
        (a) => a.some((x) => x.labels.alertname === 'VrrpNoMaster'),
        'VrrpNoMaster firing',
      );
      const a = alerts.find((x) => x.labels.alertname === 'VrrpNoMaster')!;
      const states = await Promise.all(
        ['n1', 'n2'].map(
          async (n) => ((await d[n]!.status()) as { instances: { state: string }[] }).instances[0]!.state,
        ),
      );
      console.log(
        `[prometheus] VrrpNoMaster firing ${Date.now() - t0} ms after both links went down (states ${states.join(', ')}): ${JSON.stringify(a.labels)}`,
      );
      expect(a.labels).toMatchObject({ vrid: String(VRID), job: 'keepvip-pair' });
      expect(states).toEqual(['FAULT', 'FAULT']);
      expect(alerts.some((x) => x.labels.alertname === 'VrrpSplitBrain')).toBe(false);
    } finally {
      await linkUp(topo.node('n1'));
      await linkUp(topo.node('n2'));
    }
    await topo.waitForVipOn('n1', vip, 15_000);
    await waitForAlerts((a) => a.length === 0, 'VrrpNoMaster resolved after the links came back');
  });
});
