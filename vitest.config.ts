import { defineConfig } from 'vitest/config'

// Two cores: integration tests start real node processes, so files run two at a time at most.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 30_000,
    reporters: ['default'],
    // The SSH console tests serve Ink inside the test process: Ink would draw only a final frame
    // if it believed it ran in CI (as `shoal` itself ensures it does not, see bin/shoal.js).
    env: { CI: 'false', CONTINUOUS_INTEGRATION: 'false' }
  }
})
