import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings for every workspace package.
 *
 * Workspace packages resolve each other's *source* through the `@netdicom/source` export condition, so nothing has
 * to be built before tests run. Each run also writes `.test-results.json`, which `scripts/test-summary.mjs` adds up
 * into the closing `N passed, N failed` line that CI reads.
 */
export const sharedConfig = defineConfig({
  resolve: { conditions: ['@netdicom/source', 'import', 'module', 'node', 'default'] },
  ssr: { resolve: { conditions: ['@netdicom/source', 'import', 'module', 'node', 'default'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results.json' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
