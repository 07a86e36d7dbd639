/** The nginx_upstream block of keepalived.conf: values, defaults and every error it reports. */
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/config/load.js';

const load = (body: string, extra = '') =>
  loadConfigText(`${extra}\nnginx_upstream web {\n${body}\n}\n`, 'k.conf', { hostname: 'test' });
const codes = (body: string, extra = '') =>
  load(body, extra).diagnostics.map((d) => `${d.severity}:${d.code}:${d.line}`);

describe('nginx_upstream', () => {
  it('reads every keyword, with one-line health_check blocks', () => {
    const r = load(`output /etc/nginx/conf.d/web.conf
 template my.hbs
 template_dir /etc/keepvip/templates
 nginx_conf /etc/nginx/nginx.conf
 reload_command "systemctl reload nginx"
 notify "/usr/local/bin/page-me"
 listen 80
 listen [::]:80 ipv6only=on
 server_name www.example.com
 server 10.0.0.1:8080 weight 2 max_fails 3 fail_timeout 10s
 server [2001:DB8::1]:80 backup
 server app.internal:80 down
 health_check tcp { interval 0.5 timeout 0.2 fall 3 rise 2 port 8081 }
 down_servers omit
 coalesce_delay 0.05`);
    expect(r.diagnostics).toEqual([]);
    const up = r.config!.nginxUpstreams[0]!;
    expect(up).toMatchObject({
      name: 'web',
      output: '/etc/nginx/conf.d/web.conf',
      template: 'my.hbs',
      templateDir: '/etc/keepvip/templates',
      testCommand: 'nginx -t -q -c /etc/nginx/nginx.conf',
      reloadCommand: 'systemctl reload nginx',
      notify: '/usr/local/bin/page-me',
      listen: ['80', '[::]:80 ipv6only=on'],
      serverName: 'www.example.com',
      healthCheck: { kind: 'tcp', intervalMs: 500, timeoutMs: 200, fall: 3, rise: 2, connectPort: 8081 },
      downServers: 'omit',
      coalesceMs: 50,
    });
    expect(
      up.servers.map((s) => [s.address, s.port, s.weight, s.maxFails, s.failTimeoutS, s.backup, s.down]),
    ).toEqual([
      ['10.0.0.1', 8080, 2, 3, 10, false, false],
      ['2001:db8::1', 80, 1, undefined, undefined, true, false],
      ['app.internal', 80, 1, undefined, undefined, false, true],
    ]);
  });

  it('defaults: the built-in template, Debian nginx.conf tested whole, nginx -s reload, mark, 200 ms', () => {
    const up = load('output /tmp/w.conf\n server 10.0.0.1:80').config!.nginxUpstreams[0]!;
    expect(up).toMatchObject({
      template: 'nginx-upstream.hbs',
      nginxConf: '/etc/nginx/nginx.conf',
      testCommand: 'nginx -t -q -c /etc/nginx/nginx.conf',
      reloadCommand: 'nginx -s reload',
      downServers: 'mark',
      coalesceMs: 200,
      listen: [],
    });
    expect(up.healthCheck).toBeUndefined();
  });

  it('a test_command replaces the default', () => {
    const up = load('output /tmp/w.conf\n test_command "nginx -t -p /srv"\n server 10.0.0.1:80').config!
      .nginxUpstreams[0]!;
    expect(up.testCommand).toBe('nginx -t -p /srv');
  });

  it.each([
    ['no output', 'server 10.0.0.1:80', ['error:missing-argument:2']],
    ['empty pool', 'output /tmp/w.conf', ['error:empty-pool:2']],
    [
      'server without port',
      'output /tmp/w.conf\n server 10.0.0.1\n server 10.0.0.9:80',
      ['error:invalid-address:4'],
    ],
    [
      'server port range',
      'output /tmp/w.conf\n server 10.0.0.1:70000\n server 10.0.0.9:80',
      ['error:invalid-address:4'],
    ],
    [
      'IPv6 without brackets',
      'output /tmp/w.conf\n server 2001:db8::1:80\n server 10.0.0.9:80',
      ['error:invalid-address:4'],
    ],
    [
      'bad IPv4',
      'output /tmp/w.conf\n server 10.0.0.300:80\n server 10.0.0.9:80',
      ['error:invalid-address:4'],
    ],
    ['weight 0', 'output /tmp/w.conf\n server 10.0.0.1:80 weight 0', ['error:value-range:4']],
    [
      'unknown server option',
      'output /tmp/w.conf\n server 10.0.0.1:80 slow_start 5',
      ['error:unknown-keyword:4'],
    ],
    [
      'bad fail_timeout',
      'output /tmp/w.conf\n server 10.0.0.1:80 fail_timeout 1h',
      ['error:invalid-value:4'],
    ],
    [
      'down_servers',
      'output /tmp/w.conf\n server 10.0.0.1:80\n down_servers hide',
      ['error:invalid-value:5'],
    ],
    [
      'health_check kind',
      'output /tmp/w.conf\n server 10.0.0.1:80\n health_check http { interval 1 }',
      ['error:invalid-value:5'],
    ],
    [
      'health_check fall',
      'output /tmp/w.conf\n server 10.0.0.1:80\n health_check tcp { fall 0 }',
      ['error:value-range:5'],
    ],
    [
      'unknown keyword',
      'output /tmp/w.conf\n server 10.0.0.1:80\n upstream_hash x',
      ['warning:unknown-keyword:5'],
    ],
    [
      'backup and down',
      'output /tmp/w.conf\n server 10.0.0.1:80 backup down\n server 10.0.0.2:80',
      ['warning:server-backup-down:4'],
    ],
  ])('%s', (_name, body, want) => {
    expect(codes(body)).toEqual(want);
  });

  it('from_virtual_server must name a virtual_server of the configuration', () => {
    expect(codes('output /tmp/w.conf\n from_virtual_server 192.168.23.20 80')).toEqual([
      'error:unknown-virtual-server:4',
      'error:empty-pool:2',
    ]);
    const vs = 'virtual_server 192.168.23.20 80 {\n protocol TCP\n real_server 10.0.0.5 80 {\n }\n}\n';
    expect(codes('output /tmp/w.conf\n from_virtual_server 192.168.23.20 80', vs)).toEqual([]);
  });

  it('two blocks may not share a name or an output file', () => {
    const r = loadConfigText(
      'nginx_upstream a {\n output /tmp/x.conf\n server 10.0.0.1:80\n}\nnginx_upstream a {\n output /tmp/x.conf\n server 10.0.0.1:80\n}\n',
      'k.conf',
      { hostname: 'test' },
    );
    expect(r.diagnostics.map((d) => d.code)).toEqual(['duplicate-name', 'duplicate-output']);
    expect(r.canRun).toBe(false);
  });

  it('a keepalived.conf without the block has no upstreams', () => {
    expect(loadConfigText('global_defs {\n router_id x\n}\n', 'k.conf').config!.nginxUpstreams).toEqual([]);
  });
});
