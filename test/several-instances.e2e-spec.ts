import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StandaloneEmulator } from '@tokenkeep/google-emulator';
import { MIGRATIONS } from '../src/database/data-source-options.js';
import { TestBrowser } from './support/browser.js';
import { startTestEmulator } from './support/emulator-admin.js';
import { outcomeWithin3s } from './support/cache-instances.js';
import { graphqlData, ME } from './support/graphql.js';
import { answerConsent, parseConsentPage } from './support/sign-in.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { PUBLIC_URL } from './support/balancer-sign-in.js';

describe('two instances on one PostgreSQL sharing one standalone emulator', () => {
  let database: TestDatabase;
  let emulator: StandaloneEmulator;
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    emulator = await startTestEmulator(600);
    const env = { GOOGLE_EMULATOR_URL: emulator.url, PUBLIC_URL };
    [first, second] = await Promise.all([startTestApp(database, env), startTestApp(database, env)]);
  });

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await emulator?.close();
    await database?.drop();
  });

  it('both started on one database (migrations ran once) and use the standalone emulator', async () => {
    const migrations = await database.query<{ name: string }>('SELECT name FROM migrations');
    // each migration applied exactly once
    expect(migrations.map((row) => row.name)).toEqual(
      MIGRATIONS.map((migration) => migration.name),
    );
    expect(first.config.google.mode).toBe('external-emulator');
    for (const app of [first, second])
      expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);
  });

  it('a sign-in started on one instance finishes on the other, and the session works on both', async () => {
    const browser = new TestBrowser();
    const start = await browser.get(`${first.url}/auth/google`);
    expect(start.location?.startsWith(`${emulator.url}/o/oauth2/v2/auth?`)).toBeTruthy();
    const consent = parseConsentPage(await browser.get(start.location ?? ''));
    const callbackUrl = await answerConsent(browser, consent, 'allow');
    expect(callbackUrl.startsWith(`${PUBLIC_URL}/auth/google/callback?`)).toBeTruthy();

    const callback = await browser.get(callbackUrl.replace(PUBLIC_URL, second.url));
    expect(callback.status).toBe(303);
    for (const app of [first, second]) {
      const { me } = await graphqlData<{ me: { email: string } }>(browser, app.url, ME);
      expect(me.email).toBe('ada@example.com');
    }

    // Asked with the cookie the sign-out ended: the browser drops it, a copy of it need not.
    const endedSession = { cookie: browser.cookieHeader() };
    await browser.postForm(`${second.url}/auth/logout`, {});
    expect(await outcomeWithin3s(first, ME, endedSession)).toBe('UNAUTHENTICATED');
  });
});
