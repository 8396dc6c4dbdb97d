import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestBrowser } from './support/browser.js';
import { storedTokens, type TokenRow } from './support/stored-tokens.js';
import { emulatorStats, tokenInfo } from './support/emulator-admin.js';
import { answerConsent, openConsentPage, signIn } from './support/sign-in.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import {
  createTestDatabase,
  type DatabaseKind,
  type TestDatabase,
} from './support/test-database.js';

/** Sign-in end to end over real HTTP: app, embedded emulator and a real database of the given kind. */
export function describeSignIn(kind: DatabaseKind): void {
  describe(`sign-in with Google on ${kind}`, () => {
    let database: TestDatabase;
    let app: TestApp;
    const tokenRows = () => database.query<TokenRow>('SELECT * FROM oauth_tokens');
    const userCount = async () => (await database.query('SELECT id FROM users')).length;

    before(async () => {
      database = await createTestDatabase(kind);
      app = await startTestApp(database, { EMULATOR_ACCESS_TOKEN_TTL_SECONDS: '600' });
    });

    after(async () => {
      await app?.stop();
      await database?.drop();
    });

    it('is ready once the database answers and migrations are applied', async () => {
      const ready = await fetch(`${app.url}/health/ready`);
      assert.equal(ready.status, 200);
      const body = (await ready.json()) as { info: Record<string, { status: string }> };
      assert.equal(body.info.database.status, 'up');
      assert.equal(body.info.migrations.status, 'up');
    });

    it('a denied consent ends on an error page and stores nothing', async () => {
      const browser = new TestBrowser();
      const consent = await openConsentPage(browser, app.url);
      const callback = await browser.get(await answerConsent(browser, consent, 'deny'));
      assert.equal(callback.status, 403);
      assert.match(callback.body, /Sign-in was cancelled/);
      assert.equal(callback.headers.get('cache-control'), 'no-store');
      assert.equal((await tokenRows()).length, 0);
      assert.equal(await userCount(), 0);
    });

    it('a callback with a state it did not issue is refused before any code exchange', async () => {
      const grantsBefore = (await emulatorStats(app.emulatorUrl)).tokenGrants.authorization_code;
      const browser = new TestBrowser();
      const consent = await openConsentPage(browser, app.url);
      const callbackUrl = new URL(await answerConsent(browser, consent, 'allow'));
      callbackUrl.searchParams.set('state', 'forged-state-value');
      const callback = await browser.get(callbackUrl.toString());
      assert.equal(callback.status, 400);
      assert.match(callback.body, /invalid, expired or was already used/);
      assert.equal(
        (await emulatorStats(app.emulatorUrl)).tokenGrants.authorization_code,
        grantsBefore,
      );
      assert.equal((await tokenRows()).length, 0);
    });

    it("a code from another browser's sign-in fails the PKCE check and stores nothing", async () => {
      const victim = new TestBrowser();
      const attacker = new TestBrowser();
      const victimCallback = new URL(
        await answerConsent(victim, await openConsentPage(victim, app.url), 'allow'),
      );
      const attackerCallback = new URL(
        await answerConsent(attacker, await openConsentPage(attacker, app.url), 'allow'),
      );
      victimCallback.searchParams.set('code', attackerCallback.searchParams.get('code')!);
      const callback = await victim.get(victimCallback.toString());
      assert.equal(callback.status, 400);
      assert.match(callback.body, /Google rejected the sign-in code/);
      assert.equal((await tokenRows()).length, 0);
      assert.equal(await userCount(), 0);
    });

    it('signs in through the consent page, stores encrypted tokens and shows the token state', async () => {
      const browser = new TestBrowser();
      const { callback, finalPage } = await signIn(browser, app.url);
      assert.equal(callback.status, 303);
      assert.equal(callback.headers.get('cache-control'), 'no-store');
      assert.equal(callback.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(finalPage.status, 200);
      assert.match(finalPage.body, /Signed in as Ada Lovelace/);
      assert.match(finalPage.body, /<th>State<\/th><td>ACTIVE<\/td>/);
      assert.match(finalPage.body, /<th>Refresh token held<\/th><td>yes<\/td>/);

      const users = await database.query<{ id: string; google_sub: string; email: string }>(
        'SELECT * FROM users',
      );
      assert.equal(users.length, 1);
      assert.equal(users[0].google_sub, '104892461539281739254');
      const [row] = await tokenRows();
      assert.equal(row.user_id, users[0].id);
      assert.equal(row.key_id, 'test-key');
      assert.match(row.scopes, /openid/);
      const expiresInMs = new Date(row.expires_at).getTime() - Date.now();
      assert.ok(
        expiresInMs > 590_000 && expiresInMs <= 600_000,
        `expiry ${expiresInMs} ms from now`,
      );

      const { accessToken, refreshToken } = await storedTokens(database, users[0].google_sub);
      assert.match(accessToken, /^ya29\./);
      assert.match(refreshToken, /^1\/\//);
      assert.equal(
        (await tokenInfo(app.emulatorUrl, accessToken)).status,
        200,
        'the stored token is the live one',
      );

      const dump = await database.dump();
      assert.ok(!dump.includes(accessToken), 'no access token in clear in the database');
      assert.ok(!dump.includes(refreshToken), 'no refresh token in clear in the database');
      for (const seen of browser.seen) {
        assert.ok(
          !seen.includes(accessToken) && !seen.includes(refreshToken),
          'no token reaches the browser',
        );
      }
    });

    it('a replayed callback is refused and leaves the stored grant as it was', async () => {
      const browser = new TestBrowser();
      const [before] = await tokenRows();
      const { callbackUrl } = await signIn(browser, app.url);
      const [afterSignIn] = await tokenRows();
      assert.equal(
        afterSignIn.version,
        before.version + 1,
        'signing in again updates the same row',
      );

      const replay = await browser.get(callbackUrl);
      assert.equal(replay.status, 400);
      const rows = await tokenRows();
      assert.equal(rows.length, 1);
      assert.equal(rows[0].version, afterSignIn.version);
      assert.equal(rows[0].access_token_ciphertext, afterSignIn.access_token_ciphertext);
    });

    it('a second Google account becomes a second user, and sign-out ends the session', async () => {
      const browser = new TestBrowser();
      const { finalPage } = await signIn(browser, app.url, '117350929174625391823');
      assert.match(finalPage.body, /Signed in as Alan Turing/);
      assert.equal(await userCount(), 2);
      assert.equal((await tokenRows()).length, 2);

      const logout = await browser.postForm(`${app.url}/auth/logout`, {});
      assert.equal(logout.status, 303);
      const home = await browser.get(`${app.url}/`);
      assert.match(home.body, /Sign in with Google/);
      assert.equal(
        (await database.query('SELECT id_hash FROM sessions')).length,
        2,
        'only that session ended',
      );
    });
  });
}
