import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure and fast (no root, no network); `integration` builds real
// topologies in network namespaces and runs real keepalived and nginx, so it runs one file at
// a time to keep timings honest on two noisy cores.
export default defineConfig({
  test: {
    // vitest's default is one worker per core but one, so a single fork on two cores: the unit
    // files (pure, never sleeping) take both cores; the integration project stays one file at a time.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
