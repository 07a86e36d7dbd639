import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectGolden, FIXTURES } from './golden.js';

describe('expectGolden', () => {
  it.skipIf(process.env.UPDATE_GOLDEN === '1')(
    'fails when the golden file is missing, and writes nothing',
    () => {
      const name = 'no-such-golden-file.conf';
      expect(() => expectGolden(name, 'upstream x {}\n')).toThrow(/is missing: run with UPDATE_GOLDEN=1/);
      expect(existsSync(join(FIXTURES, 'golden', name))).toBe(false);
    },
  );
});
