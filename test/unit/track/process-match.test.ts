import { describe, expect, it } from 'vitest';
import type { TrackProcessDef } from '../../../src/config/model.js';
import { matchesProcess, parseCmdline, parseProcStat, quorumMet } from '../../../src/track/process-match.js';

const def = (over: Partial<TrackProcessDef> = {}): TrackProcessDef => ({
  name: 'p',
  process: 'nginx',
  paramMatch: 'exact',
  fullCommand: false,
  quorum: 1,
  terminateDelayMs: 0,
  forkDelayMs: 0,
  weight: 1,
  weightReverse: false,
  pos: { file: 't', line: 1, col: 1 },
  ...over,
});

describe('parseProcStat', () => {
  it('reads pid, a name with spaces and parentheses, and the state', () => {
    expect(parseProcStat('42 (nginx) S 1 42 42 0 -1')).toEqual({ pid: 42, comm: 'nginx', state: 'S' });
    expect(parseProcStat('7 (a (b) c) Z 1')).toEqual({ pid: 7, comm: 'a (b) c', state: 'Z' });
    expect(parseProcStat('garbage')).toBeUndefined();
  });
  it('splits cmdline on NUL', () => {
    expect(parseCmdline('nginx\0-g\0daemon off;\0')).toEqual(['nginx', '-g', 'daemon off;']);
  });
});

describe('matchesProcess (exact, not a regular expression)', () => {
  const cases: {
    name: string;
    def: TrackProcessDef;
    comm: string;
    state?: string;
    argv?: string[];
    want: boolean;
  }[] = [
    { name: 'same name', def: def(), comm: 'nginx', want: true },
    { name: 'sshd is not ssh', def: def({ process: 'ssh' }), comm: 'sshd', want: false },
    { name: 'a zombie does not count', def: def(), comm: 'nginx', state: 'Z', want: false },
    {
      name: 'names longer than 15 characters compare truncated, as the kernel keeps them',
      def: def({ process: 'averyveryverylongname' }),
      comm: 'averyveryverylo',
      want: true,
    },
    {
      name: 'full_command compares argv[0]',
      def: def({ process: '/usr/sbin/nginx', fullCommand: true }),
      comm: 'nginx',
      argv: ['/usr/sbin/nginx', '-g', 'x'],
      want: true,
    },
    {
      name: 'exact params',
      def: def({ params: ['-g', 'x'] }),
      comm: 'nginx',
      argv: ['nginx', '-g', 'x'],
      want: true,
    },
    {
      name: 'exact params: one more argument fails',
      def: def({ params: ['-g'] }),
      comm: 'nginx',
      argv: ['nginx', '-g', 'x'],
      want: false,
    },
    {
      name: 'partial params: a leading subset',
      def: def({ params: ['-g'], paramMatch: 'partial' }),
      comm: 'nginx',
      argv: ['nginx', '-g', 'x'],
      want: true,
    },
    {
      name: 'initial params: the last is a prefix',
      def: def({ params: ['-g', 'dae'], paramMatch: 'initial' }),
      comm: 'nginx',
      argv: ['nginx', '-g', 'daemon off;'],
      want: true,
    },
    {
      name: 'pid_file only never matches by name',
      def: def({ process: '', pidFile: '/x' }),
      comm: 'nginx',
      want: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(matchesProcess(c.def, { pid: 1, comm: c.comm, state: c.state ?? 'S', argv: c.argv })).toBe(
        c.want,
      );
    });
  }
});

describe('quorumMet', () => {
  it('applies quorum and quorum_max (0 = fail while any runs)', () => {
    expect(quorumMet(def({ quorum: 2 }), 1)).toBe(false);
    expect(quorumMet(def({ quorum: 2 }), 2)).toBe(true);
    expect(quorumMet(def({ quorum: 1, quorumMax: 1 }), 2)).toBe(false);
    expect(quorumMet(def({ quorum: 0, quorumMax: 0 }), 0)).toBe(true);
  });
});
