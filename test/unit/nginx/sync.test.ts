/** NginxSync with in-memory ports and scripted health: coalescing, serial applies, failure notify. */
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { NginxSync } from '../../../src/nginx/sync.js';
import { FakePorts } from './fake-ports.js';

const OUT = '/srv/nginx/web.conf';
const config = (extra = '') =>
  loadConfigText(
    `nginx_upstream web {
 output ${OUT}
 test_command "nginx -t"
 reload_command "nginx -s reload"
 server 10.0.0.1:80
 server 10.0.0.2:80
 server 10.0.0.3:80
 health_check tcp { interval 0.02 timeout 0.01 fall 1 rise 1 }
 coalesce_delay 0.15
${extra}
}
`,
    'k.conf',
    { hostname: 'test' },
  ).config!;

describe('NginxSync', () => {
  it('renders at start, then coalesces two members going down into one apply', async () => {
    const clock = new ManualClock();
    const ports = new FakePorts(OUT);
    const down = new Set<string>();
    const sync = new NginxSync({
      config: config(),
      log: silentLogger,
      ports,
      clock,
      connect: async (host) => !down.has(host),
    });
    await sync.start();
    const reloads = () => ports.calls.filter((c) => c === 'run nginx -s reload').length;
    expect(reloads()).toBe(1);
    expect(ports.files.get(OUT)).not.toMatch(/ down;/);
    await clock.advanceSettled(100); // healthy checks change nothing
    expect(reloads()).toBe(1);
    down.add('10.0.0.1');
    await clock.advanceSettled(40); // .1 seen down: the coalesce_delay (150 ms) starts
    down.add('10.0.0.2');
    await clock.advanceSettled(40); // .2 seen down within the same delay
    expect(reloads()).toBe(1);
    await clock.advanceSettled(150);
    expect(reloads()).toBe(2); // one apply for both
    await clock.advanceSettled(1000);
    expect(reloads()).toBe(2);
    expect(ports.files.get(OUT)!.match(/ down;/g)).toHaveLength(2);
    expect(sync.status()[0]!.members.map((m) => m.up)).toEqual([false, false, true]);
    // Back up: one more apply; then nothing changes and nothing is written.
    down.clear();
    await clock.advanceSettled(1000);
    expect(reloads()).toBe(3);
    await clock.advanceSettled(1000);
    expect(reloads()).toBe(3);
    await sync.stop();
    expect(sync.status()[0]).toMatchObject({ applies: 3, failures: 0 });
  });

  it('rerender() with nothing changed writes nothing', async () => {
    const ports = new FakePorts(OUT);
    const sync = new NginxSync({ config: config(), log: silentLogger, ports, healthChecks: false });
    await sync.start();
    const writes = ports.calls.filter((c) => c.startsWith('writeFile')).length;
    await sync.rerender();
    expect(ports.calls.filter((c) => c.startsWith('writeFile')).length).toBe(writes);
    await sync.stop();
  });

  it('runs the notify command with NAME STEP MESSAGE when nginx -t fails, and keeps the old file', async () => {
    const ports = new FakePorts(OUT);
    ports.files.set(OUT, 'previous');
    ports.results.set('nginx -t', { ok: false, output: 'emerg' });
    const sync = new NginxSync({
      config: config(`notify "/bin/sh -c 'printf %s,%s \\"$1\\" \\"$2\\" > /dev/null'"`),
      log: silentLogger,
      ports,
      healthChecks: false,
    });
    await sync.start();
    expect(ports.files.get(OUT)).toBe('previous');
    expect(sync.status()[0]).toMatchObject({ failures: 1 });
    expect(sync.status()[0]!.lastResult).toMatch(/^failed at test: nginx -t rejected/);
    await sync.stop();
  });
});
