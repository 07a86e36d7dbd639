/**
 * The check-idiom recogniser (src/track/idioms.ts), table-driven: the seed configurations'
 * own checks (001's `killall -0 nginx` and down-file test, 004's nginx.sh), and the other
 * idioms users write, with what each must yield and what must yield nothing.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are shell text, where ${X} is a variable
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  describeIdiom,
  idiomKey,
  looksLikeScript,
  recogniseIdioms,
  recogniseScript,
  scriptFileOf,
  stripComments,
  substituteVariables,
} from '../../../src/track/idioms.js';
import { SEED_CONFIGS } from '../../helpers/seeds.js';

const keys = (text: string) => recogniseIdioms(text).map(idiomKey);

describe('recogniseIdioms', () => {
  const cases: { name: string; text: string; want: string[] }[] = [
    // Seed 001 (both nodes): the string checks as written.
    {
      name: 'seed 001 chk_nginx',
      text: 'killall -0 nginx && exit 0 || exit 1',
      want: ['process exact nginx'],
    },
    {
      name: 'seed 001 chk_down',
      text: '[[ -f /etc/keepalived/down ]] && exit 1 || exit 0',
      want: ['file /etc/keepalived/down'],
    },
    {
      name: 'killall by path, keepalived 2.x plain',
      text: '/usr/bin/killall -0 nginx',
      want: ['process exact nginx'],
    },
    {
      name: 'killall with redirections',
      text: 'killall -0 nginx 2>/dev/null >/dev/null',
      want: ['process exact nginx'],
    },
    { name: 'killall -q before -0', text: 'killall -q -0 haproxy', want: ['process exact haproxy'] },
    {
      name: 'killall two names',
      text: 'killall -0 nginx php-fpm || exit 1',
      want: ['process exact nginx', 'process exact php-fpm'],
    },
    { name: 'killall without -0 is not a test', text: 'killall nginx', want: [] },
    { name: 'killall -9 is not a test', text: 'killall -9 nginx', want: [] },
    { name: 'pidof', text: 'pidof nginx > /dev/null', want: ['process exact nginx'] },
    { name: 'pidof -s -x', text: 'pidof -s -x haproxy', want: ['process exact haproxy'] },
    { name: 'pidof -o %PPID', text: 'pidof -o %PPID nginx', want: ['process exact nginx'] },
    { name: 'pidof in a substitution', text: '[ -n "$(pidof nginx)" ]', want: ['process exact nginx'] },
    { name: 'pgrep -x', text: 'pgrep -x nginx', want: ['process exact nginx'] },
    { name: 'pgrep pattern', text: 'pgrep nginx >/dev/null', want: ['process regex nginx'] },
    { name: 'pgrep -u root -x', text: 'pgrep -u root -x sshd', want: ['process exact sshd'] },
    { name: 'pgrep -f quoted', text: "pgrep -f 'nginx: master'", want: ['process regex full nginx: master'] },
    {
      name: "ps -C NAME | wc -l (the write-ups' counter)",
      text: 'A=`ps -C nginx --no-header | wc -l`\nif [ $A -eq 0 ]; then exit 1; fi',
      want: ['process exact nginx'],
    },
    {
      name: 'ps -ef | grep NAME | grep -v grep',
      text: 'ps -ef | grep nginx | grep -v grep >/dev/null',
      want: ['process regex full nginx'],
    },
    {
      name: 'ps aux | grep [n]ginx',
      text: "ps aux | grep -q '[n]ginx: master'",
      want: ['process regex full [n]ginx: master'],
    },
    {
      name: 'kill -0 $(cat FILE)',
      text: 'kill -0 $(cat /run/nginx.pid) 2>/dev/null',
      want: ['pid-file /run/nginx.pid'],
    },
    {
      name: 'kill -0 `cat FILE`',
      text: 'kill -0 `cat /var/run/haproxy.pid`',
      want: ['pid-file /var/run/haproxy.pid'],
    },
    { name: 'kill -0 "$(< FILE)"', text: 'kill -0 "$(< /run/nginx.pid)"', want: ['pid-file /run/nginx.pid'] },
    { name: 'kill -0 with a relative file', text: 'kill -0 $(cat nginx.pid)', want: [] },
    {
      name: 'systemctl is-active --quiet',
      text: 'systemctl is-active --quiet nginx',
      want: ['unit nginx.service'],
    },
    {
      name: 'systemctl --quiet is-active UNIT.service',
      text: '/bin/systemctl --quiet is-active haproxy.service || exit 1',
      want: ['unit haproxy.service'],
    },
    {
      name: 'systemctl is-active two units',
      text: 'systemctl is-active -q a b.socket',
      want: ['unit a.service', 'unit b.socket'],
    },
    { name: '[ -e FILE ]', text: '[ ! -e /etc/keepalived/maint ]', want: ['file /etc/keepalived/maint'] },
    {
      name: 'test -f, plain',
      text: '/usr/bin/test ! -e /etc/keepalived/down',
      want: ['file /etc/keepalived/down'],
    },
    { name: 'curl is no idiom', text: 'curl -sf http://127.0.0.1/health', want: [] },
    { name: 'a comment is not code', text: '# killall -0 nginx\nexit 0', want: [] },
  ];
  it.each(cases)('$name', ({ text, want }) => {
    expect(keys(text)).toEqual(want);
  });

  it('resolves literal variables: PIDFILE=...; kill -0 $(cat $PIDFILE), PID=$(cat F); kill -0 $PID', () => {
    expect(keys('PIDFILE=/run/nginx.pid\nkill -0 $(cat $PIDFILE) || exit 1')).toEqual([
      'pid-file /run/nginx.pid',
    ]);
    expect(keys('PID=$(cat /run/nginx.pid)\nkill -0 $PID')).toEqual(['pid-file /run/nginx.pid']);
    expect(keys('PID=`cat "/run/a.pid"`; kill -0 "${PID}"')).toEqual(['pid-file /run/a.pid']);
    expect(keys('NAME=nginx\nkillall -0 $NAME')).toEqual(['process exact nginx']);
    // Assigned twice: unknown statically.
    expect(keys('F=/a\nF=/b\n[ -f $F ]')).toEqual([]);
  });

  it('keeps the source text of each idiom and describes it for status', () => {
    const [i] = recogniseIdioms('killall -0 nginx && exit 0 || exit 1');
    expect(i?.source).toBe('killall -0 nginx');
    expect(describeIdiom(i!)).toBe('process nginx');
  });
});

describe('seed script files', () => {
  it('004-nginx.sh: killall -0 nginx inside `if !`', () => {
    const text = readFileSync(join(SEED_CONFIGS, '004-nginx.sh'), 'utf8');
    expect(keys(text)).toEqual(['process exact nginx']);
  });

  it('004-nginx-check.conf runs /etc/keepalived/nginx.sh: read through the file reader', () => {
    const conf = readFileSync(join(SEED_CONFIGS, '004-nginx-check.conf'), 'utf8');
    const script = /script\s+"([^"]+)"/.exec(conf)![1]!;
    expect(script).toBe('/etc/keepalived/nginx.sh');
    const read = (p: string) =>
      p === '/etc/keepalived/nginx.sh' ? readFileSync(join(SEED_CONFIGS, '004-nginx.sh'), 'utf8') : undefined;
    const r = recogniseScript(script, read);
    expect(r.scriptFile).toBe('/etc/keepalived/nginx.sh');
    expect(r.idioms.map(idiomKey)).toEqual(['process exact nginx']);
  });

  it('seed 001 checks: every vrrp_script string has an idiom', () => {
    for (const f of ['001-node1-master.conf', '001-node2-backup.conf']) {
      const conf = readFileSync(join(SEED_CONFIGS, f), 'utf8');
      const scripts = [...conf.matchAll(/script\s+"([^"]+)"/g)].map((m) => m[1]!);
      expect(scripts.length).toBe(2);
      for (const s of scripts)
        expect(recogniseScript(s, () => undefined).idioms.length, s).toBeGreaterThan(0);
    }
  });
});

describe('scriptFileOf', () => {
  const cases: [string, string | undefined][] = [
    ['/etc/keepalived/nginx.sh', '/etc/keepalived/nginx.sh'],
    ['/etc/keepalived/check.sh nginx 80', '/etc/keepalived/check.sh'],
    ['bash /etc/keepalived/check.sh', '/etc/keepalived/check.sh'],
    ['/bin/sh -e /etc/keepalived/check.sh', '/etc/keepalived/check.sh'],
    ['/etc/keepalived/check.sh && exit 0 || exit 1', '/etc/keepalived/check.sh'],
    ['bash -c "killall -0 nginx"', undefined],
    ['killall -0 nginx', undefined],
    ['check.sh', undefined],
    ['[[ -f /etc/keepalived/down ]] && exit 1 || exit 0', undefined],
  ];
  it.each(cases)('%s -> %s', (script, want) => {
    expect(scriptFileOf(script)).toBe(want);
  });
});

describe('helpers', () => {
  it('stripComments keeps $# and ${#x}, drops comments', () => {
    expect(stripComments('echo $# ${#x} # note\n  # whole line\nkill -0 1')).toBe(
      'echo $# ${#x} \n  \nkill -0 1',
    );
  });
  it('substituteVariables leaves self-referencing assignments alone', () => {
    expect(substituteVariables('P=$P:/x\necho $P')).toBe('P=$P:/x\necho $P');
  });
  it('looksLikeScript refuses binaries and large files', () => {
    expect(looksLikeScript('#!/bin/sh\nexit 0\n')).toBe(true);
    expect(looksLikeScript(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1]))).toBe(false);
    expect(looksLikeScript('#'.repeat(17 * 1024))).toBe(false);
  });
});
