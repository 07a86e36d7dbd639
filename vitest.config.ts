import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * UML_FILES boot a user-mode-linux guest (test/helpers/uml.ts) and run everything inside it:
 * their own kernel, namespaces and processes, nothing shared with the host's namespaces. They
 * form a second lane (vitest's threads pool) that runs, one file at a time, beside the netns
 * lane (forks pool, one file at a time): a guest keeps one of the two cores busy while the
 * netns tests mostly wait on protocol timers. Two netns files never run at once, and neither do
 * two guests.
 */
export const UML_FILES = [
  'test/integration/check/timing-keepalived.test.ts',
  'test/integration/control/ipvs-metrics.test.ts',
  'test/integration/lvs/differential.test.ts',
  'test/integration/lvs/dr-lab.test.ts',
  'test/integration/lvs/ipvs-client.test.ts',
  'test/integration/lvs/reconciler.test.ts',
  'test/integration/lvs/sync-failover.test.ts',
  'test/integration/lvs/uml-smoke.test.ts',
];

// Two projects: `unit` is pure and fast (no root, no network); `integration` builds real
// topologies in network namespaces and runs real keepalived and nginx, so its netns files run
// one at a time to keep timings honest on two noisy cores. `poolMatchGlobs` (deprecated in
// vitest 3, still supported) rather than a third project keeps `--project integration FILE`
// working for every integration file.
export default defineConfig({
  test: {
    // vitest's default is one worker per core but one, so a single fork on two cores: the unit
    // files (pure, never sleeping) take both cores. The integration lanes stay one file each.
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
          poolMatchGlobs: UML_FILES.map((f) => [f, 'threads'] as [string, 'threads']),
          poolOptions: { forks: { singleFork: true }, threads: { singleThread: true } },
        },
      },
    ],
  },
});
