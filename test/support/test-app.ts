import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type RunningApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/app-config.js';
import { afterAll, beforeAll } from '@jest/globals';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './test-database.js';

export interface TestApp extends RunningApp {
  /** Base URL of the Google emulator the app uses. */
  emulatorUrl: string;
  stop(): Promise<void>;
}

export const TEST_KEYRING = `test-key:${randomBytes(32).toString('base64')}`;

/** Starts the real app on a free loopback port with the embedded emulator, on the given database. */
export async function startTestApp(
  database: TestDatabase,
  env: Record<string, string> = {},
): Promise<TestApp> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'tokenkeep-data-'));
  const running = await startApp(
    loadConfig({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      TOKEN_ENCRYPTION_KEYS: TEST_KEYRING,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      // Tests that count refreshes turn it on themselves.
      PROACTIVE_REFRESH: 'off',
      // Storm tests send hundreds of requests; the rate-limit test sets its own limits.
      RATE_LIMIT_GRAPHQL_PER_MINUTE: '1000000',
      RATE_LIMIT_SIGN_IN_PER_MINUTE: '1000000',
      ...env,
    }),
  );
  return {
    ...running,
    emulatorUrl: running.config.google.emulatorUrl!,
    stop: async () => {
      await running.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Gives a suite a database of its own and the app on it for all its tests: registers the `before`
 * and `after` hooks; read `database` and `app` once `before` has run.
 */
export function withTestApp(
  kind: DatabaseKind,
  env: Record<string, string> = {},
): { database: TestDatabase; app: TestApp } {
  const suite = {} as { database: TestDatabase; app: TestApp };
  beforeAll(async () => {
    suite.database = await createTestDatabase(kind);
    suite.app = await startTestApp(suite.database, env);
  });
  afterAll(async () => {
    await suite.app?.stop();
    await suite.database?.drop();
  });
  return suite;
}
