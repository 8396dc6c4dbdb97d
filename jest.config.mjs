// Jest runs every test: unit specs beside the code (test/jest-unit.json: src/**/*.spec.ts) and e2e
// specs in test/ (test/jest-e2e.json). NestJS 12 is ESM only, so Jest runs in its native ESM mode:
// the npm scripts start it with NODE_OPTIONS=--experimental-vm-modules. test/global-setup.mjs
// provides PostgreSQL, Redis and Chromium before any test runs; test/global-teardown.mjs stops
// whatever it started.
import e2e from './test/jest-e2e.json' with { type: 'json' };
import unit from './test/jest-unit.json' with { type: 'json' };

/** A project of the combined run: its own settings, with the run-wide ones kept at the top. */
function project({ globalSetup, globalTeardown, testTimeout, maxWorkers, ...own }) {
  // The JSON files sit in test/ and name the repository as "..": here it is this folder.
  return { ...own, rootDir: '.' };
}

export default {
  globalSetup: unit.globalSetup,
  globalTeardown: unit.globalTeardown,
  // e2e tests start real servers and wait on real token lifetimes; unit tests take milliseconds.
  testTimeout: e2e.testTimeout,
  // Two cores here: one worker per core.
  maxWorkers: e2e.maxWorkers,
  projects: [project(unit), project(e2e)],
};
