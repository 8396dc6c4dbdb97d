import { startApp, type ProcessExit } from '../../scripts/app-process.mjs';
import { TEST_KEYRING } from './test-app.js';

export type { ProcessExit };

/** The real app running as an OS process of its own (`node dist/src/main.js`). */
export interface AppProcess {
  /** Where it listens, e.g. http://127.0.0.1:41234. */
  url: string;
  pid: number;
  /** Resolves once the process has exited, however it ended. */
  exited: Promise<ProcessExit>;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s; resolves once it has exited. Safe to call twice. */
  stop(): Promise<ProcessExit>;
  /** Sends `signal` to this process (by the pid spawned) and resolves once it has exited. */
  kill(signal: NodeJS.Signals): Promise<ProcessExit>;
  /** The last 64 KiB of what it wrote to stdout and stderr. */
  output(): string;
}

export interface AppProcessOptions {
  databaseUrl: string;
  emulatorUrl: string;
  /** The address browsers use; give every instance behind one "balancer" the same one. Default: its own URL. */
  publicUrl?: string;
  /** Any other variable, e.g. REFRESH_LEASE_SECONDS. */
  env?: Record<string, string>;
  /** A DATA_DIR the caller owns and keeps (to restart on it); by default a temporary one removed at exit. */
  dataDir?: string;
}

/**
 * Starts `node dist/src/main.js` on a free loopback port with a standalone emulator and waits until
 * GET /health/ready answers 200 (at most 30 s). The app must be built (`npm run build`; `npm test`
 * does it first). The launcher is scripts/app-process.mjs, shared with the benchmarks.
 */
export function startAppProcess(options: AppProcessOptions): Promise<AppProcess> {
  return startApp({
    ...options,
    keyring: TEST_KEYRING,
    env: { NODE_ENV: 'test', LOG_LEVEL: 'warn', PROACTIVE_REFRESH: 'off', ...options.env },
  });
}
