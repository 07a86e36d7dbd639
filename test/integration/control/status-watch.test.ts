/**
 * `keepvip status --watch` in a real terminal: tmux (its own server socket, started and killed
 * here) runs the watch against a live daemon; capture-pane shows the screen. A maintenance
 * `touch` of the down file a track script tests moves the priority, and the screen follows with
 * what moved it.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, simpleVrrpConfig, startVrrpDaemon, type VrrpDaemon } from '../../helpers/keepalived.js';
import { integrationSkipReason } from '../../helpers/netns.js';
import { createTopology, type Topology } from '../../helpers/topology.js';
import { waitUntil } from '../../helpers/wait.js';
import { ensureDist } from '../../helpers/dist.js';

const run = promisify(execFile);
const TMUX = '/usr/bin/tmux';
const skip = integrationSkipReason() ?? (existsSync(TMUX) ? undefined : `${TMUX} is not installed`);
if (skip) console.warn(`status --watch tests skipped: ${skip}`);

describe.skipIf(!!skip)('keepvip status --watch in tmux', () => {
  let topo: Topology;
  let d: VrrpDaemon;
  let downFile: string;
  // A server socket of our own inside the topology's scratch directory (removed with it).
  const tmux = (...args: string[]) => run(TMUX, ['-S', join(topo.node('n1').dir, 'tmux.sock'), ...args]);
  const screen = async () => (await tmux('capture-pane', '-p', '-t', 'watch')).stdout;
  const waitForScreen = (re: RegExp, what: string) =>
    waitUntil(async () => ((s) => (re.test(s) ? s : undefined))(await screen()), {
      timeoutMs: 15_000,
      intervalMs: 100,
      what,
    });

  beforeAll(async () => {
    await ensureDist();
    topo = await createTopology({ prefix: 'kvwatch', nodes: ['n1'] });
    downFile = join(topo.node('n1').dir, 'down');
    d = await startVrrpDaemon(topo.node('n1'), {
      preset: 'keepvip',
      config: simpleVrrpConfig({
        routerId: 'n1',
        virtualRouterId: 91,
        priority: 150,
        state: 'MASTER',
        vips: [`${topo.addr4(100)}/24`],
        topLevelExtra: `vrrp_script chk_down {\n  script "[ ! -f ${downFile} ]"\n  interval 1\n  weight -20\n}\n`,
        instanceExtra: '  track_script {\n    chk_down\n  }\n',
      }),
    });
    await topo.waitForVipOn('n1', topo.addr4(100), 15_000);
    await tmux(
      'new-session',
      '-d',
      '-s',
      'watch',
      '-x',
      '200',
      '-y',
      '40',
      `${process.execPath} ${join(REPO_ROOT, 'bin/keepvip')} status --watch --control ${d.paths.control}`,
    );
  });
  afterAll(async () => {
    await tmux('kill-server').catch(() => {});
    await d?.stop().catch(() => {});
    await topo?.destroy();
  });

  it('shows the instance, its VIP and priority, then follows a maintenance touch', async () => {
    const before = await waitForScreen(
      /VI_1: MASTER .* priority 150 \(base 150\)/,
      'the watch shows VI_1 MASTER at 150',
    );
    console.log(`[watch] before:\n${before.trimEnd()}`);
    expect(before).toMatch(/^keepvip status --watch \(/m);
    expect(before).toContain(`VIPs: ${topo.addr4(100)}/24`);
    expect(before).toMatch(/track script chk_down: OK weight -20/);
    writeFileSync(downFile, '');
    const after = await waitForScreen(
      /priority 130 \(base 150\) moved by -20 script chk_down/,
      'the watch shows the priority moved by chk_down',
    );
    console.log(`[watch] after touch ${downFile}:\n${after.trimEnd()}`);
    expect(after).toMatch(/track script chk_down: FAILED weight -20/);
    // One screen, redrawn in place (clear + home): the old priority line is gone.
    expect(after).not.toMatch(/priority 150 \(base 150\)/);
  });

  it('says so when the daemon goes away, and the watch keeps running', async () => {
    await d.stop();
    const s = await waitForScreen(/cannot reach the daemon/, 'the watch reports the daemon gone');
    console.log(`[watch] daemon stopped:\n${s.trimEnd()}`);
    await tmux('has-session', '-t', 'watch'); // still running
  });
});
