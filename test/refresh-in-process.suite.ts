import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ProactiveRefresher } from '../src/tokens/proactive-refresher.js';
import { TestBrowser } from './support/browser.js';
import { emulatorStats } from './support/emulator-admin.js';
import { graphql, graphqlData, PROFILE, TOKEN_STATUS } from './support/graphql.js';
import { signIn } from './support/sign-in.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import {
  createTestDatabase,
  expireStoredTokens,
  type DatabaseKind,
  type TestDatabase,
} from './support/test-database.js';

interface Status {
  tokenStatus: { state: string; expiresInSeconds: number; refreshCount: number };
}

/** Refresh behaviour inside one app process, on a database of the given kind. */
export function describeRefreshInProcess(kind: DatabaseKind): void {
  describe(`refresh in one process on ${kind}`, () => {
    let database: TestDatabase;
    let app: TestApp;
    const browser = new TestBrowser();

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      app = await startTestApp(database, { EMULATOR_ACCESS_TOKEN_TTL_SECONDS: '3600' });
      await signIn(browser, app.url);
    });

    afterAll(async () => {
      await app?.stop();
      await database?.drop();
    });

    it('200 concurrent profile requests with an expired token all succeed on exactly one refresh', async () => {
      await expireStoredTokens(database);
      const before = (await emulatorStats(app.emulatorUrl)).tokenGrants.refresh_token;
      const answers = await Promise.all(
        Array.from({ length: 200 }, () =>
          graphql<{ profile: { sub: string } }>(browser, app.url, PROFILE),
        ),
      );
      const failures = answers.filter(
        (answer) => answer.errors || answer.data?.profile.sub !== '104892461539281739254',
      );
      expect(failures.length).toBe(0);
      expect((await emulatorStats(app.emulatorUrl)).tokenGrants.refresh_token).toBe(before + 1);

      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      expect(metrics).toMatch(
        /^tokenkeep_refreshes_total\{trigger="request",outcome="success"\} 1$/m,
      );
      expect(metrics).toMatch(/^tokenkeep_request_refresh_waits_total 200$/m);
      expect(metrics).toMatch(
        /^tokenkeep_graphql_operations_total\{operation="profile",outcome="ok"\} 200$/m,
      );
      expect(metrics).toMatch(/^tokenkeep_tokens\{state="ACTIVE"\} 1$/m);
      expect(metrics).toMatch(/^process_resident_memory_bytes \d+$/m);
    });

    it('the sweep refreshes a grant left unused for longer than GRANT_KEEPALIVE_DAYS, and only that', async () => {
      const longAgo = new Date(Date.now() - 40 * 86_400_000);
      const farAhead = new Date(Date.now() + 3_000_000);
      const stamp = (date: Date) =>
        kind === 'postgres' ? date : date.toISOString().replace('T', ' ').replace('Z', '');
      await database.query(
        kind === 'postgres'
          ? 'UPDATE oauth_tokens SET updated_at = $1, expires_at = $2'
          : 'UPDATE oauth_tokens SET updated_at = ?, expires_at = ?',
        [stamp(longAgo), stamp(farAhead)],
      );
      const grants = (await emulatorStats(app.emulatorUrl)).tokenGrants.refresh_token;
      const sweeper = app.app.get(ProactiveRefresher);
      expect(await sweeper.sweep()).toEqual({ due: 1, refreshed: 1, skipped: 0, failed: 0 });
      expect((await emulatorStats(app.emulatorUrl)).tokenGrants.refresh_token).toBe(grants + 1);
      // fresh now
      expect(await sweeper.sweep()).toEqual({ due: 0, refreshed: 0, skipped: 0, failed: 0 });
    });

    it('tokenEvents lists what happened, newest first, and checks its limit', async () => {
      const { tokenEvents } = await graphqlData<{
        tokenEvents: { type: string; code: string | null }[];
      }>(browser, app.url, '{ tokenEvents(limit: 5) { type code detail createdAt } }');
      expect(tokenEvents.map((event) => event.type)).toEqual(['REFRESHED', 'REFRESHED', 'ISSUED']);
      for (const limit of [0, 101]) {
        const answer = await graphql(browser, app.url, `{ tokenEvents(limit: ${limit}) { type } }`);
        expect(answer.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      }
    });
  });

  describe(`proactive refresh on ${kind}`, () => {
    let database: TestDatabase;
    let app: TestApp;
    const browser = new TestBrowser();

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      app = await startTestApp(database, {
        EMULATOR_ACCESS_TOKEN_TTL_SECONDS: '4',
        REFRESH_LEEWAY_SECONDS: '0',
        PROACTIVE_REFRESH: 'on',
        PROACTIVE_REFRESH_INTERVAL_SECONDS: '1',
        PROACTIVE_REFRESH_WINDOW_SECONDS: '3',
      });
      await signIn(browser, app.url);
    });

    afterAll(async () => {
      await app?.stop();
      await database?.drop();
    });

    it('keeps a 4-second token fresh with no request asking: it never expires over three lifetimes', async () => {
      const until = Date.now() + 12_000;
      let lastCount = 0;
      while (Date.now() < until) {
        const { tokenStatus } = await graphqlData<Status>(browser, app.url, TOKEN_STATUS);
        expect(tokenStatus.state).toBe('ACTIVE');
        lastCount = tokenStatus.refreshCount;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(lastCount).toBeGreaterThanOrEqual(3);
    });
  });
}
