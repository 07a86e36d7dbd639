import { describe, expect, it } from 'vitest';
import { SplitBrainDetector, splitBrainParams } from '../../../src/notify/split-brain.js';

const arp = { kind: 'arp' as const, from: '02:00:00:00:00:02' };

describe('SplitBrainDetector', () => {
  const params = splitBrainParams(1000, 2000);
  it('derives confirm and clear times from the slower of advert and probe intervals', () => {
    expect(params).toEqual({ confirmSpanMs: 1500, clearAfterMs: 5000 });
  });

  it('a hand-over (one reply right after becoming master) raises nothing', () => {
    const d = new SplitBrainDetector(params);
    expect(d.evidence(arp, 0)).toBeUndefined();
    for (let t = 2000; t <= 20_000; t += 2000) expect(d.tick(t)).toBeUndefined();
    expect(d.episodes).toBe(0);
  });

  it('evidence on two probe rounds starts one episode; silence ends it once', () => {
    const d = new SplitBrainDetector(params);
    expect(d.evidence(arp, 0)).toBeUndefined();
    expect(d.evidence(arp, 2000)).toEqual({ type: 'started', evidence: arp });
    expect(d.active).toBe(true);
    for (let t = 4000; t <= 12_000; t += 2000) expect(d.evidence(arp, t)).toBeUndefined();
    expect(d.tick(14_000)).toBeUndefined();
    expect(d.tick(16_000)).toBeUndefined();
    expect(d.tick(18_000)).toEqual({ type: 'ended', reason: 'no other master seen', durationMs: 16_000 });
    expect(d.tick(20_000)).toBeUndefined();
    expect(d.episodes).toBe(1);
  });

  it('adverts from another master a second apart confirm too', () => {
    const d = new SplitBrainDetector(params);
    const adv = { kind: 'advert' as const, from: '10.0.0.2' };
    expect(d.evidence(adv, 0)).toBeUndefined();
    expect(d.evidence(adv, 1000)).toBeUndefined();
    expect(d.evidence(adv, 2000)?.type).toBe('started');
  });

  it('leaving MASTER ends an episode at once, and a new one counts again', () => {
    const d = new SplitBrainDetector(params);
    d.evidence(arp, 0);
    d.evidence(arp, 2000);
    expect(d.leftMaster(3000, 'BACKUP')).toEqual({
      type: 'ended',
      reason: 'left MASTER for BACKUP',
      durationMs: 1000,
    });
    expect(d.leftMaster(3500, 'BACKUP')).toBeUndefined();
    d.evidence(arp, 10_000);
    expect(d.evidence(arp, 12_000)?.type).toBe('started');
    expect(d.episodes).toBe(2);
  });
});
