import { describe, expect, it } from '@jest/globals';
import { ProactiveRefresher } from '../src/tokens/proactive-refresher.js';
import { TestBrowser } from './support/browser.js';
import { diagnostic } from './support/diagnostic.js';
import { emulatorStats } from './support/emulator-admin.js';
import { graphql, PROFILE } from './support/graphql.js';
import { signIn } from './support/sign-in.js';
import { withTestApp, type TestApp } from './support/test-app.js';
import {
  expireStoredTokens,
  type DatabaseKind,
  type TestDatabase,
} from './support/test-database.js';

const ADA = '104892461539281739254';

/** Makes every stored token expire `seconds` from now, as if that much of its life were left. */
async function expireStoredTokensIn(database: TestDatabase, seconds: number): Promise<void> {
  await database.query(
    database.kind === 'postgres'
      ? `UPDATE oauth_tokens SET expires_at = now() + interval '${seconds} seconds'`
      : `UPDATE oauth_tokens SET expires_at = strftime('%Y-%m-%d %H:%M:%f', 'now', '+${seconds} seconds')`,
  );
}

async function refreshGrants(app: TestApp): Promise<number> {
  return (await emulatorStats(app.emulatorUrl)).tokenGrants.refresh_token;
}

/** `count` profile requests sent at once; the error codes of those that did not return Ada's profile. */
async function concurrentProfiles(browser: TestBrowser, app: TestApp, count: number) {
  const answers = await Promise.all(
    Array.from({ length: count }, () =>
      graphql<{ profile: { sub: string } }>(browser, app.url, PROFILE),
    ),
  );
  return answers
    .filter((answer) => answer.errors || answer.data?.profile.sub !== ADA)
    .map((answer) => answer.errors?.[0].extensions?.code ?? answer.status);
}

/**
 * Google may hand out access tokens that live shorter than REFRESH_LEEWAY_SECONDS (60 by default)
 * or the proactive window: a token fresh from Google must still count as fresh.
 */
export function describeShortLivedTokens(kind: DatabaseKind): void {
  describe(`10-second tokens with the default 60 s leeway on ${kind}`, () => {
    const suite = withTestApp(kind, { EMULATOR_ACCESS_TOKEN_TTL_SECONDS: '10' });
    const browser = new TestBrowser();

    it('200 concurrent profile requests on an expired token make exactly one refresh grant', async () => {
      await signIn(browser, suite.app.url);
      await expireStoredTokens(suite.database);
      const before = await refreshGrants(suite.app);
      const startedAt = Date.now();
      const failed = await concurrentProfiles(browser, suite.app, 200);
      diagnostic(`10 s tokens: 200 concurrent requests took ${Date.now() - startedAt} ms`);
      expect(failed).toEqual([]);
      expect(await refreshGrants(suite.app)).toBe(before + 1);
    });

    it('20 sequential profile requests on an expired token make one refresh grant, not 20', async () => {
      await expireStoredTokens(suite.database);
      const before = await refreshGrants(suite.app);
      for (let request = 0; request < 20; request++) {
        expect(await concurrentProfiles(browser, suite.app, 1)).toEqual([]);
      }
      expect(await refreshGrants(suite.app)).toBe(before + 1);
    });

    it('the proactive sweep leaves a token alone until half its life has passed', async () => {
      await expireStoredTokens(suite.database);
      expect(await concurrentProfiles(browser, suite.app, 1)).toEqual([]);
      const before = await refreshGrants(suite.app);
      // A 300 s window would take in every 10 s token; half its life is what counts.
      const sweeper = suite.app.app.get(ProactiveRefresher);
      expect(await sweeper.sweep()).toEqual({ due: 0, refreshed: 0, skipped: 0, failed: 0 });
      expect(await refreshGrants(suite.app)).toBe(before);

      await expireStoredTokensIn(suite.database, 4);
      expect(await sweeper.sweep()).toEqual({ due: 1, refreshed: 1, skipped: 0, failed: 0 });
      expect(await refreshGrants(suite.app)).toBe(before + 1);
    });
  });

  describe(`2-second tokens, shorter than any setting, on ${kind}`, () => {
    const suite = withTestApp(kind, {
      EMULATOR_ACCESS_TOKEN_TTL_SECONDS: '2',
      REFRESH_LEEWAY_SECONDS: '5',
    });
    const browser = new TestBrowser();

    it('50 concurrent profile requests on an expired token refresh at most once per half lifetime (1 s)', async () => {
      await signIn(browser, suite.app.url);
      await expireStoredTokens(suite.database);
      const before = await refreshGrants(suite.app);
      const startedAt = Date.now();
      expect(await concurrentProfiles(browser, suite.app, 50)).toEqual([]);
      const elapsedMs = Date.now() - startedAt;
      const grants = (await refreshGrants(suite.app)) - before;
      diagnostic(
        `2 s tokens: 50 concurrent requests took ${elapsedMs} ms, ${grants} refresh grant(s)`,
      );
      // A storm that outlasts the token's first half may rightly refresh it again, once per half-life.
      expect(grants).toBeGreaterThanOrEqual(1);
      expect(grants).toBeLessThanOrEqual(1 + Math.floor(elapsedMs / 1000));
    });

    it('sequential requests refresh at most once per half lifetime (1 s)', async () => {
      await expireStoredTokens(suite.database);
      const before = await refreshGrants(suite.app);
      const startedAt = Date.now();
      for (let request = 0; request < 10; request++) {
        expect(await concurrentProfiles(browser, suite.app, 1)).toEqual([]);
      }
      const halfLives = Math.floor((Date.now() - startedAt) / 1000);
      const grants = (await refreshGrants(suite.app)) - before;
      expect(grants).toBeGreaterThanOrEqual(1);
      expect(grants).toBeLessThanOrEqual(1 + halfLives);
    });
  });
}
