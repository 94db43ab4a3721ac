import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real processes (vCenter simulator, SSH and HTTP stand-ins, Redis);
    // two cores cannot run many of them at once without starving the timings inside each one.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
