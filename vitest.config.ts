import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Chromium for the inspector; one real PostgreSQL and Redis for the run (installed and started by the
    // project's own scripts).
    globalSetup: ['scripts/test-global-setup.mjs', 'src/internal/services/vitest-global-setup.ts'],
  },
});
