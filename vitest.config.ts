import { defineConfig } from 'vitest/config';
import { e2eNamespace } from './tests/e2e/src/support/namespace.ts';

// One run, two projects: unit tests live beside the code they test; end-to-end tests
// run against the real local stack, which their global setup starts when it is down.
export default defineConfig({
  test: {
    // .ci/run sums the reports: npm test's cluster run (test:cluster) names its own, so it adds to this one.
    reporters: ['default', ['json', { outputFile: process.env.EVERGREEN_VITEST_REPORT ?? 'test-results/vitest.json' }]],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{packages,services,schemas,connect-config,infra}/**/src/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/src/**/*.e2e.test.ts'],
          globalSetup: ['tests/e2e/src/global-setup.ts'],
          // The tests' own database, topics, connector, Redis db and groups on the shared stack;
          // the global setup uses the same definition. Wins over the environment. On the cluster
          // profile, a key prefix instead of a Redis db (support/namespace.ts).
          env: e2eNamespace(process.env),
          testTimeout: 120_000,
          hookTimeout: 900_000,
          // The suites share one stack; running them one at a time keeps their Kafka groups apart.
          fileParallelism: false,
        },
      },
    ],
  },
});
