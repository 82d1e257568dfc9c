import { defineConfig } from 'vitest/config';

const common = {
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...common,
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'simulators/src/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['**/*.kafka.test.ts', '**/*.questdb.test.ts', '**/node_modules/**'],
        },
      },
      {
        test: {
          ...common,
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['**/*.kafka.test.ts', '**/*.questdb.test.ts', '**/node_modules/**'],
          // integration tests bind ports and spawn processes: one file at a time
          fileParallelism: false,
        },
      },
      {
        test: {
          ...common,
          name: 'kafka',
          include: ['**/*.kafka.test.ts'],
          exclude: ['**/node_modules/**'],
          fileParallelism: false,
          // group joins, rebalances and the services' start-up slow down on a busy two-core
          // machine: generous bounds (the tests wait for final states, never for timings)
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          ...common,
          name: 'questdb',
          include: ['**/*.questdb.test.ts'],
          exclude: ['**/node_modules/**'],
          fileParallelism: false,
        },
      },
    ],
  },
});
