// Vitest config for mutation testing only (bench/mutation.ts): the test files of one scope, named in
// MUTATION_TESTS (comma-separated globs), so each mutant reruns fast tests, not real-model ones.
import { defineConfig } from 'vitest/config';

const include = (process.env.MUTATION_TESTS ?? 'test/**/*.unit.test.ts').split(',').filter(Boolean);

export default defineConfig({
  test: {
    include,
    environment: 'node',
    testTimeout: 60_000,
    pool: 'forks',
  },
});
