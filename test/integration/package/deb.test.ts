/**
 * The Debian package on this machine: `scripts/package-deb.sh` builds keepvip_VERSION_ARCH.deb,
 * `dpkg -i` installs it, the installed /usr/sbin/keepvip prints the package's version and checks
 * a seed configuration exactly as the repository's keepvip does, then `dpkg -r` and `dpkg -P`
 * remove it and `find` shows that nothing it installed is left. A keepvip package that was on
 * the machine before the test is never touched: the test skips loudly instead.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/keepalived.js';
import { SEED_CONFIGS } from '../../helpers/seeds.js';
import { ensureDist } from '../../helpers/dist.js';

const runAsync = promisify(execFile);

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], cwd = REPO_ROOT): Ran {
  const r = spawnSync(file, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function must(file: string, args: string[], cwd = REPO_ROOT): string {
  const r = run(file, args, cwd);
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** packageSkipReason says why this machine cannot run the package test. */
function packageSkipReason(): string | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'needs root (dpkg -i)';
  for (const tool of ['dpkg', 'dpkg-deb', 'dpkg-query']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a JS template
  const query = spawnSync('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', 'keepvip'], { encoding: 'utf8' });
  if (query.status === 0 && query.stdout.trim() !== '' && !query.stdout.startsWith('un')) {
    return `a keepvip package is already on this machine (dpkg status "${query.stdout.trim()}"); not removing what the test did not install`;
  }
  return undefined;
}

const skip = packageSkipReason();
if (skip) console.warn(`Debian package test skipped: ${skip}`);

const SEEDS = ['001-node1-master.conf', '000-lvs01-dr-master.conf', '004-nginx-check.conf'];

describe.skipIf(!!skip)('Debian package: build, install, run, remove', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'kvdeb-'));
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
  let deb = '';
  let installedByUs = false;
  let listed: string[] = [];
  /** Paths of the package that existed before it was installed (shared dirs such as /usr/sbin). */
  const preExisting = new Set<string>();

  beforeAll(async () => {
    // Asynchronous: a build of a minute must not block the worker's event loop (vitest's RPC).
    await ensureDist();
    const built = await runAsync('bash', ['scripts/package-deb.sh'], {
      cwd: REPO_ROOT,
      env: { ...process.env, KEEPVIP_DEB_OUT: outDir },
      maxBuffer: 64 * 1024 * 1024,
    }).catch((error: Error & { stderr?: string }) => {
      throw new Error(`package-deb.sh failed: ${error.message}\n${error.stderr ?? ''}`);
    });
    deb = built.stdout.trim().split('\n').pop() ?? '';
    const contents = must('dpkg-deb', ['-c', deb])
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map(
        (l) =>
          l
            .replace(/^.*? \.\//, '/')
            .replace(/ -> .*$/, '')
            .replace(/\/$/, '') || '/',
      );
    for (const p of contents) if (existsSync(p)) preExisting.add(p);
  }, 300_000);

  afterAll(() => {
    if (installedByUs && run('dpkg-query', ['-W', 'keepvip']).status === 0) run('dpkg', ['-P', 'keepvip']);
    rmSync(outDir, { recursive: true, force: true });
  });

  it('names the file keepvip_VERSION_ARCH.deb and carries version, architecture, depends and size', () => {
    const arch = must('dpkg', ['--print-architecture']).trim();
    const debVersion = version.replace(/-/g, '~');
    expect(deb).toBe(join(outDir, `keepvip_${debVersion}_${arch}.deb`));
    const field = (name: string) => must('dpkg-deb', ['-f', deb, name]).trim();
    expect(field('Package')).toBe('keepvip');
    expect(field('Version')).toBe(debVersion);
    expect(field('Architecture')).toBe(arch);
    expect(field('Depends')).toBe('nodejs (>= 20)');
    expect(Number(field('Installed-Size'))).toBeGreaterThan(1000);
    expect(field('Description')).toMatch(/keepalived-compatible/);
  });

  it('installs with dpkg -i and lists its files', () => {
    const r = run('dpkg', ['-i', deb]);
    installedByUs = true;
    expect(r.stderr).not.toMatch(/dpkg: error/);
    expect(r.status).toBe(0);
    listed = must('dpkg', ['-L', 'keepvip'])
      .split('\n')
      .map((l) => (l.trim() === '/.' ? '/' : l.trim()))
      .filter((l) => l.startsWith('/'));
    console.log(
      `dpkg -L keepvip: ${listed.length} paths; outside /usr/lib/keepvip/{dist,node_modules}:\n` +
        listed.filter((p) => !/^\/usr\/lib\/keepvip\/(dist|node_modules)\//.test(p)).join('\n'),
    );
    for (const p of [
      '/usr/sbin/keepvip',
      '/usr/lib/keepvip/bin/keepvip',
      '/usr/lib/keepvip/dist/cli/main.js',
      '/usr/lib/keepvip/package.json',
      '/usr/lib/keepvip/native/build/Release/keepvip_native.node',
      '/usr/lib/keepvip/node_modules/commander/package.json',
      '/usr/lib/keepvip/templates/nginx-upstream.hbs',
      '/lib/systemd/system/keepvip.service',
      '/etc/keepvip/keepalived.conf',
      '/usr/share/man/man8/keepvip.8.gz',
    ]) {
      expect(listed, p).toContain(p);
      expect(existsSync(p), p).toBe(true);
    }
    const deps = (
      JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>;
      }
    ).dependencies;
    if (deps['raw-socket']) {
      // raw-socket is built from source by npm ci (an approved install script).
      expect(listed).toContain('/usr/lib/keepvip/node_modules/raw-socket/build/Release/raw.node');
    }
    for (const dep of Object.keys(deps))
      expect(listed, dep).toContain(`/usr/lib/keepvip/node_modules/${dep}`);
    // Production modules only: none of the dev tools.
    for (const dev of ['vitest', 'typescript', '@biomejs', 'tsx']) {
      expect(existsSync(`/usr/lib/keepvip/node_modules/${dev}`), dev).toBe(false);
    }
    expect(must('dpkg-query', ['--control-show', 'keepvip', 'conffiles']).trim()).toBe(
      '/etc/keepvip/keepalived.conf',
    );
  });

  it('/usr/sbin/keepvip -v prints the version the package carries', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a JS template
    const debVersion = must('dpkg-query', ['-W', '-f=${Version}', 'keepvip']).trim();
    const out = must('/usr/sbin/keepvip', ['-v'], '/').trim();
    expect(out).toBe(`Keepvip v${version}`);
    expect(debVersion).toBe(version.replace(/-/g, '~'));
    expect(must('node', ['bin/keepvip', '-v']).trim()).toBe(out);
  });

  it.each(SEEDS)('/usr/sbin/keepvip -t -f %s exits and reports as the repository keepvip does', (seed) => {
    const file = join(SEED_CONFIGS, seed);
    const installed = run('/usr/sbin/keepvip', ['-t', '-f', file], '/');
    const repo = run('node', ['bin/keepvip', '-t', '-f', file]);
    expect(installed.status).toBe(repo.status);
    expect(installed.stdout).toBe(repo.stdout);
    expect(installed.stderr).toBe(repo.stderr);
    expect([0, 3, 4]).toContain(installed.status);
  });

  it('/usr/sbin/keepvip -t fails a broken configuration with the same exit code and diagnostics', () => {
    const file = join(outDir, 'broken.conf');
    writeFileSync(
      file,
      readFileSync(join(SEED_CONFIGS, '001-node1-master.conf'), 'utf8').replace(
        'virtual_router_id 167',
        'virtual_router_id 300',
      ),
    );
    const installed = run('/usr/sbin/keepvip', ['-t', '-f', file], '/');
    const repo = run('node', ['bin/keepvip', '-t', '-f', file]);
    expect(installed.status).toBe(4);
    expect(installed.status).toBe(repo.status);
    expect(installed.stderr).toBe(repo.stderr);
    expect(installed.stderr).toMatch(/broken\.conf:\d+:\d+: error: /);
  });

  it('checks its own example configuration cleanly, and the unit and man page are the adapted ones', () => {
    const r = run('/usr/sbin/keepvip', ['-t', '-f', '/etc/keepvip/keepalived.conf'], '/');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/0 error\(s\), 0 warning\(s\)/);
    const unit = readFileSync('/lib/systemd/system/keepvip.service', 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/sbin\/keepvip /m);
    expect(unit).toMatch(/KEEPVIP_CONF=\/etc\/keepvip\/keepalived.conf/);
    const man = gunzipSync(readFileSync('/usr/share/man/man8/keepvip.8.gz')).toString('utf8');
    expect(man).toMatch(/^\.TH KEEPVIP 8 /);
    expect(man).toContain(`keepvip ${version.replace(/-/g, '\\-')}`);
    for (const option of ['\\-\\-config\\-test', '\\-\\-use\\-file', 'keepvip status', 'keepvip maint']) {
      expect(man).toContain(option);
    }
  });

  it('dpkg -r keeps the conffile, dpkg -P removes it, and nothing it installed is left', () => {
    expect(listed.length).toBeGreaterThan(20);
    const removed = run('dpkg', ['-r', 'keepvip']);
    expect(removed.status).toBe(0);
    expect(existsSync('/usr/sbin/keepvip')).toBe(false);
    expect(existsSync('/usr/lib/keepvip')).toBe(false);
    expect(existsSync('/etc/keepvip/keepalived.conf')).toBe(true);
    const purged = run('dpkg', ['-P', 'keepvip']);
    expect(purged.status).toBe(0);
    expect(run('dpkg-query', ['-W', 'keepvip']).status).not.toBe(0);
    const ours = listed.filter((p) => !preExisting.has(p));
    // find prints nothing and fails for each path that is gone.
    const left = run('find', [...ours, '-maxdepth', '0']);
    expect(left.stdout).toBe('');
    expect(ours).toContain('/etc/keepvip');
    expect(ours).toContain('/usr/lib/keepvip');
    expect(run('find', ['/etc/keepvip', '/usr/lib/keepvip', '/usr/share/doc/keepvip']).stdout).toBe('');
    installedByUs = false;
  });
});
