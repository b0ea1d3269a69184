import { defineConfig } from 'vitest/config';

/**
 * One test configuration for every project: each project's `test` target runs
 * `vitest run --dir <projectRoot>` with this file. Unit tests are `*.spec.ts`,
 * integration tests `*.int.spec.ts`; both run, integration tests start the real
 * services they need (Redis through Testcontainers, openssl, curl).
 */
export default defineConfig({
  test: {
    include: ['**/*.spec.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
