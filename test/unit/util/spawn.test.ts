/** The one spawn helper: real programs, the manual clock for timeouts (spawn-contract.ts), Node's starter. */
import { describe, expect, it } from 'vitest';
import { commandLine, nodeStarter } from '../../../src/util/spawn.js';
import { spawnContract } from './spawn-contract.js';

spawnContract("Node's child_process", nodeStarter);

describe('commandLine', () => {
  it('sets supplementary groups through setpriv, and only when there are some', () => {
    const call = { file: '/bin/id', args: ['-G'] };
    expect(commandLine(call, { uid: 65534, gid: 65534, groups: [] })).toEqual(call);
    expect(commandLine(call, { uid: 65534, gid: 65534, groups: [27, 100] })).toEqual({
      file: '/usr/bin/setpriv',
      args: ['--reuid=65534', '--regid=65534', '--groups=27,100', '--', '/bin/id', '-G'],
    });
  });
});
