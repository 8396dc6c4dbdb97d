import { describe, expect, it } from '@jest/globals';
import { TestBrowser } from './support/browser.js';
import { emulatorStats } from './support/emulator-admin.js';
import { graphql, graphqlData } from './support/graphql.js';
import { signIn } from './support/sign-in.js';
import { withTestApp, type TestApp } from './support/test-app.js';
import { expireStoredTokens, type DatabaseKind } from './support/test-database.js';

interface ForcedStatus {
  state: string;
  refreshCount: number;
  lastRefreshedAt: string | null;
}

const FORCED = 'mutation { refreshToken { state refreshCount lastRefreshedAt } }';

async function refreshGrants(app: TestApp): Promise<number> {
  return (await emulatorStats(app.emulatorUrl)).tokenGrants.refresh_token;
}

/** `refreshToken` forces a refresh, but each user gets at most one per FORCED_REFRESH_MIN_INTERVAL_SECONDS. */
for (const kind of ['sqlite', 'postgres'] as DatabaseKind[]) {
  describe(`the forced refresh budget on ${kind}`, () => {
    const suite = withTestApp(kind);
    const browser = new TestBrowser();

    it('15 aliased refreshToken mutations in one document make one refresh grant and all report it', async () => {
      await signIn(browser, suite.app.url);
      const before = await refreshGrants(suite.app);
      const aliased = Array.from(
        { length: 15 },
        (_, i) => `r${i}: refreshToken { state refreshCount }`,
      ).join(' ');
      const answer = await graphql<Record<string, { state: string; refreshCount: number }>>(
        browser,
        suite.app.url,
        `mutation { ${aliased} }`,
      );
      expect(answer.errors).toBe(undefined);
      expect(
        new Set(Object.values(answer.data ?? {}).map((status) => JSON.stringify(status))),
      ).toEqual(new Set([JSON.stringify({ state: 'ACTIVE', refreshCount: 1 })]));
      expect(await refreshGrants(suite.app)).toBe(before + 1);
    });

    it('a forced refresh soon after the last one answers the fresh status without calling Google', async () => {
      const before = await refreshGrants(suite.app);
      const first = await graphqlData<{ refreshToken: ForcedStatus }>(
        browser,
        suite.app.url,
        FORCED,
      );
      const second = await graphqlData<{ refreshToken: ForcedStatus }>(
        browser,
        suite.app.url,
        FORCED,
      );
      expect(second.refreshToken).toEqual(first.refreshToken);
      expect(await refreshGrants(suite.app)).toBe(before);
    });

    it('refreshes again once the interval has passed since the last refresh', async () => {
      await suite.database.query(
        kind === 'postgres'
          ? "UPDATE oauth_tokens SET last_refreshed_at = now() - interval '31 seconds'"
          : "UPDATE oauth_tokens SET last_refreshed_at = strftime('%Y-%m-%d %H:%M:%f', 'now', '-31 seconds')",
      );
      const before = await refreshGrants(suite.app);
      const { refreshToken } = await graphqlData<{ refreshToken: ForcedStatus }>(
        browser,
        suite.app.url,
        FORCED,
      );
      expect(refreshToken.refreshCount).toBe(2);
      expect(await refreshGrants(suite.app)).toBe(before + 1);
    });

    it('refreshes at once, whatever the interval, a token that is no longer usable', async () => {
      await expireStoredTokens(suite.database);
      const before = await refreshGrants(suite.app);
      const { refreshToken } = await graphqlData<{ refreshToken: ForcedStatus }>(
        browser,
        suite.app.url,
        FORCED,
      );
      expect(refreshToken.refreshCount).toBe(3);
      expect(await refreshGrants(suite.app)).toBe(before + 1);
    });
  });
}
