import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestBrowser } from './support/browser.js';
import { storedTokens } from './support/stored-tokens.js';
import {
  advanceEmulatorClock,
  emulatorStats,
  revokeUserAtEmulator,
} from './support/emulator-admin.js';
import {
  graphql,
  graphqlData,
  graphqlErrorCode,
  PROFILE,
  REFRESH_TOKEN,
  TOKEN_STATUS,
  VALIDATE_TOKEN,
} from './support/graphql.js';
import { signIn } from './support/sign-in.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import {
  createTestDatabase,
  type DatabaseKind,
  type TestDatabase,
} from './support/test-database.js';

const ADA = '104892461539281739254';
const ALAN = '117350929174625391823';

interface Status {
  tokenStatus: {
    state: string;
    refreshCount: number;
    hasRefreshToken: boolean;
    expiresInSeconds: number | null;
    scopes: string[];
  };
}

/** Resolves once the stored token has passed its expiry, asking the API itself (bounded). */
async function untilExpired(browser: TestBrowser, appUrl: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const { tokenStatus } = await graphqlData<Status>(browser, appUrl, TOKEN_STATUS);
    if (tokenStatus.state === 'EXPIRED') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the token did not expire within 15 s');
}

/** The GraphQL API over HTTP after a real sign-in, on a database of the given kind. */
export function describeGraphqlApi(kind: DatabaseKind): void {
  describe(`GraphQL API on ${kind}, tokens valid for 10 minutes`, () => {
    let database: TestDatabase;
    let app: TestApp;
    const ada = new TestBrowser();
    const alan = new TestBrowser();

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      app = await startTestApp(database, { EMULATOR_ACCESS_TOKEN_TTL_SECONDS: '600' });
      await signIn(ada, app.url, ADA);
      await signIn(alan, app.url, ALAN);
    });

    afterAll(async () => {
      await app?.stop();
      await database?.drop();
    });

    it('refuses every operation without a session with UNAUTHENTICATED', async () => {
      const stranger = new TestBrowser();
      for (const query of ['{ me { id } }', PROFILE, TOKEN_STATUS, VALIDATE_TOKEN, REFRESH_TOKEN]) {
        expect((await graphqlErrorCode(stranger, app.url, query)).code).toBe('UNAUTHENTICATED');
      }
    });

    it("me and profile return the signed-in user's Google profile", async () => {
      const { me } = await graphqlData<{ me: { email: string; name: string } }>(
        ada,
        app.url,
        '{ me { id email name } }',
      );
      expect(me).toEqual({ ...me, email: 'ada@example.com', name: 'Ada Lovelace' });
      const { profile } = await graphqlData<{ profile: Record<string, unknown> }>(
        ada,
        app.url,
        PROFILE,
      );
      expect(profile).toEqual({
        sub: ADA,
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        emailVerified: true,
        givenName: 'Ada',
        familyName: 'Lovelace',
      });
    });

    it('validateToken says valid, with the granted scopes and our client as audience', async () => {
      const { validateToken } = await graphqlData<{ validateToken: Record<string, unknown> }>(
        ada,
        app.url,
        VALIDATE_TOKEN,
      );
      expect(validateToken.valid).toBe(true);
      expect(validateToken.reason).toBe(null);
      expect(validateToken.audience).toBe(app.config.google.clientId);
      expect(validateToken.audienceMatches).toBe(true);
      expect(validateToken.email).toBe('ada@example.com');
      expect(validateToken.accessType).toBe('offline');
      expect(validateToken.expiresInSeconds as number).toBeGreaterThan(500);
      expect([...(validateToken.scopes as string[])].sort()).toEqual([
        'https://www.googleapis.com/auth/userinfo.email',
        'https://www.googleapis.com/auth/userinfo.profile',
        'openid',
      ]);
    });

    it('refreshToken refreshes, changes the access token and keeps the refresh token; a second one right after reports the same status without calling Google', async () => {
      const before = await storedTokens(database, ADA);
      const grantsBefore = (await emulatorStats(app.emulatorUrl)).tokenGrants.refresh_token;
      const first = await graphqlData<{ refreshToken: { state: string; refreshCount: number } }>(
        ada,
        app.url,
        REFRESH_TOKEN,
      );
      const second = await graphqlData<{ refreshToken: { state: string; refreshCount: number } }>(
        ada,
        app.url,
        REFRESH_TOKEN,
      );
      expect(first.refreshToken).toEqual({
        ...first.refreshToken,
        state: 'ACTIVE',
        refreshCount: 1,
      });
      // within FORCED_REFRESH_MIN_INTERVAL_SECONDS of the first
      expect(second.refreshToken).toEqual(first.refreshToken);
      expect((await emulatorStats(app.emulatorUrl)).tokenGrants.refresh_token).toBe(
        grantsBefore + 1,
      );
      const afterRefresh = await storedTokens(database, ADA);
      expect(afterRefresh.accessToken).not.toBe(before.accessToken);
      expect(afterRefresh.refreshToken).toBe(before.refreshToken);
    });

    it('a second user sees and refreshes only their own token', async () => {
      const alanBefore = await graphqlData<Status>(alan, app.url, TOKEN_STATUS);
      await graphqlData(alan, app.url, REFRESH_TOKEN);
      const alanAfter = await graphqlData<Status>(alan, app.url, TOKEN_STATUS);
      const adaNow = await graphqlData<Status>(ada, app.url, TOKEN_STATUS);
      expect(alanAfter.tokenStatus.refreshCount).toBe(alanBefore.tokenStatus.refreshCount + 1);
      // Ada's count moved only with Ada's refreshes
      expect(adaNow.tokenStatus.refreshCount).toBe(1);
      const { profile } = await graphqlData<{ profile: { sub: string } }>(alan, app.url, PROFILE);
      expect(profile.sub).toBe(ALAN);
    });

    it('an API token from /auth/api-token works as a bearer session without cookies', async () => {
      const page = await ada.postForm(`${app.url}/auth/api-token`, {});
      expect(page.status).toBe(201);
      const token = /<code id="api-token">([^<]+)<\/code>/.exec(page.body)?.[1];
      expect(token).toBeTruthy();
      const { me } = await graphqlData<{ me: { email: string } }>(
        new TestBrowser(),
        app.url,
        '{ me { email } }',
        token,
      );
      expect(me.email).toBe('ada@example.com');
      const forged = await graphql(new TestBrowser(), app.url, '{ me { email } }', `${token}x`);
      expect(forged.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('a token Google refuses before its stored expiry is refreshed once and the call retried once', async () => {
      const before = await storedTokens(database, ADA);
      await advanceEmulatorClock(app.emulatorUrl, 3600);
      const stats = await emulatorStats(app.emulatorUrl);
      const { profile } = await graphqlData<{ profile: { sub: string } }>(ada, app.url, PROFILE);
      expect(profile.sub).toBe(ADA);
      const after = await emulatorStats(app.emulatorUrl);
      expect(after.tokenGrants.refresh_token).toBe(stats.tokenGrants.refresh_token + 1);
      // the refused call and its one retry
      expect(after.userinfo).toBe(stats.userinfo + 2);
      expect((await storedTokens(database, ADA)).accessToken).not.toBe(before.accessToken);
    });

    it('no response carried a Google token', async () => {
      for (const sub of [ADA, ALAN]) {
        const { accessToken, refreshToken } = await storedTokens(database, sub);
        for (const seen of [...ada.seen, ...alan.seen]) {
          expect(!seen.includes(accessToken) && !seen.includes(refreshToken)).toBeTruthy();
          // nothing shaped like a Google token
          expect(!seen.includes('ya29.') && !seen.includes('"1//')).toBeTruthy();
        }
      }
    });
  });

  describe(`GraphQL API on ${kind}, tokens valid for 1 second`, () => {
    let database: TestDatabase;
    let app: TestApp;
    const ada = new TestBrowser();

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      app = await startTestApp(database, {
        EMULATOR_ACCESS_TOKEN_TTL_SECONDS: '1',
        REFRESH_LEEWAY_SECONDS: '0',
      });
      await signIn(ada, app.url, ADA);
    });

    afterAll(async () => {
      await app?.stop();
      await database?.drop();
    });

    it('after expiry, profile still works with exactly one refresh; expiry moves, refresh token stays', async () => {
      const before = await storedTokens(database, ADA);
      await untilExpired(ada, app.url);
      const grantsBefore = (await emulatorStats(app.emulatorUrl)).tokenGrants.refresh_token;
      const { profile } = await graphqlData<{ profile: { sub: string } }>(ada, app.url, PROFILE);
      expect(profile.sub).toBe(ADA);
      expect((await emulatorStats(app.emulatorUrl)).tokenGrants.refresh_token).toBe(
        grantsBefore + 1,
      );
      const after = await storedTokens(database, ADA);
      // the expiry moved forward
      expect(after.expiresAt.getTime()).toBeGreaterThan(before.expiresAt.getTime());
      expect(after.accessToken).not.toBe(before.accessToken);
      expect(after.refreshToken).toBe(before.refreshToken);
    });

    it('a grant revoked at Google ends in REAUTH_REQUIRED, stops calling Google, and a new sign-in restores it', async () => {
      await revokeUserAtEmulator(app.emulatorUrl, ADA);
      const validation = await graphqlData<{
        validateToken: { valid: boolean; reason: string | null };
      }>(ada, app.url, VALIDATE_TOKEN);
      expect(validation.validateToken.valid).toBe(false);
      expect(validation.validateToken.reason).toBeTruthy();

      await untilExpired(ada, app.url);
      const failure = await graphqlErrorCode(ada, app.url, PROFILE);
      expect(failure.code).toBe('REAUTH_REQUIRED');
      expect(failure.extensions.loginUrl).toBe(`${app.config.publicUrl}/auth/google`);
      const { tokenStatus } = await graphqlData<Status>(ada, app.url, TOKEN_STATUS);
      expect(tokenStatus.state).toBe('REAUTH_REQUIRED');

      const grantsAfterDeath = (await emulatorStats(app.emulatorUrl)).tokenGrants.refresh_token;
      for (const query of [PROFILE, REFRESH_TOKEN, PROFILE]) {
        expect((await graphqlErrorCode(ada, app.url, query)).code).toBe('REAUTH_REQUIRED');
      }
      // no call reached Google
      expect((await emulatorStats(app.emulatorUrl)).tokenGrants.refresh_token).toBe(
        grantsAfterDeath,
      );
      const events = await database.query<{ type: string; code: string }>(
        "SELECT type, code FROM token_events WHERE type = 'REAUTH_REQUIRED'",
      );
      expect(events).toEqual([{ type: 'REAUTH_REQUIRED', code: 'invalid_grant' }]);

      await signIn(ada, app.url, ADA);
      const restored = await graphqlData<Status>(ada, app.url, TOKEN_STATUS);
      expect(restored.tokenStatus.state).toBe('ACTIVE');
      const { profile } = await graphqlData<{ profile: { sub: string } }>(ada, app.url, PROFILE);
      expect(profile.sub).toBe(ADA);
    });
  });
}
