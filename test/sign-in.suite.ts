import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      app = await startTestApp(database, { EMULATOR_ACCESS_TOKEN_TTL_SECONDS: '600' });
    });

    afterAll(async () => {
      await app?.stop();
      await database?.drop();
    });

    it('is ready once the database answers and migrations are applied', async () => {
      const ready = await fetch(`${app.url}/health/ready`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as { info: Record<string, { status: string }> };
      expect(body.info.database.status).toBe('up');
      expect(body.info.migrations.status).toBe('up');
    });

    it('a denied consent ends on an error page and stores nothing', async () => {
      const browser = new TestBrowser();
      const consent = await openConsentPage(browser, app.url);
      const callback = await browser.get(await answerConsent(browser, consent, 'deny'));
      expect(callback.status).toBe(403);
      expect(callback.body).toMatch(/Sign-in was cancelled/);
      expect(callback.headers.get('cache-control')).toBe('no-store');
      expect((await tokenRows()).length).toBe(0);
      expect(await userCount()).toBe(0);
    });

    it('a callback with a state it did not issue is refused before any code exchange', async () => {
      const grantsBefore = (await emulatorStats(app.emulatorUrl)).tokenGrants.authorization_code;
      const browser = new TestBrowser();
      const consent = await openConsentPage(browser, app.url);
      const callbackUrl = new URL(await answerConsent(browser, consent, 'allow'));
      callbackUrl.searchParams.set('state', 'forged-state-value');
      const callback = await browser.get(callbackUrl.toString());
      expect(callback.status).toBe(400);
      expect(callback.body).toMatch(/invalid, expired or was already used/);
      expect((await emulatorStats(app.emulatorUrl)).tokenGrants.authorization_code).toBe(
        grantsBefore,
      );
      expect((await tokenRows()).length).toBe(0);
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
      expect(callback.status).toBe(400);
      expect(callback.body).toMatch(/Google rejected the sign-in code/);
      expect((await tokenRows()).length).toBe(0);
      expect(await userCount()).toBe(0);
    });

    it('signs in through the consent page, stores encrypted tokens and shows the token state', async () => {
      const browser = new TestBrowser();
      const { callback, finalPage } = await signIn(browser, app.url);
      expect(callback.status).toBe(303);
      expect(callback.headers.get('cache-control')).toBe('no-store');
      expect(callback.headers.get('referrer-policy')).toBe('no-referrer');
      expect(finalPage.status).toBe(200);
      expect(finalPage.body).toMatch(/Signed in as Ada Lovelace/);
      expect(finalPage.body).toMatch(/<th>State<\/th><td>ACTIVE<\/td>/);
      expect(finalPage.body).toMatch(/<th>Refresh token held<\/th><td>yes<\/td>/);

      const users = await database.query<{ id: string; google_sub: string; email: string }>(
        'SELECT * FROM users',
      );
      expect(users.length).toBe(1);
      expect(users[0].google_sub).toBe('104892461539281739254');
      const [row] = await tokenRows();
      expect(row.user_id).toBe(users[0].id);
      expect(row.key_id).toBe('test-key');
      expect(row.scopes).toMatch(/openid/);
      const expiresInMs = new Date(row.expires_at).getTime() - Date.now();
      expect(expiresInMs > 590_000 && expiresInMs <= 600_000).toBeTruthy();

      const { accessToken, refreshToken } = await storedTokens(database, users[0].google_sub);
      expect(accessToken).toMatch(/^ya29\./);
      expect(refreshToken).toMatch(/^1\/\//);
      // the stored token is the live one
      expect((await tokenInfo(app.emulatorUrl, accessToken)).status).toBe(200);

      const dump = await database.dump();
      // no access token in clear in the database
      expect(dump.includes(accessToken)).toBeFalsy();
      // no refresh token in clear in the database
      expect(dump.includes(refreshToken)).toBeFalsy();
      for (const seen of browser.seen) {
        // no token reaches the browser
        expect(!seen.includes(accessToken) && !seen.includes(refreshToken)).toBeTruthy();
      }
    });

    it('a replayed callback is refused and leaves the stored grant as it was', async () => {
      const browser = new TestBrowser();
      const [before] = await tokenRows();
      const { callbackUrl } = await signIn(browser, app.url);
      const [afterSignIn] = await tokenRows();
      // signing in again updates the same row
      expect(afterSignIn.version).toBe(before.version + 1);

      const replay = await browser.get(callbackUrl);
      expect(replay.status).toBe(400);
      const rows = await tokenRows();
      expect(rows.length).toBe(1);
      expect(rows[0].version).toBe(afterSignIn.version);
      expect(rows[0].access_token_ciphertext).toBe(afterSignIn.access_token_ciphertext);
    });

    it('a second Google account becomes a second user, and sign-out ends the session', async () => {
      const browser = new TestBrowser();
      const { finalPage } = await signIn(browser, app.url, '117350929174625391823');
      expect(finalPage.body).toMatch(/Signed in as Alan Turing/);
      expect(await userCount()).toBe(2);
      expect((await tokenRows()).length).toBe(2);

      const logout = await browser.postForm(`${app.url}/auth/logout`, {});
      expect(logout.status).toBe(303);
      const home = await browser.get(`${app.url}/`);
      expect(home.body).toMatch(/Sign in with Google/);
      // only that session ended
      expect((await database.query('SELECT id_hash FROM sessions')).length).toBe(2);
    });
  });
}
