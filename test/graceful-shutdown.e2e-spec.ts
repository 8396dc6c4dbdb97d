import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StandaloneEmulator } from '@tokenkeep/google-emulator';
import { startAppProcess, type AppProcess } from './support/app-process.js';
import { TestBrowser } from './support/browser.js';
import { injectFault, startTestEmulator } from './support/emulator-admin.js';
import { graphql, PROFILE } from './support/graphql.js';
import { answerConsent, parseConsentPage } from './support/sign-in.js';
import {
  createTestDatabase,
  expireStoredTokens,
  type TestDatabase,
} from './support/test-database.js';

const PUBLIC_URL = 'http://shutdown.test';

describe('graceful shutdown', () => {
  let database: TestDatabase;
  let emulator: StandaloneEmulator;
  let app: AppProcess;
  const browser = new TestBrowser();

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    emulator = await startTestEmulator(3600);
    app = await startAppProcess({
      databaseUrl: database.url,
      emulatorUrl: emulator.url,
      publicUrl: PUBLIC_URL,
    });
    const start = await browser.get(`${app.url}/auth/google`);
    const consent = parseConsentPage(await browser.get(start.location ?? ''));
    const callback = await browser.get(
      (await answerConsent(browser, consent, 'allow')).replace(PUBLIC_URL, app.url),
    );
    expect(callback.status).toBe(303);
  });

  afterAll(async () => {
    await app?.stop();
    await emulator?.close();
    await database?.drop();
  });

  it('on SIGTERM, lets a request waiting on a refresh finish, stores the token and gives the lease back', async () => {
    const [before] = await database.query<{ version: number }>('SELECT version FROM oauth_tokens');
    await injectFault(emulator.url, { endpoint: 'token', latencyMs: 1500 });
    await expireStoredTokens(database);
    const inFlight = graphql<{ profile: { sub: string } }>(browser, app.url, PROFILE);

    const leaseTakenBy = Date.now() + 5000;
    while (
      (
        await database.query<{ owner: string | null }>(
          'SELECT refresh_lease_owner AS owner FROM oauth_tokens',
        )
      )[0].owner === null
    ) {
      // the refresh took its lease
      expect(Date.now()).toBeLessThan(leaseTakenBy);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const signalledAt = Date.now();
    const exited = app.kill('SIGTERM');

    const answer = await inFlight;
    expect(answer.errors).toBe(undefined);
    expect(answer.data?.profile.sub).toBe('104892461539281739254');
    const exit = await exited;
    // keep-alive clients do not hold the shutdown up
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(exit.signal ?? exit.code).toBe(exit.signal ? 'SIGTERM' : 0);
    const [row] = await database.query<{ version: number; owner: string | null; state: string }>(
      'SELECT version, refresh_lease_owner AS owner, state FROM oauth_tokens',
    );
    expect(row).toEqual({ version: before.version + 1, owner: null, state: 'ACTIVE' });
  });
});
