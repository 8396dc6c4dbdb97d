// @tokenkeep/google-emulator: a local Google (OAuth 2.0 / OpenID Connect) for development, tests
// and benchmarks. See README.md.
export { googleEmulatorPlugin } from './google-emulator.plugin.js';
export { startStandaloneEmulator, type StandaloneEmulator } from './standalone.js';
export {
  loadEmulatorConfig,
  EmulatorConfigError,
  type StandaloneEmulatorConfig,
} from './config.js';
export type { StatsSnapshot as EmulatorStatsSnapshot } from './stats.js';
export type { FaultSpec } from './faults.js';
export type { EmulatorClient, EmulatorOptions, EmulatorUser, PublishingStatus } from './types.js';
