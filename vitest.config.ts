import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // Two workers on a 2-core box: many files are single-threaded JS (graph building, pruning maths) and leave a core idle.
    maxWorkers: 2,
  },
});
