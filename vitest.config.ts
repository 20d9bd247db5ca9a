import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'machines/**/*.test.ts', 'src/**/*.test.ts', 'workers/**/*.test.ts'],
    // Tests share one Postgres server and one Redis; each file gets its own database and key prefix,
    // and files run one after another so timing-sensitive tests are not starved of the two cores.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
