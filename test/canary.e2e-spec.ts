import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StandaloneEmulator } from '@tokenkeep/google-emulator';
import { startAppProcess, type AppProcess } from './support/app-process.js';
import { TestBrowser } from './support/browser.js';
import { clearFaults, injectFault, startTestEmulator } from './support/emulator-admin.js';
import { graphql, graphqlData, PROFILE, REFRESH_TOKEN, VALIDATE_TOKEN } from './support/graphql.js';
import {
  createTestDatabase,
  expireStoredTokens,
  type TestDatabase,
} from './support/test-database.js';

/** Every token and code the emulator issues carries this; it must never show up on our side. */
const MARKER = `CANARY${randomBytes(6).toString('hex')}`;

describe('canary: no token in clear anywhere', () => {
  let database: TestDatabase;
  let emulator: StandaloneEmulator;
  let app: AppProcess;
  const browser = new TestBrowser();

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    emulator = await startTestEmulator(3600, MARKER);
    app = await startAppProcess({
      databaseUrl: database.url,
      emulatorUrl: emulator.url,
      publicUrl: 'http://canary.test',
      env: {
        LOG_LEVEL: 'debug',
        REFRESH_FAILURE_COOLDOWN_SECONDS: '0',
        REFRESH_DEADLINE_SECONDS: '2',
        REFRESH_LEASE_SECONDS: '4',
      },
    });
  });

  afterAll(async () => {
    await app?.stop();
    await emulator?.close();
    await database?.drop();
  });

  it('signs in, refreshes, validates, fails a refresh and revokes, and leaks nothing', async () => {
    // Sign in, with the callback sent to the process (its PUBLIC_URL is a name the test stands for).
    const start = await browser.get(`${app.url}/auth/google`);
    const consent = await browser.get(start.location ?? '');
    const form = /name="request_id" value="([^"]+)"/.exec(consent.body)?.[1] ?? '';
    const decision = await browser.postForm(`${emulator.url}/signin/oauth/consent`, {
      request_id: form,
      sub: '104892461539281739254',
      decision: 'allow',
    });
    // the emulator really marks its codes
    expect(decision.location?.includes(MARKER)).toBeTruthy();
    const callback = await browser.get(
      (decision.location ?? '').replace('http://canary.test', app.url),
    );
    expect(callback.status).toBe(303);

    await expireStoredTokens(database);
    await graphqlData(browser, app.url, PROFILE);
    await graphqlData(browser, app.url, REFRESH_TOKEN);
    await graphqlData(browser, app.url, VALIDATE_TOKEN);

    await injectFault(emulator.url, { endpoint: 'token', status: 503, count: 10 });
    await expireStoredTokens(database);
    expect((await graphql(browser, app.url, PROFILE)).errors?.[0].extensions?.code).toBe(
      'UPSTREAM_UNAVAILABLE',
    );
    await clearFaults(emulator.url);
    expect(
      (await graphqlData<{ revokeToken: boolean }>(browser, app.url, 'mutation { revokeToken }'))
        .revokeToken,
    ).toBe(true);

    const ours = browser.seenFrom.filter(({ url }) => !url.startsWith(emulator.url));
    expect(ours.length).toBeGreaterThan(10);
    // Which response carried a token, if any: every one must say false.
    expect(ours.map(({ url, text }) => [url, text.includes(MARKER)])).toEqual(
      ours.map(({ url }) => [url, false]),
    );
    const logs = app.output();
    // the whole log was captured
    expect(logs).toMatch(/Applied migrations/);
    expect(logs).toMatch(/request completed/);
    expect(logs.includes(MARKER)).toBeFalsy();
    // the database holds a token in clear
    expect((await database.dump()).includes(MARKER)).toBeFalsy();
  });
});
