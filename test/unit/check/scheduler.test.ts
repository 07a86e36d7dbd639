import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../../src/check/probe.js';
import { type CheckEvent, CheckScheduler } from '../../../src/check/scheduler.js';
import type { Checker, KeepvipConfig } from '../../../src/config/model.js';
import { loadConfigText } from '../../../src/config/load.js';
import type { Logger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';

function config(checkers: string, extra = ''): KeepvipConfig {
  const text = `
virtual_server 10.0.0.100 80 {
  delay_loop 10
  protocol TCP
  ${extra}
  real_server 10.0.0.1 80 {
    weight 5
    ${checkers}
  }
}`;
  const r = loadConfigText(text, 'test.conf');
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (!r.config || errors.length > 0) throw new Error(JSON.stringify(r.diagnostics));
  return r.config;
}

const KEY = '[10.0.0.100]:tcp:80 -> [10.0.0.1]:tcp:80';

/** Harness runs a scheduler whose probes answer from `results` (per checker kind), recording times. */
function harness(
  cfg: KeepvipConfig,
  opts: { flapGuard?: { maxChanges: number; windowMs: number; holdMs: number }; turnTime?: boolean } = {},
) {
  const clock = new ManualClock();
  const lines: string[] = [];
  const log: Logger = {
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    error: (m) => lines.push(`ERROR ${m}`),
    debug: () => {},
  };
  const results = new Map<string, ProbeResult>();
  const runs: { kind: string; atMs: number }[] = [];
  const hangs = new Set<string>();
  const s = new CheckScheduler({
    config: cfg,
    clock,
    log,
    random: () => 0,
    watchFiles: false,
    ...opts,
    probeFor: (c: Checker) => () => {
      runs.push({ kind: c.kind, atMs: clock.nowMs() });
      if (hangs.has(c.kind)) return new Promise(() => {});
      return Promise.resolve(results.get(c.kind) ?? { ok: true, reason: 'ok' });
    },
  });
  const events: CheckEvent[] = [];
  s.onEvent((e) => events.push(e));
  const verdicts: { alive: boolean; weight?: number; atMs: number }[] = [];
  s.subscribe((_k, v) =>
    verdicts.push({
      alive: v.alive,
      ...(v.weight === undefined ? {} : { weight: v.weight }),
      atMs: clock.nowMs(),
    }),
  );
  return { s, clock, lines, results, runs, events, verdicts, hangs };
}

describe('CheckScheduler timing (keepalived rules, manual clock)', () => {
  it('a server starts alive; a failing first run removes it at once with keepalived lines', async () => {
    const h = harness(
      config(`TCP_CHECK {
connect_timeout 2
retry 3
delay_before_retry 1
}`),
    );
    h.results.set('TCP_CHECK', { ok: false, reason: 'TCP connection: connection refused (ECONNREFUSED)' });
    h.s.start();
    expect(h.s.get(KEY)?.alive).toBe(true);
    await h.clock.advanceSettled(0);
    expect(h.s.get(KEY)?.alive).toBe(false);
    expect(h.lines).toContain('Removing service [10.0.0.1]:tcp:80 from VS [10.0.0.100]:tcp:80');
    expect(h.lines.some((l) => l.startsWith('TCP_CHECK on service [10.0.0.1]:tcp:80 failed.'))).toBe(true);
    h.s.stop();
  });

  it('a failure while UP is retried `retry` times delay_before_retry apart; removal at the last', async () => {
    const h = harness(
      config(`TCP_CHECK {
connect_timeout 2
retry 3
delay_before_retry 2
}`),
    );
    h.s.start();
    await h.clock.advanceSettled(0);
    expect(h.lines).toContain('TCP connection to [10.0.0.1]:tcp:80 success.');
    await h.clock.advanceSettled(5000);
    h.results.set('TCP_CHECK', { ok: false, reason: 'refused' });
    await h.clock.advanceSettled(5000); // t=10 s: first failure
    expect(h.s.get(KEY)?.alive).toBe(true);
    await h.clock.advanceSettled(5999); // retries at 12, 14, 16 s
    expect(h.s.get(KEY)?.alive).toBe(true);
    await h.clock.advanceSettled(1);
    expect(h.s.get(KEY)?.alive).toBe(false);
    expect(h.runs.map((r) => r.atMs)).toEqual([0, 10_000, 12_000, 14_000, 16_000]);
    expect(h.lines).toContain('TCP_CHECK on service [10.0.0.1]:tcp:80 failed after 3 retries. (refused)');
    // Recovery: one success at the next run brings it back.
    h.results.set('TCP_CHECK', { ok: true, reason: 'ok' });
    await h.clock.advanceSettled(10_000); // next run one delay_loop after the removal: 26 s
    expect(h.s.get(KEY)?.alive).toBe(true);
    expect(h.lines).toContain('Adding service [10.0.0.1]:tcp:80 to VS [10.0.0.100]:tcp:80');
    h.s.stop();
  });

  it('turnTime (checker thread): a run that settles in a later turn is timed from its own start to its settle', async () => {
    const g = harness(config('TCP_CHECK {\n}'), { turnTime: true });
    let answer: ((r: ProbeResult) => void) | undefined;
    const starts: number[] = [];
    (g.s as unknown as { o: { probeFor: unknown } }).o.probeFor = () => () => {
      starts.push(g.clock.nowMs());
      return new Promise<ProbeResult>((r) => (answer = r));
    };
    g.s.start();
    await g.clock.advanceSettled(0);
    await g.clock.advanceSettled(250);
    answer!({ ok: true, reason: 'ok' });
    await g.clock.advanceSettled(0);
    expect(g.s.snapshot().realServers[0]!.checkers[0]!.last).toMatchObject({
      ok: true,
      latencyMs: 250,
      atMs: 250,
    });
    // The next run is one delay_loop (10 s) after the settle, not after the start.
    await g.clock.advanceSettled(9_999);
    expect(starts).toEqual([0]);
    await g.clock.advanceSettled(1);
    expect(starts).toEqual([0, 10_250]);
    g.s.stop();
  });

  it('warmup spreads the first run over [0, warmup)', async () => {
    const h = harness(
      config(`TCP_CHECK {
warmup 4
}`),
    );
    (h.s as unknown as { random: () => number }).random = () => 0.5;
    h.s.start();
    await h.clock.advanceSettled(1999);
    expect(h.runs).toHaveLength(0);
    await h.clock.advanceSettled(1);
    expect(h.runs).toHaveLength(1);
    h.s.stop();
  });

  it('runs never stack: a hung probe delays the next run until it settles', async () => {
    const h = harness(
      config(`TCP_CHECK {

}`),
    );
    h.hangs.add('TCP_CHECK');
    h.s.start();
    await h.clock.advanceSettled(100_000);
    expect(h.runs).toHaveLength(1);
    expect(h.s.snapshot().realServers[0]!.checkers[0]!.running).toBe(true);
    h.s.stop();
  });

  it('alive only when all checkers are up', async () => {
    const h = harness(config('TCP_CHECK {\n}\nHTTP_GET {\nurl {\npath /\n}\n}'));
    h.results.set('HTTP_GET', { ok: false, reason: 'HTTP status code error to /: 500' });
    h.s.start();
    await h.clock.advanceSettled(0);
    expect(h.s.get(KEY)).toMatchObject({ alive: false, reason: 'HTTP status code error to /: 500' });
    h.results.set('HTTP_GET', { ok: true, reason: 'HTTP status 200' });
    await h.clock.advanceSettled(10_000); // the failed url passes once: checked again a delay_loop later
    expect(h.s.get(KEY)?.alive).toBe(false);
    await h.clock.advanceSettled(10_000);
    expect(h.s.get(KEY)?.alive).toBe(true);
    h.s.stop();
  });

  it('alpha: the server starts down and comes up on the first success', async () => {
    const h = harness(
      config(
        `TCP_CHECK {

}`,
        'alpha',
      ),
    );
    h.s.start();
    expect(h.s.get(KEY)?.alive).toBe(false);
    await h.clock.advanceSettled(0);
    expect(h.s.get(KEY)?.alive).toBe(true);
    h.s.stop();
  });

  it('misc_dynamic: exit status 2..255 sets the weight to status - 2', async () => {
    const h = harness(
      config(`MISC_CHECK {
misc_path "/bin/true"
misc_dynamic
}`),
    );
    h.results.set('MISC_CHECK', { ok: true, reason: 'exited with status 12', weight: 10 });
    h.s.start();
    await h.clock.advanceSettled(0);
    expect(h.s.get(KEY)).toMatchObject({ alive: true, weight: 10 });
    expect(h.lines).toContain(
      'Changing weight from 5 to 10 for active service [10.0.0.1]:tcp:80 of VS [10.0.0.100]:tcp:80',
    );
    h.results.set('MISC_CHECK', { ok: true, reason: 'exited with status 0' });
    await h.clock.advanceSettled(10_000);
    expect(h.s.get(KEY)?.weight).toBeUndefined();
    h.s.stop();
  });

  it('events: a checker transition and the real-server change, in that order', async () => {
    const h = harness(
      config(`TCP_CHECK {
retry 0
}`),
    );
    h.s.start();
    await h.clock.advanceSettled(0);
    h.results.set('TCP_CHECK', { ok: false, reason: 'refused' });
    await h.clock.advanceSettled(10_000);
    const types = h.events.map((e) => (e.type === 'checker' ? `checker ${e.up}` : `rs ${e.alive}`));
    expect(types).toEqual(['checker true', 'rs false', 'checker false']);
    const down = h.events[2]!;
    expect(down.type === 'checker' && down.mailBody).toBe('=> TCP CHECK failed on service <=');
    h.s.stop();
  });

  it('reload keeps the verdict and timers of unchanged servers and starts changed ones fresh', async () => {
    const cfg = config(`TCP_CHECK {
retry 0
}`);
    const h = harness(cfg);
    h.results.set('TCP_CHECK', { ok: false, reason: 'refused' });
    h.s.start();
    await h.clock.advanceSettled(0);
    expect(h.s.get(KEY)?.alive).toBe(false);
    const runsBefore = h.runs.length;
    h.s.reload(
      config(`TCP_CHECK {
retry 0
}`),
    );
    await h.clock.advanceSettled(0);
    expect(h.runs.length).toBe(runsBefore); // no extra run: same checker, same timer
    expect(h.s.get(KEY)?.alive).toBe(false);
    h.s.reload(
      config(`TCP_CHECK {
retry 0
connect_timeout 3
}`),
    );
    await h.clock.advanceSettled(0);
    expect(h.runs.length).toBe(runsBefore + 1);
    h.s.stop();
  });

  it('flapping guard: more than N changes within the window hold the server down', async () => {
    const h = harness(
      config(`TCP_CHECK {
retry 0
}`),
      { flapGuard: { maxChanges: 3, windowMs: 60_000, holdMs: 30_000 } },
    );
    h.s.start();
    for (let i = 0; i < 4; i++) {
      h.results.set('TCP_CHECK', { ok: i % 2 === 1, reason: 'x' });
      await h.clock.advanceSettled(i === 0 ? 0 : 10_000);
    }
    h.results.set('TCP_CHECK', { ok: true, reason: 'ok' });
    await h.clock.advanceSettled(10_000);
    expect(h.s.get(KEY)?.alive).toBe(false);
    expect(h.s.snapshot().realServers[0]!.heldDown).toBe(true);
    expect(h.lines.some((l) => l.includes('held down'))).toBe(true);
    await h.clock.advanceSettled(30_000);
    expect(h.s.get(KEY)?.alive).toBe(true);
    h.s.stop();
  });

  it('flap_guard on the virtual server: the 4th change in 60 s holds the server down 30 s, logged and in the snapshot', async () => {
    const h = harness(
      config(
        `TCP_CHECK {
retry 0
}`,
        'flap_guard 3 60 30',
      ),
    );
    h.s.start();
    for (let i = 0; i < 4; i++) {
      h.results.set('TCP_CHECK', { ok: i % 2 === 1, reason: 'x' });
      await h.clock.advanceSettled(i === 0 ? 0 : 10_000);
    }
    // Changes at 0 (down), 10 (up), 20 (down): three; the recovery at 30 s is the 4th: held (and
    // the hold itself counts as a change).
    expect(h.s.get(KEY)).toMatchObject({ alive: false, reason: 'held down by the flapping guard' });
    expect(h.s.snapshot().realServers[0]).toMatchObject({ heldDown: true, verdictChanges: 5 });
    expect(h.lines).toContain(
      'Real server [10.0.0.100]:tcp:80 -> [10.0.0.1]:tcp:80 changed state 4 times in 60 s; held down for 30 s (flapping)',
    );
    h.results.set('TCP_CHECK', { ok: true, reason: 'ok' });
    await h.clock.advanceSettled(29_999); // the checker stays up meanwhile; the hold keeps the server out
    expect(h.s.get(KEY)?.alive).toBe(false);
    await h.clock.advanceSettled(1);
    expect(h.s.get(KEY)).toMatchObject({ alive: true, reason: 'flapping hold ended' });
    expect(h.s.snapshot().realServers[0]).toMatchObject({ heldDown: false });
    h.s.stop();
  });

  it('flap_guard on the real server wins over the virtual server', async () => {
    const text = `
virtual_server 10.0.0.100 80 {
  delay_loop 10
  protocol TCP
  flap_guard 100 60 30
  real_server 10.0.0.1 80 {
    flap_guard 1 60 5
    TCP_CHECK {
      retry 0
    }
  }
}`;
    const cfg = loadConfigText(text, 'test.conf').config!;
    expect(cfg.virtualServers[0]!.realServers[0]!.flapGuard).toEqual({
      maxChanges: 1,
      windowMs: 60_000,
      holdMs: 5000,
    });
    const h = harness(cfg);
    h.s.start();
    h.results.set('TCP_CHECK', { ok: false, reason: 'refused' });
    await h.clock.advanceSettled(0); // change 1: down
    h.results.set('TCP_CHECK', { ok: true, reason: 'ok' });
    await h.clock.advanceSettled(10_000); // change 2: up, beyond 1: held
    expect(h.s.get(KEY)?.alive).toBe(false);
    expect(h.s.snapshot().realServers[0]!.heldDown).toBe(true);
    await h.clock.advanceSettled(5000);
    expect(h.s.get(KEY)?.alive).toBe(true);
    h.s.stop();
  });

  it('snapshot reports per-checker last result, latency and counters', async () => {
    const h = harness(
      config(`TCP_CHECK {
connect_ip 10.0.0.9
connect_port 81
}`),
    );
    h.s.start();
    await h.clock.advanceSettled(0);
    const snap = h.s.snapshot();
    expect(snap.totals).toMatchObject({ checkers: 1, runs: 1, failures: 0 });
    expect(snap.realServers[0]).toMatchObject({ alive: true, weight: 5, configuredWeight: 5 });
    expect(snap.realServers[0]!.checkers[0]).toMatchObject({
      kind: 'TCP_CHECK',
      target: '10.0.0.9:81',
      up: true,
    });
    expect(snap.realServers[0]!.checkers[0]!.last).toMatchObject({ ok: true, latencyMs: 0 });
    h.s.stop();
  });
});
