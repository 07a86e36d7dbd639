import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure and fast (no root, no network); `integration` builds real
// topologies in network namespaces and runs real keepalived and nginx, so it runs one file at
// a time to keep timings honest on two noisy cores.
export default defineConfig({
  test: {
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
