/** The safe apply's steps and every failure path, with in-memory ports. */
import { describe, expect, it } from 'vitest';
import { ApplyFailedError, applyRendered, sidePaths } from '../../../src/nginx/apply.js';
import { FakePorts } from './fake-ports.js';

const OUT = '/etc/nginx/conf.d/web.conf';
const target = { output: OUT, testCommand: 'nginx -t', reloadCommand: 'nginx -s reload' };
const side = sidePaths(OUT);

function setup(previous?: string): FakePorts {
  const p = new FakePorts(OUT);
  if (previous !== undefined) p.files.set(OUT, previous);
  return p;
}

async function failure(p: FakePorts, content: string): Promise<ApplyFailedError> {
  const err = await applyRendered(target, content, p).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplyFailedError);
  return err as ApplyFailedError;
}

describe('applyRendered', () => {
  it('writes nothing and runs nothing when the content did not change', async () => {
    const p = setup('same');
    expect(await applyRendered(target, 'same', p)).toEqual({ status: 'unchanged' });
    expect(p.calls).toEqual([`readFile ${OUT}`]);
  });

  it('stages in the destination directory, keeps the previous version, renames, tests the whole config, reloads', async () => {
    const p = setup('old');
    const r = await applyRendered(target, 'new', p);
    expect(r.status).toBe('applied');
    expect(side.temp).toBe('/etc/nginx/conf.d/.web.conf.keepvip-new');
    expect(p.calls).toEqual([
      `readFile ${OUT}`,
      `writeFile ${side.temp}`,
      `writeFile ${side.previous}`,
      `rename ${side.temp}`,
      'run nginx -t',
      'run nginx -s reload',
    ]);
    // nginx -t saw the new file at the path the top-level configuration includes.
    expect(p.seenByCommand[0]).toEqual({ command: 'nginx -t', output: 'new' });
    expect(p.files.get(OUT)).toBe('new');
    expect(p.files.get(side.previous)).toBe('old');
    expect(p.files.has(side.temp)).toBe(false);
    // Neither side file ends in .conf, so `include conf.d/*.conf` never loads one.
    for (const f of Object.values(side)) expect(f.endsWith('.conf')).toBe(false);
  });

  it('restores the previous file and does not reload when nginx -t rejects the new one', async () => {
    const p = setup('old');
    p.results.set('nginx -t', { ok: false, output: 'nginx: [emerg] unknown directive "bogus"' });
    const err = await failure(p, 'bogus;');
    expect(err.step).toBe('test');
    expect(err.restored).toBe(true);
    expect(err.message).toMatch(/unknown directive "bogus"/);
    expect(p.files.get(OUT)).toBe('old');
    expect(p.files.get(side.rejected)).toBe('bogus;');
    expect(p.calls).not.toContain('run nginx -s reload');
  });

  it('removes the file again when there was no previous version and the test fails', async () => {
    const p = setup();
    p.results.set('nginx -t', { ok: false, output: 'failed' });
    const err = await failure(p, 'bad');
    expect(err.restored).toBe(true);
    expect(p.files.has(OUT)).toBe(false);
    expect(p.files.has(side.previous)).toBe(false);
  });

  it('restores the previous file when the reload fails', async () => {
    const p = setup('old');
    p.results.set('nginx -s reload', { ok: false, output: 'nginx: [error] open() "/run/nginx.pid" failed' });
    const err = await failure(p, 'new');
    expect(err.step).toBe('reload');
    expect(err.restored).toBe(true);
    expect(p.files.get(OUT)).toBe('old');
  });

  it('leaves the output untouched when the temporary file cannot be written', async () => {
    const p = setup('old');
    p.failOn.add(`writeFile:${side.temp}`);
    const err = await failure(p, 'new');
    expect(err.step).toBe('write');
    expect(p.files.get(OUT)).toBe('old');
    expect(p.calls.some((c) => c.startsWith('run'))).toBe(false);
  });

  it('removes the temporary file when the rename fails', async () => {
    const p = setup('old');
    p.failOn.add(`rename:${side.temp}`);
    const err = await failure(p, 'new');
    expect(err.step).toBe('write');
    expect(p.files.get(OUT)).toBe('old');
    expect(p.files.has(side.temp)).toBe(false);
  });

  it('says so when the previous file cannot be put back', async () => {
    const p = setup('old');
    p.results.set('nginx -t', { ok: false, output: 'failed' });
    const rename = p.rename.bind(p);
    let renames = 0;
    p.rename = async (from, to) => {
      if (++renames === 2) throw new Error('EIO');
      return rename(from, to);
    };
    const err = await failure(p, 'new');
    expect(err.restored).toBe(false);
    expect(err.message).not.toMatch(/restored/);
    expect(p.files.has(side.temp)).toBe(false);
  });

  it('reports an unreadable output as a write failure before touching anything', async () => {
    const p = setup('old');
    p.failOn.add(`readFile:${OUT}`);
    const err = await failure(p, 'new');
    expect(err.step).toBe('write');
    expect(p.calls).toEqual([`readFile ${OUT}`]);
  });
});
