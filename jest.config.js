/**
 * Two projects: fast unit tests (domain, handlers with mocked SDK, CDK assertions, workflows run
 * locally with mocked tasks) and slower integration tests against a moto server the run starts.
 * TypeScript runs as ESM because @middy/core 7 is ESM-only.
 */
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
};

export default {
  // jest's default (cores - 1) runs everything in one worker on a 2-core machine. Three: the
  // fault matrix holds a worker for minutes while mostly waiting on its emulated cloud, and the
  // CPU-bound suites (CDK synths) then still have both cores.
  maxWorkers: 3,
  testSequencer: '<rootDir>/test/slow-first-sequencer.mjs',
  // A hang detector, not a speed check: on a shared 2-core machine an emulator-backed test that
  // takes 2 s alone can take 6 s beside another worker (speed is measured by `npm run bench`).
  testTimeout: 90_000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      globalSetup: '<rootDir>/test/unit/build-agent-global-setup.ts',
      setupFiles: ['<rootDir>/test/unit/source-agent-hook.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/integration/moto-global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/moto-global-teardown.ts',
    },
  ],
};
