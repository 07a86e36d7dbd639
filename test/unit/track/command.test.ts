import { describe, expect, it } from 'vitest';
import { resolveInvocation, splitWords } from '../../../src/util/command.js';

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
});
