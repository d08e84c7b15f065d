/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type-checking is `npm run typecheck`; jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 20000,
  // Tests start real servers on ephemeral ports; run files one after another on a 2-core machine.
  maxWorkers: 1,
  // In one worker process, not in jest's own: a worker whose memory stays above this after a file is replaced
  // before the next, so what a file's servers and data sets leave behind never adds up to the heap's limit (the
  // whole suite in one process reached 4 GB).
  workerIdleMemoryLimit: '1536MB',
};
