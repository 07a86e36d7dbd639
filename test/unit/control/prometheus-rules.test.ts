/**
 * The shipped alerting rules (contrib/prometheus/keepvip.rules.yml) checked and unit-tested by
 * Prometheus's own promtool, with their real `for:` durations on synthetic series
 * (contrib/prometheus/keepvip.rules.test.yml). The live version is
 * test/integration/control/prometheus.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const PROMTOOL = '/usr/bin/promtool';
const DIR = join(import.meta.dirname, '../../../contrib/prometheus');
const missing = !existsSync(PROMTOOL);
if (missing)
  console.warn(`prometheus rules tests skipped: ${PROMTOOL} is not installed (Debian package prometheus)`);

describe.skipIf(missing)('contrib/prometheus/keepvip.rules.yml', () => {
  it('promtool check rules accepts both rules', () => {
    const out = execFileSync(PROMTOOL, ['check', 'rules', 'keepvip.rules.yml'], {
      cwd: DIR,
      encoding: 'utf8',
    });
    expect(out).toMatch(/SUCCESS: 2 rules found/);
  });

  it('promtool test rules: split brain beyond `for`, a short overlap ignored, both FAULT is no master', () => {
    const out = execFileSync(PROMTOOL, ['test', 'rules', 'keepvip.rules.test.yml'], {
      cwd: DIR,
      encoding: 'utf8',
    });
    expect(out).toMatch(/SUCCESS/);
  });
});
