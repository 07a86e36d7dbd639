/**
 * scripts/keepvip.service against what the daemon writes: the unit's ProtectSystem=full made
 * /etc/nginx read-only, so the documented rendering (`output /etc/nginx/conf.d/…`,
 * templates/README.md) failed under systemd. The unit's sandbox is read the way systemd
 * reads it (systemd.exec(5): ProtectSystem, ReadWritePaths, ReadOnlyPaths).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** serviceSettings reads the [Service] section: key -> values (a key may repeat). */
function serviceSettings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      continue;
    }
    if (section !== 'Service') continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    out.set(key, [
      ...(out.get(key) ?? []),
      ...line
        .slice(eq + 1)
        .split(/\s+/)
        .filter(Boolean),
    ]);
  }
  return out;
}

/** writableUnder says whether the unit lets the service write `path` (systemd.exec(5) rules). */
function writableUnder(settings: Map<string, string[]>, path: string): boolean {
  const under = (p: string, dir: string) => p === dir || p.startsWith(`${dir.replace(/\/$/, '')}/`);
  const strip = (p: string) => p.replace(/^[-+]/, '');
  const protect = settings.get('ProtectSystem')?.[0] ?? 'no';
  const readOnly = ['/usr', '/boot', '/efi'];
  if (protect === 'full') readOnly.push('/etc');
  if (protect === 'strict') readOnly.push('/');
  readOnly.push(...(settings.get('ReadOnlyPaths') ?? []).map(strip));
  const rw = (settings.get('ReadWritePaths') ?? []).map(strip);
  // The most specific entry wins.
  const longest = (dirs: string[]) =>
    Math.max(-1, ...dirs.filter((d) => under(path, d)).map((d) => d.length));
  const ro = protect === 'no' || protect === 'false' ? -1 : longest(readOnly);
  return longest(rw) >= ro;
}

describe('scripts/keepvip.service', () => {
  const settings = serviceSettings(readFileSync(join(ROOT, 'scripts/keepvip.service'), 'utf8'));

  it('lets the daemon render the documented nginx_upstream output (ProtectSystem=full keeps /etc/nginx writable)', () => {
    const readme = readFileSync(join(ROOT, 'templates/README.md'), 'utf8');
    const outputs = [...readme.matchAll(/^\s*output\s+(\S+)/gm)].map((m) => m[1]!);
    expect(outputs.length).toBeGreaterThan(0);
    for (const out of outputs) {
      expect(writableUnder(settings, out), `${out} (rendered file)`).toBe(true);
      // apply.ts writes a temporary neighbour and renames it over the file: the directory must be writable.
      expect(writableUnder(settings, join(dirname(out), '.keepvip-new')), `${dirname(out)}/`).toBe(true);
    }
  });

  it('keeps the rest of /etc and /usr read-only, and /run writable for the pid file, sockets and dumps', () => {
    expect(settings.get('ProtectSystem')).toEqual(['full']);
    expect(writableUnder(settings, '/etc/keepalived/keepalived.conf')).toBe(false);
    expect(writableUnder(settings, '/usr/bin/keepvip')).toBe(false);
    expect(writableUnder(settings, '/run/keepvip.pid')).toBe(true);
    expect(writableUnder(settings, '/run/keepvip/keepvip.data')).toBe(true);
  });

  it('the sandbox reading follows systemd: without the ReadWritePaths line /etc/nginx is read-only', () => {
    const without = new Map(settings);
    without.delete('ReadWritePaths');
    expect(writableUnder(without, '/etc/nginx/conf.d/websrvs.conf')).toBe(false);
  });
});
