import { describe, expect, it } from 'vitest';
import { applyResult, initialCounter, isGood } from '../../../src/track/script-result.js';

function run(rise: number, fall: number, initFail: boolean, results: boolean[]): boolean[] {
  let c = initialCounter(rise, fall, initFail);
  return results.map((r) => {
    c = applyResult(c, r);
    return isGood(c);
  });
}

describe('vrrp_script fall/rise counter', () => {
  it('starts good without init_fail and bad with it', () => {
    expect(isGood(initialCounter(2, 2, false))).toBe(true);
    expect(isGood(initialCounter(2, 2, true))).toBe(false);
  });
  it('fall 2: from fully good it takes two failures to turn bad', () => {
    expect(run(1, 2, false, [true, false, false])).toEqual([true, true, false]);
  });
  it('rise 3: from bad it takes three successes to turn good', () => {
    expect(run(3, 1, false, [false, true, true, true])).toEqual([false, false, false, true]);
  });
  it('a success in between resets the fall count', () => {
    expect(run(1, 2, false, [true, false, true, false, false])).toEqual([true, true, true, true, false]);
  });
  it('init_fail with rise 1: one success turns it good', () => {
    expect(run(1, 1, true, [true])).toEqual([true]);
  });
});
