import { describe, expect, it } from 'vitest';
import { resolveCheckInvocation, resolveInvocation, splitWords } from '../../../src/util/command.js';

describe('script strings as their authors meant them', () => {
  const shell = [
    '[[ -f /etc/keepalived/down ]] && exit 1 || exit 0',
    'killall -0 nginx && exit 0 || exit 1',
    'curl -s localhost | grep ok',
    'test -f /x',
    '</dev/tcp/127.0.0.1/80',
    'kill -0 $(cat /run/nginx.pid)',
  ];
  for (const s of shell) {
    it(`runs through bash: ${s}`, () => {
      expect(resolveInvocation(s)).toEqual({ file: '/bin/bash', args: ['-c', s], viaShell: true });
    });
  }
  it('executes a plain command directly', () => {
    expect(resolveInvocation('/etc/keepalived/notify.sh master')).toEqual({
      file: '/etc/keepalived/notify.sh',
      args: ['master'],
      viaShell: false,
    });
  });
  it('splits words honouring quotes and escapes', () => {
    expect(splitWords(`a "b c" 'd e' f\\ g`)).toEqual(['a', 'b c', 'd e', 'f g']);
  });
  it('a check whose shell only folds a plain command status into 0 or 1 runs the command directly', () => {
    expect(resolveCheckInvocation('killall -0 nginx && exit 0 || exit 1')).toEqual({
      file: 'killall',
      args: ['-0', 'nginx'],
      viaShell: false,
      statusOnly: true,
    });
    expect(resolveCheckInvocation('pidof nginx || exit 1')).toMatchObject({
      file: 'pidof',
      statusOnly: true,
    });
    // Anything else keeps its shell: an inverted test, more shell syntax, or a bare shell command.
    for (const script of [
      '[[ -f /etc/keepalived/down ]] && exit 1 || exit 0',
      'killall -0 nginx && exit 1 || exit 0',
      'kill -0 $(cat /run/nginx.pid) || exit 1',
      'pgrep nginx | wc -l || exit 1',
      'killall -0 nginx && exit 0',
    ])
      expect(resolveCheckInvocation(script)).toEqual(resolveInvocation(script));
    expect(resolveCheckInvocation('killall -0 nginx')).toEqual(resolveInvocation('killall -0 nginx'));
  });
});
