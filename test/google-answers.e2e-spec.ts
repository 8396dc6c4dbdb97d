import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { StandaloneEmulator } from '@tokenkeep/google-emulator';
import { TestBrowser } from './support/browser.js';
import { graphql, graphqlData, PROFILE, TOKEN_STATUS, VALIDATE_TOKEN } from './support/graphql.js';
import {
  startEmulatorBehindProvider,
  type RewritingProvider,
} from './support/rewriting-provider.js';
import { signIn } from './support/sign-in.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const ALAN = '117350929174625391823';
const FORCED = 'mutation { refreshToken { expiresInSeconds } }';
const LATEST_EVENT = '{ tokenEvents(limit: 1) { type code detail } }';

interface Event {
  type: string;
  code: string | null;
  detail: string | null;
}

/** Google's answers pass through a proxy that can rewrite them; the app talks only to the proxy. */
describe('answers from Google that do not hold what they should', () => {
  let database: TestDatabase;
  let emulator: StandaloneEmulator;
  let provider: RewritingProvider;
  let app: TestApp;
  const ada = new TestBrowser();

  const withoutExpiresIn = (value: unknown) => (path: string, json: Record<string, unknown>) =>
    path === '/token' && typeof json.access_token === 'string'
      ? { ...json, expires_in: value }
      : json;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    ({ emulator, provider } = await startEmulatorBehindProvider());
    app = await startTestApp(database, {
      GOOGLE_EMULATOR_URL: provider.url,
      // every forced refresh below must reach Google
      FORCED_REFRESH_MIN_INTERVAL_SECONDS: '0',
    });
    await signIn(ada, app.url);
  });

  afterEach(() => {
    provider.rewrite = undefined;
    provider.answers.clear();
  });

  afterAll(async () => {
    await app?.stop();
    await provider?.stop();
    await emulator?.close();
    await database?.drop();
  });

  it('a refresh answer with a missing, negative, non-numeric or huge expires_in is stored as expiring within a minute, with an event', async () => {
    for (const expiresIn of [undefined, -5, 'soon', 1e12]) {
      provider.rewrite = withoutExpiresIn(expiresIn);
      const { refreshToken } = await graphqlData<{ refreshToken: { expiresInSeconds: number } }>(
        ada,
        app.url,
        FORCED,
      );
      expect(refreshToken.expiresInSeconds).toBeGreaterThan(0);
      expect(refreshToken.expiresInSeconds).toBeLessThanOrEqual(60);
      const { tokenEvents } = await graphqlData<{ tokenEvents: Event[] }>(
        ada,
        app.url,
        LATEST_EVENT,
      );
      expect(tokenEvents[0]).toEqual({
        type: 'REFRESHED',
        code: 'expires_in_unusable',
        detail: "Google's expires_in was missing or unusable; assumed 60 s",
      });
    }
  });

  it('a sign-in whose answer has no usable expires_in is stored the same way', async () => {
    const alan = new TestBrowser();
    provider.rewrite = withoutExpiresIn('3599 seconds');
    await signIn(alan, app.url, ALAN);
    const { tokenStatus } = await graphqlData<{ tokenStatus: { expiresInSeconds: number } }>(
      alan,
      app.url,
      TOKEN_STATUS,
    );
    expect(tokenStatus.expiresInSeconds).toBeGreaterThan(0);
    expect(tokenStatus.expiresInSeconds).toBeLessThanOrEqual(60);
    const { tokenEvents } = await graphqlData<{ tokenEvents: Event[] }>(
      alan,
      app.url,
      LATEST_EVENT,
    );
    expect([tokenEvents[0].type, tokenEvents[0].code]).toEqual(['ISSUED', 'expires_in_unusable']);
  });

  it('a userinfo answer of 5 MB, or with an empty sub, is refused as UPSTREAM_UNAVAILABLE', async () => {
    provider.answers.set('/v1/userinfo', (response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ sub: ALAN, padding: 'a'.repeat(5 * 1024 * 1024) }));
    });
    const huge = await graphql(ada, app.url, PROFILE);
    expect(huge.errors?.[0].extensions?.code).toBe('UPSTREAM_UNAVAILABLE');

    provider.answers.clear();
    provider.rewrite = (path, json) => (path === '/v1/userinfo' ? { ...json, sub: '' } : json);
    const empty = await graphql(ada, app.url, PROFILE);
    expect(empty.errors?.[0].extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('a tokeninfo answer whose aud is not a string is refused as UPSTREAM_UNAVAILABLE', async () => {
    provider.rewrite = (path, json) =>
      path === '/tokeninfo' ? { ...json, aud: { client: json.aud } } : json;
    const answer = await graphql(ada, app.url, VALIDATE_TOKEN);
    expect(answer.errors?.[0].extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
  });
});
