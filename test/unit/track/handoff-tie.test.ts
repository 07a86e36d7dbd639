import { describe, expect, it } from 'vitest';
import { initialState, step, type VrrpState } from '../../../src/vrrp/state-machine.js';
import { params } from '../vrrp/params.js';

// Seed 001 (priorities 100 / 95, weight -5): when the master's nginx dies its priority falls to
// 95, equal to the backup's. keepvip's fast hand-off lets the backup with the greater address
// take over after Skew_Time; the old master then yields by RFC 5798 6.4.3's tie-break.
describe('fast hand-off to an equal priority after the master fell (tracking-driven)', () => {
  const backup = params({ name: 'myr', version: 2, priority: 95, localAddress: '10.0.0.2', handoff: 'fast' });

  function heardMaster(p = backup): VrrpState {
    let s = step(p, initialState(p), { type: 'startup' }, 0).state;
    s = step(
      p,
      s,
      { type: 'advert', priority: 100, advertIntervalMs: 1000, srcAddress: '10.0.0.1' },
      100,
    ).state;
    return s;
  }

  it('takes over after Skew_Time when the master falls to our priority and our address is greater', () => {
    let s = heardMaster();
    s = step(
      backup,
      s,
      { type: 'advert', priority: 95, advertIntervalMs: 1000, srcAddress: '10.0.0.1' },
      1000,
    ).state;
    // Skew_Time (RFC 3768 6.1) for priority 95: (256 - 95) / 256 s = 628.906 ms.
    expect(s.deadlineMs).toBeCloseTo(1000 + 628.906, 2);
    // A repeated advert at the same priority does not push the takeover back.
    s = step(
      backup,
      s,
      { type: 'advert', priority: 95, advertIntervalMs: 1000, srcAddress: '10.0.0.1' },
      1200,
    ).state;
    expect(s.deadlineMs).toBeCloseTo(1628.906, 2);
    const r = step(backup, s, { type: 'timer' }, s.deadlineMs!);
    expect(r.state.name).toBe('MASTER');
  });

  it('does not when our address is lower (the master would not yield: no ping-pong)', () => {
    const low = params({ ...backup, localAddress: '10.0.0.0' });
    let s = heardMaster(low);
    s = step(
      low,
      s,
      { type: 'advert', priority: 95, advertIntervalMs: 1000, srcAddress: '10.0.0.1' },
      1000,
    ).state;
    expect(s.deadlineMs).toBeGreaterThan(1000 + 3000);
  });

  it('does not when priorities were equal all along (whoever is master stays)', () => {
    let s = step(backup, initialState(backup), { type: 'startup' }, 0).state;
    s = step(
      backup,
      s,
      { type: 'advert', priority: 95, advertIntervalMs: 1000, srcAddress: '10.0.0.1' },
      100,
    ).state;
    s = step(
      backup,
      s,
      { type: 'advert', priority: 95, advertIntervalMs: 1000, srcAddress: '10.0.0.1' },
      1100,
    ).state;
    expect(s.deadlineMs).toBeGreaterThan(1100 + 3000);
  });

  it('does not in rfc mode', () => {
    const rfc = params({ ...backup, handoff: 'rfc' });
    let s = heardMaster(rfc);
    s = step(
      rfc,
      s,
      { type: 'advert', priority: 95, advertIntervalMs: 1000, srcAddress: '10.0.0.1' },
      1000,
    ).state;
    expect(s.deadlineMs).toBeGreaterThan(1000 + 3000);
  });
});
