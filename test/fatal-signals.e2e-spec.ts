import { truncateSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { StandaloneEmulator } from '@tokenkeep/google-emulator';
import { startAppProcess, type AppProcess, type ProcessExit } from './support/app-process.js';
import { signInBehindBalancer } from './support/balancer-sign-in.js';
import { TestBrowser } from './support/browser.js';
import { clearFaults, injectFault, startTestEmulator } from './support/emulator-admin.js';
import { graphql, REFRESH_TOKEN } from './support/graphql.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const PUBLIC_URL = 'http://signals.test';
/** How long Google's token answer is held, so a refresh is in flight when the signal lands. */
const TOKEN_LATENCY_MS = 3000;

/** The process's exit, or 'still running' if it has not exited within `withinMs`. */
function exitWithin(app: AppProcess, withinMs: number): Promise<ProcessExit | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'still running'>((resolve) => {
    timer = setTimeout(() => resolve('still running'), withinMs);
  });
  return Promise.race([app.exited, deadline]).finally(() => clearTimeout(timer));
}

describe('signals: a fatal fault ends the process, a stop request shuts it down gracefully', () => {
  let database: TestDatabase;
  let emulator: StandaloneEmulator;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    emulator = await startTestEmulator(3600);
  });

  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await clearFaults(emulator.url);
  });

  afterAll(async () => {
    await emulator?.close();
    await database?.drop();
  });

  const start = () =>
    startAppProcess({
      databaseUrl: database.url,
      emulatorUrl: emulator.url,
      publicUrl: PUBLIC_URL,
      // Each test forces a refresh right after signing in; the budget would answer it unrefreshed.
      env: { FORCED_REFRESH_MIN_INTERVAL_SECONDS: '0' },
    });

  it('a real bus error (SQLite shared memory truncated under the app) kills the process by SIGBUS instead of spinning', async () => {
    app = await start();
    // readiness read the migrations table, so SQLite has its -shm file mapped into memory
    truncateSync(`${database.url.slice('sqlite:'.length)}-shm`, 0);
    const touch = fetch(`${app.url}/health/ready`, { signal: AbortSignal.timeout(5000) }).catch(
      () => undefined,
    );
    const exit = await exitWithin(app, 5000);
    await touch;
    expect(exit).toEqual({ code: null, signal: 'SIGBUS' });
  });

  /** Signs in, holds Google's token answer, and starts a forced refresh that waits on it. */
  async function refreshInFlight(latencyMs: number) {
    const browser = new TestBrowser();
    await signInBehindBalancer(browser, app!.url, PUBLIC_URL);
    await injectFault(emulator.url, { endpoint: 'token', latencyMs });
    const answer = graphql<{ refreshToken: { state: string } }>(browser, app!.url, REFRESH_TOKEN);
    await untilLeaseTaken(database);
    return { answer };
  }

  it('SIGBUS from another process ends it at once, without waiting for the request in flight', async () => {
    app = await start();
    const inFlight = (await refreshInFlight(TOKEN_LATENCY_MS)).answer.then(
      () => 'answered',
      () => 'cut',
    );

    process.kill(app.pid, 'SIGBUS');
    const exit = await exitWithin(app, TOKEN_LATENCY_MS / 2);
    expect(exit).toEqual({ code: null, signal: 'SIGBUS' });
    expect(await inFlight).toBe('cut');
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)(
    '%s still shuts down gracefully: the request in flight is answered first',
    async (signal) => {
      app = await start();
      const { answer: inFlight } = await refreshInFlight(1000);

      const exit = await app.kill(signal);
      const answer = await inFlight;
      expect(answer.errors).toBe(undefined);
      expect(answer.data?.refreshToken.state).toBe('ACTIVE');
      expect(exit.signal ?? exit.code).toBe(exit.signal ? signal : 0);
    },
  );
});

/** Polls until the refresh has taken its lease row, i.e. it is waiting on Google (bounded). */
async function untilLeaseTaken(database: TestDatabase): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const [row] = await database.query<{ owner: string | null }>(
      'SELECT refresh_lease_owner AS owner FROM oauth_tokens',
    );
    if (row?.owner) return;
    expect(Date.now()).toBeLessThan(deadline);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
