import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TokenRevoker } from '../src/tokens/token-revoker.js';
import { TestBrowser } from './support/browser.js';
import { storedTokens, type TokenRow } from './support/stored-tokens.js';
import { emulatorStats, injectFault, tokenInfo } from './support/emulator-admin.js';
import { graphql, graphqlData, PROFILE, TOKEN_STATUS } from './support/graphql.js';
import { signIn } from './support/sign-in.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import {
  createTestDatabase,
  type DatabaseKind,
  type TestDatabase,
} from './support/test-database.js';

for (const kind of ['sqlite', 'postgres'] as DatabaseKind[]) {
  describe(`revoking a grant on ${kind}`, () => {
    let database: TestDatabase;
    let app: TestApp;
    const browser = new TestBrowser();

    const adaTokens = () => storedTokens(database, '104892461539281739254');

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      app = await startTestApp(database);
    });

    afterAll(async () => {
      await app?.stop();
      await database?.drop();
    });

    it('revokeToken revokes at Google, forgets both tokens and says REVOKED; signing in restores', async () => {
      await signIn(browser, app.url);
      const { accessToken } = await adaTokens();
      const revocations = (await emulatorStats(app.emulatorUrl)).revocations;

      const { revokeToken } = await graphqlData<{ revokeToken: boolean }>(
        browser,
        app.url,
        'mutation { revokeToken }',
      );
      expect(revokeToken).toBe(true);
      expect((await emulatorStats(app.emulatorUrl)).revocations).toBe(revocations + 1);
      // Google no longer honours it
      expect((await tokenInfo(app.emulatorUrl, accessToken)).status).toBe(400);

      const [row] = await database.query<TokenRow>('SELECT * FROM oauth_tokens');
      expect([row.state, row.access_token_ciphertext, row.refresh_token_ciphertext]).toEqual([
        'REVOKED',
        '',
        null,
      ]);
      const { tokenStatus } = await graphqlData<{
        tokenStatus: { state: string; hasRefreshToken: boolean };
      }>(browser, app.url, TOKEN_STATUS);
      expect([tokenStatus.state, tokenStatus.hasRefreshToken]).toEqual(['REVOKED', false]);
      expect((await graphql(browser, app.url, PROFILE)).errors?.[0].extensions?.code).toBe(
        'REAUTH_REQUIRED',
      );
      const events = await database.query<{ type: string }>(
        "SELECT type FROM token_events WHERE type = 'REVOKED'",
      );
      expect(events.length).toBe(1);

      await signIn(browser, app.url);
      const restored = await graphqlData<{ tokenStatus: { state: string } }>(
        browser,
        app.url,
        TOKEN_STATUS,
      );
      expect(restored.tokenStatus.state).toBe('ACTIVE');
    });

    it('when Google answers 5xx, forgets the tokens now and retries the revocation until Google confirms', async () => {
      const { refreshToken } = await adaTokens();
      await injectFault(app.emulatorUrl, { endpoint: 'revoke', status: 503, count: 3 });
      const { revokeToken } = await graphqlData<{ revokeToken: boolean }>(
        browser,
        app.url,
        'mutation { revokeToken }',
      );
      // queued, not confirmed
      expect(revokeToken).toBe(false);
      expect((await database.query('SELECT id FROM pending_revocations')).length).toBe(1);
      // the queued token is encrypted
      expect((await database.dump()).includes(refreshToken)).toBeFalsy();

      const revoker = app.app.get(TokenRevoker);
      const daysLater = (days: number) => new Date(Date.now() + days * 86_400_000);
      // not due yet: nothing is tried
      expect(await revoker.retryPending(new Date())).toBe(0);
      // second 503
      expect(await revoker.retryPending(daysLater(1))).toBe(0);
      // third 503
      expect(await revoker.retryPending(daysLater(2))).toBe(0);
      // Google confirms
      expect(await revoker.retryPending(daysLater(3))).toBe(1);
      expect((await database.query('SELECT id FROM pending_revocations')).length).toBe(0);
      const refreshed = await fetch(`${app.emulatorUrl}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: app.config.google.clientId,
          client_secret: app.config.google.clientSecret,
        }).toString(),
      });
      // the refresh token is dead at Google
      expect(refreshed.status).toBe(400);
    });

    it('the Disconnect button on / does the same', async () => {
      await signIn(browser, app.url);
      const answer = await browser.postForm(`${app.url}/auth/disconnect`, {});
      expect(answer.status).toBe(303);
      const home = await browser.get(`${app.url}/`);
      expect(home.body).toMatch(/<th>State<\/th><td>REVOKED<\/td>/);
      expect(home.body).toMatch(/Sign in again/);
    });
  });
}
