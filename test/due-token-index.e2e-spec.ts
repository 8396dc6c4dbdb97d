import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TokenStore } from '../src/tokens/token-store.service.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import {
  createTestDatabase,
  type DatabaseKind,
  type TestDatabase,
} from './support/test-database.js';

const LIVE_TOKENS = 20_000;
const DEAD_GRANTS = 20_000;

/**
 * Stores, straight through SQL, live tokens expiring every 2 s over the next 11 hours, and as many
 * dead grants (REAUTH_REQUIRED) that expired long ago: the rows a naive expiry scan would trip on.
 */
async function storeManyTokens(database: TestDatabase): Promise<void> {
  const total = LIVE_TOKENS + DEAD_GRANTS;
  if (database.kind === 'postgres') {
    await database.query(
      `INSERT INTO users (id, google_sub) SELECT 'u-' || n, 'sub-' || n FROM generate_series(1, ${total}) n`,
    );
    await database.query(
      `INSERT INTO oauth_tokens (id, user_id, access_token_ciphertext, key_id, scopes, state, expires_at)
       SELECT 't-' || n, 'u-' || n, 'x', 'k', 'openid',
              CASE WHEN n <= ${LIVE_TOKENS} THEN 'ACTIVE' ELSE 'REAUTH_REQUIRED' END,
              CASE WHEN n <= ${LIVE_TOKENS} THEN now() + n * interval '2 seconds' ELSE now() - n * interval '5 minutes' END
       FROM generate_series(1, ${total}) n`,
    );
    await database.query('ANALYZE oauth_tokens');
    return;
  }
  const series = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${total})`;
  await database.query(
    `${series} INSERT INTO users (id, google_sub) SELECT 'u-' || i, 'sub-' || i FROM n`,
  );
  await database.query(
    `${series} INSERT INTO oauth_tokens (id, user_id, access_token_ciphertext, key_id, scopes, state, expires_at)
     SELECT 't-' || i, 'u-' || i, 'x', 'k', 'openid',
            CASE WHEN i <= ${LIVE_TOKENS} THEN 'ACTIVE' ELSE 'REAUTH_REQUIRED' END,
            strftime('%Y-%m-%d %H:%M:%f', 'now', CASE WHEN i <= ${LIVE_TOKENS} THEN '+' || (i * 2) ELSE '-' || (i * 300) END || ' seconds')
     FROM n`,
  );
  await database.query('ANALYZE');
}

for (const kind of ['postgres', 'sqlite'] as DatabaseKind[]) {
  describe(`finding due tokens among ${LIVE_TOKENS} live and ${DEAD_GRANTS} dead grants on ${kind}`, () => {
    let database: TestDatabase;
    let app: TestApp;

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      app = await startTestApp(database);
      await storeManyTokens(database);
    });

    afterAll(async () => {
      await app?.stop();
      await database?.drop();
    });

    it('walks the (state, expires_at) index and reads only the rows it returns', async () => {
      const now = new Date();
      const [sql, parameters] = app.app
        .get(TokenStore)
        .expiringQuery(new Date(now.getTime() + 300_000), now, 100)
        .getQueryAndParameters();
      const dataSource = app.app.get(DataSource);
      if (kind === 'sqlite') {
        const plan = JSON.stringify(
          await dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, parameters),
        );
        expect(plan).toMatch(
          /SEARCH \w+ USING INDEX ix_oauth_tokens_state_expires_at \(state=\? AND expires_at<\?\)/,
        );
        return;
      }
      const [{ 'QUERY PLAN': plan }] = await dataSource.query<
        { 'QUERY PLAN': { Plan: PlanNode }[] }[]
      >(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, parameters);
      const nodes = flatten(plan[0].Plan);
      const scan = nodes.find((node) => node['Relation Name'] === 'oauth_tokens');
      expect(scan?.['Index Name']).toBe('ix_oauth_tokens_state_expires_at');
      expect(scan?.['Actual Rows'] ?? 0).toBeLessThanOrEqual(100);
      // no dead grant read and thrown away
      expect(scan?.['Rows Removed by Filter'] ?? 0).toBe(0);
    });

    it('finds exactly the live tokens due within the window, soonest first', async () => {
      const now = new Date();
      const until = new Date(now.getTime() + 60_000);
      const due = await app.app.get(TokenStore).findExpiring(until, now, 1000);
      // Live token n expires 2n seconds from insertion: about 30 are due within a minute (more
      // when time passed since), dead grants never. The expected list comes from every row.
      const rows = await database.query<{ user_id: string; state: string; expires_at: unknown }>(
        'SELECT user_id, state, expires_at FROM oauth_tokens',
      );
      const expected = rows
        .map((row) => ({ ...row, expiresAt: storedDate(row.expires_at) }))
        .filter((row) => row.state === 'ACTIVE' && row.expiresAt < until.getTime())
        .sort((a, b) => a.expiresAt - b.expiresAt)
        .map((row) => row.user_id);
      expect(expected.length).toBeGreaterThan(0);
      expect(due).toEqual(expected);
    });
  });
}

interface PlanNode {
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

function flatten(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(flatten)];
}

/** A stored expires_at as milliseconds: a Date from PostgreSQL, UTC text from SQLite. */
function storedDate(value: unknown): number {
  // Duck-typed: a Date made by a driver may come from another realm than the test's.
  const date = value as { getTime?: () => number };
  return typeof date.getTime === 'function'
    ? date.getTime()
    : new Date(`${String(value)}Z`).getTime();
}
