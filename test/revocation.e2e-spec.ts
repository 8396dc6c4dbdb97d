import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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

    before(async () => {
      database = await createTestDatabase(kind);
      app = await startTestApp(database);
    });

    after(async () => {
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
      assert.equal(revokeToken, true);
      assert.equal((await emulatorStats(app.emulatorUrl)).revocations, revocations + 1);
      assert.equal(
        (await tokenInfo(app.emulatorUrl, accessToken)).status,
        400,
        'Google no longer honours it',
      );

      const [row] = await database.query<TokenRow>('SELECT * FROM oauth_tokens');
      assert.deepEqual(
        [row.state, row.access_token_ciphertext, row.refresh_token_ciphertext],
        ['REVOKED', '', null],
      );
      const { tokenStatus } = await graphqlData<{
        tokenStatus: { state: string; hasRefreshToken: boolean };
      }>(browser, app.url, TOKEN_STATUS);
      assert.deepEqual([tokenStatus.state, tokenStatus.hasRefreshToken], ['REVOKED', false]);
      assert.equal(
        (await graphql(browser, app.url, PROFILE)).errors?.[0].extensions?.code,
        'REAUTH_REQUIRED',
      );
      const events = await database.query<{ type: string }>(
        "SELECT type FROM token_events WHERE type = 'REVOKED'",
      );
      assert.equal(events.length, 1);

      await signIn(browser, app.url);
      const restored = await graphqlData<{ tokenStatus: { state: string } }>(
        browser,
        app.url,
        TOKEN_STATUS,
      );
      assert.equal(restored.tokenStatus.state, 'ACTIVE');
    });

    it('when Google answers 5xx, forgets the tokens now and retries the revocation until Google confirms', async () => {
      const { refreshToken } = await adaTokens();
      await injectFault(app.emulatorUrl, { endpoint: 'revoke', status: 503, count: 3 });
      const { revokeToken } = await graphqlData<{ revokeToken: boolean }>(
        browser,
        app.url,
        'mutation { revokeToken }',
      );
      assert.equal(revokeToken, false, 'queued, not confirmed');
      assert.equal((await database.query('SELECT id FROM pending_revocations')).length, 1);
      assert.ok(!(await database.dump()).includes(refreshToken), 'the queued token is encrypted');

      const revoker = app.app.get(TokenRevoker);
      const daysLater = (days: number) => new Date(Date.now() + days * 86_400_000);
      assert.equal(await revoker.retryPending(new Date()), 0, 'not due yet: nothing is tried');
      assert.equal(await revoker.retryPending(daysLater(1)), 0, 'second 503');
      assert.equal(await revoker.retryPending(daysLater(2)), 0, 'third 503');
      assert.equal(await revoker.retryPending(daysLater(3)), 1, 'Google confirms');
      assert.equal((await database.query('SELECT id FROM pending_revocations')).length, 0);
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
      assert.equal(refreshed.status, 400, 'the refresh token is dead at Google');
    });

    it('the Disconnect button on / does the same', async () => {
      await signIn(browser, app.url);
      const answer = await browser.postForm(`${app.url}/auth/disconnect`, {});
      assert.equal(answer.status, 303);
      const home = await browser.get(`${app.url}/`);
      assert.match(home.body, /<th>State<\/th><td>REVOKED<\/td>/);
      assert.match(home.body, /Sign in again/);
    });
  });
}
