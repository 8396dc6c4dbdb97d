import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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
  assert.fail('the token did not expire within 15 s');
}

/** The GraphQL API over HTTP after a real sign-in, on a database of the given kind. */
export function describeGraphqlApi(kind: DatabaseKind): void {
  describe(`GraphQL API on ${kind}, tokens valid for 10 minutes`, () => {
    let database: TestDatabase;
    let app: TestApp;
    const ada = new TestBrowser();
    const alan = new TestBrowser();

    before(async () => {
      database = await createTestDatabase(kind);
      app = await startTestApp(database, { EMULATOR_ACCESS_TOKEN_TTL_SECONDS: '600' });
      await signIn(ada, app.url, ADA);
      await signIn(alan, app.url, ALAN);
    });

    after(async () => {
      await app?.stop();
      await database?.drop();
    });

    it('refuses every operation without a session with UNAUTHENTICATED', async () => {
      const stranger = new TestBrowser();
      for (const query of ['{ me { id } }', PROFILE, TOKEN_STATUS, VALIDATE_TOKEN, REFRESH_TOKEN]) {
        assert.equal(
          (await graphqlErrorCode(stranger, app.url, query)).code,
          'UNAUTHENTICATED',
          query,
        );
      }
    });

    it("me and profile return the signed-in user's Google profile", async () => {
      const { me } = await graphqlData<{ me: { email: string; name: string } }>(
        ada,
        app.url,
        '{ me { id email name } }',
      );
      assert.deepEqual(me, { ...me, email: 'ada@example.com', name: 'Ada Lovelace' });
      const { profile } = await graphqlData<{ profile: Record<string, unknown> }>(
        ada,
        app.url,
        PROFILE,
      );
      assert.deepEqual(profile, {
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
      assert.equal(validateToken.valid, true);
      assert.equal(validateToken.reason, null);
      assert.equal(validateToken.audience, app.config.google.clientId);
      assert.equal(validateToken.audienceMatches, true);
      assert.equal(validateToken.email, 'ada@example.com');
      assert.equal(validateToken.accessType, 'offline');
      assert.ok((validateToken.expiresInSeconds as number) > 500);
      assert.deepEqual([...(validateToken.scopes as string[])].sort(), [
        'https://www.googleapis.com/auth/userinfo.email',
        'https://www.googleapis.com/auth/userinfo.profile',
        'openid',
      ]);
    });

    it('refreshToken twice refreshes twice, changes the access token and keeps the refresh token', async () => {
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
      assert.deepEqual(first.refreshToken, {
        ...first.refreshToken,
        state: 'ACTIVE',
        refreshCount: 1,
      });
      assert.deepEqual(second.refreshToken, {
        ...second.refreshToken,
        state: 'ACTIVE',
        refreshCount: 2,
      });
      assert.equal(
        (await emulatorStats(app.emulatorUrl)).tokenGrants.refresh_token,
        grantsBefore + 2,
      );
      const afterRefresh = await storedTokens(database, ADA);
      assert.notEqual(afterRefresh.accessToken, before.accessToken);
      assert.equal(afterRefresh.refreshToken, before.refreshToken);
    });

    it('a second user sees and refreshes only their own token', async () => {
      const alanBefore = await graphqlData<Status>(alan, app.url, TOKEN_STATUS);
      await graphqlData(alan, app.url, REFRESH_TOKEN);
      const alanAfter = await graphqlData<Status>(alan, app.url, TOKEN_STATUS);
      const adaNow = await graphqlData<Status>(ada, app.url, TOKEN_STATUS);
      assert.equal(alanAfter.tokenStatus.refreshCount, alanBefore.tokenStatus.refreshCount + 1);
      assert.equal(
        adaNow.tokenStatus.refreshCount,
        2,
        "Ada's count moved only with Ada's refreshes",
      );
      const { profile } = await graphqlData<{ profile: { sub: string } }>(alan, app.url, PROFILE);
      assert.equal(profile.sub, ALAN);
    });

    it('an API token from /auth/api-token works as a bearer session without cookies', async () => {
      const page = await ada.postForm(`${app.url}/auth/api-token`, {});
      assert.equal(page.status, 201);
      const token = /<code id="api-token">([^<]+)<\/code>/.exec(page.body)?.[1];
      assert.ok(token);
      const { me } = await graphqlData<{ me: { email: string } }>(
        new TestBrowser(),
        app.url,
        '{ me { email } }',
        token,
      );
      assert.equal(me.email, 'ada@example.com');
      const forged = await graphql(new TestBrowser(), app.url, '{ me { email } }', `${token}x`);
      assert.equal(forged.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
    });

    it('a token Google refuses before its stored expiry is refreshed once and the call retried once', async () => {
      const before = await storedTokens(database, ADA);
      await advanceEmulatorClock(app.emulatorUrl, 3600);
      const stats = await emulatorStats(app.emulatorUrl);
      const { profile } = await graphqlData<{ profile: { sub: string } }>(ada, app.url, PROFILE);
      assert.equal(profile.sub, ADA);
      const after = await emulatorStats(app.emulatorUrl);
      assert.equal(after.tokenGrants.refresh_token, stats.tokenGrants.refresh_token + 1);
      assert.equal(after.userinfo, stats.userinfo + 2, 'the refused call and its one retry');
      assert.notEqual((await storedTokens(database, ADA)).accessToken, before.accessToken);
    });

    it('no response carried a Google token', async () => {
      for (const sub of [ADA, ALAN]) {
        const { accessToken, refreshToken } = await storedTokens(database, sub);
        for (const seen of [...ada.seen, ...alan.seen]) {
          assert.ok(!seen.includes(accessToken) && !seen.includes(refreshToken));
          assert.ok(
            !seen.includes('ya29.') && !seen.includes('"1//'),
            'nothing shaped like a Google token',
          );
        }
      }
    });
  });

  describe(`GraphQL API on ${kind}, tokens valid for 1 second`, () => {
    let database: TestDatabase;
    let app: TestApp;
    const ada = new TestBrowser();

    before(async () => {
      database = await createTestDatabase(kind);
      app = await startTestApp(database, {
        EMULATOR_ACCESS_TOKEN_TTL_SECONDS: '1',
        REFRESH_LEEWAY_SECONDS: '0',
      });
      await signIn(ada, app.url, ADA);
    });

    after(async () => {
      await app?.stop();
      await database?.drop();
    });

    it('after expiry, profile still works with exactly one refresh; expiry moves, refresh token stays', async () => {
      const before = await storedTokens(database, ADA);
      await untilExpired(ada, app.url);
      const grantsBefore = (await emulatorStats(app.emulatorUrl)).tokenGrants.refresh_token;
      const { profile } = await graphqlData<{ profile: { sub: string } }>(ada, app.url, PROFILE);
      assert.equal(profile.sub, ADA);
      assert.equal(
        (await emulatorStats(app.emulatorUrl)).tokenGrants.refresh_token,
        grantsBefore + 1,
      );
      const after = await storedTokens(database, ADA);
      assert.ok(after.expiresAt > before.expiresAt, 'the expiry moved forward');
      assert.notEqual(after.accessToken, before.accessToken);
      assert.equal(after.refreshToken, before.refreshToken);
    });

    it('a grant revoked at Google ends in REAUTH_REQUIRED, stops calling Google, and a new sign-in restores it', async () => {
      await revokeUserAtEmulator(app.emulatorUrl, ADA);
      const validation = await graphqlData<{
        validateToken: { valid: boolean; reason: string | null };
      }>(ada, app.url, VALIDATE_TOKEN);
      assert.equal(validation.validateToken.valid, false);
      assert.ok(validation.validateToken.reason);

      await untilExpired(ada, app.url);
      const failure = await graphqlErrorCode(ada, app.url, PROFILE);
      assert.equal(failure.code, 'REAUTH_REQUIRED');
      assert.equal(failure.extensions.loginUrl, `${app.config.publicUrl}/auth/google`);
      const { tokenStatus } = await graphqlData<Status>(ada, app.url, TOKEN_STATUS);
      assert.equal(tokenStatus.state, 'REAUTH_REQUIRED');

      const grantsAfterDeath = (await emulatorStats(app.emulatorUrl)).tokenGrants.refresh_token;
      for (const query of [PROFILE, REFRESH_TOKEN, PROFILE]) {
        assert.equal((await graphqlErrorCode(ada, app.url, query)).code, 'REAUTH_REQUIRED');
      }
      assert.equal(
        (await emulatorStats(app.emulatorUrl)).tokenGrants.refresh_token,
        grantsAfterDeath,
        'no call reached Google',
      );
      const events = await database.query<{ type: string; code: string }>(
        "SELECT type, code FROM token_events WHERE type = 'REAUTH_REQUIRED'",
      );
      assert.deepEqual(events, [{ type: 'REAUTH_REQUIRED', code: 'invalid_grant' }]);

      await signIn(ada, app.url, ADA);
      const restored = await graphqlData<Status>(ada, app.url, TOKEN_STATUS);
      assert.equal(restored.tokenStatus.state, 'ACTIVE');
      const { profile } = await graphqlData<{ profile: { sub: string } }>(ada, app.url, PROFILE);
      assert.equal(profile.sub, ADA);
    });
  });
}
