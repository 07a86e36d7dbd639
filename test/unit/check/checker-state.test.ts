import { describe, expect, it } from 'vitest';
import {
  type CheckerTiming,
  countResult,
  fastRecoveryDelay,
  initialCheckerState,
} from '../../../src/check/checker-state.js';

const tcp: CheckerTiming = {
  retry: 2,
  delayLoopMs: 10_000,
  delayBeforeRetryMs: 1000,
  retryWhileDown: true,
  fastRecovery: false,
};
const http: CheckerTiming = { ...tcp, retryWhileDown: false };

describe('checker counting (keepalived 2.2.7 check_tcp.c / check_http.c / check_data.c)', () => {
  it('a failing first run is DOWN at once (retry_it starts at retry)', () => {
    const s = initialCheckerState(tcp, false);
    const r = countResult(s, false, tcp);
    expect(r.transition).toBe('down');
    expect(r.state.isUp).toBe(false);
    expect(r.nextDelayMs).toBe(10_000);
  });

  it('a succeeding first run reports up (logged once) without a verdict change', () => {
    const r = countResult(initialCheckerState(tcp, false), true, tcp);
    expect(r.transition).toBe('up');
    expect(r.state).toMatchObject({ isUp: true, hasRun: true, retryIt: 0 });
  });

  it('a failure while UP is retried `retry` times delay_before_retry apart, then DOWN', () => {
    let s = countResult(initialCheckerState(tcp, false), true, tcp).state;
    const a = countResult(s, false, tcp);
    expect(a).toMatchObject({ transition: undefined, retrying: true, nextDelayMs: 1000 });
    s = a.state;
    const b = countResult(s, false, tcp);
    expect(b).toMatchObject({ transition: undefined, retrying: true, nextDelayMs: 1000 });
    const c = countResult(b.state, false, tcp);
    expect(c).toMatchObject({ transition: 'down', nextDelayMs: 10_000 });
  });

  it('one success during the retries keeps it UP and resets the count', () => {
    const up = countResult(initialCheckerState(tcp, false), true, tcp).state;
    const a = countResult(up, false, tcp).state;
    const b = countResult(a, true, tcp);
    expect(b.transition).toBeUndefined();
    expect(b.state.retryIt).toBe(0);
  });

  it('one success brings a DOWN checker UP', () => {
    const down = countResult(initialCheckerState(tcp, false), false, tcp).state;
    expect(countResult(down, true, tcp).transition).toBe('up');
  });

  it('TCP_CHECK keeps retrying while down, HTTP_GET does not', () => {
    const down = countResult(initialCheckerState(tcp, false), false, tcp).state;
    expect(countResult(down, false, tcp).nextDelayMs).toBe(1000);
    const hdown = countResult(initialCheckerState(http, false), false, http).state;
    expect(countResult(hdown, false, http)).toMatchObject({ transition: undefined, nextDelayMs: 10_000 });
  });

  it('alpha starts DOWN; a first failure still reports down (do_rs_notifies on first run)', () => {
    const s = initialCheckerState(tcp, true);
    expect(s.isUp).toBe(false);
    expect(countResult(s, false, tcp).transition).toBe('down');
  });

  it('retry 0: the first failure while up is DOWN', () => {
    const t = { ...tcp, retry: 0 };
    const up = countResult(initialCheckerState(t, false), true, t).state;
    expect(countResult(up, false, t).transition).toBe('down');
  });

  it('fast_recovery runs at once while down without a known failure (alpha start)', () => {
    const t = { ...http, fastRecovery: true };
    const s = initialCheckerState(t, true);
    expect(fastRecoveryDelay(s, t, 10_000)).toBe(0);
    const failed = countResult(s, false, t).state;
    expect(fastRecoveryDelay(failed, t, 10_000)).toBe(10_000);
  });
});

describe('HTTP_GET recovery (check_http.c epilog: a failed url is re-checked once more)', () => {
  const t: CheckerTiming = { ...http, confirmRecovery: true };
  it('after a failure, the first success clears it and the second, one delay_loop later, brings it up', () => {
    const down = countResult(initialCheckerState(t, false), false, t).state;
    const first = countResult(down, true, t);
    expect(first).toMatchObject({ transition: undefined, nextDelayMs: 10_000 });
    expect(countResult(first.state, true, t).transition).toBe('up');
  });
  it('with fast_recovery the confirming run is at once', () => {
    const f = { ...t, fastRecovery: true };
    const down = countResult(initialCheckerState(f, false), false, f).state;
    const first = countResult(down, true, f);
    expect(fastRecoveryDelay(first.state, f, first.nextDelayMs)).toBe(0);
  });
  it('alpha start: the first success brings it up', () => {
    expect(countResult(initialCheckerState(t, true), true, t).transition).toBe('up');
  });
});
