import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { TokenStore } from '../src/tokens/token-store.service.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import {
  createTestDatabase,
  type DatabaseKind,
  type TestDatabase,
} from './support/test-database.js';

const STORED_TOKENS = 20_000;

/** Stores many users with tokens expiring over the next 10 hours, straight through SQL. */
async function storeManyTokens(database: TestDatabase): Promise<void> {
  if (database.kind === 'postgres') {
    await database.query(
      `INSERT INTO users (id, google_sub) SELECT 'u-' || n, 'sub-' || n FROM generate_series(1, ${STORED_TOKENS}) n`,
    );
    await database.query(
      `INSERT INTO oauth_tokens (id, user_id, access_token_ciphertext, key_id, scopes, expires_at, updated_at)
       SELECT 't-' || n, 'u-' || n, 'x', 'k', 'openid', now() + n * interval '2 seconds', now() FROM generate_series(1, ${STORED_TOKENS}) n`,
    );
    await database.query('ANALYZE oauth_tokens');
    return;
  }
  const series = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${STORED_TOKENS})`;
  await database.query(
    `${series} INSERT INTO users (id, google_sub) SELECT 'u-' || i, 'sub-' || i FROM n`,
  );
  await database.query(
    `${series} INSERT INTO oauth_tokens (id, user_id, access_token_ciphertext, key_id, scopes, expires_at)
     SELECT 't-' || i, 'u-' || i, 'x', 'k', 'openid', strftime('%Y-%m-%d %H:%M:%f', 'now', '+' || (i * 2) || ' seconds') FROM n`,
  );
  await database.query('ANALYZE');
}

for (const kind of ['postgres', 'sqlite'] as DatabaseKind[]) {
  describe(`finding due tokens among ${STORED_TOKENS} on ${kind}`, () => {
    let database: TestDatabase;
    let app: TestApp;

    before(async () => {
      database = await createTestDatabase(kind);
      app = await startTestApp(database);
      await storeManyTokens(database);
    });

    after(async () => {
      await app?.stop();
      await database?.drop();
    });

    it('walks the expires_at index instead of scanning every token', async () => {
      const now = new Date();
      const [sql, parameters] = app.app
        .get(TokenStore)
        .expiringQuery(new Date(now.getTime() + 300_000), now, 100)
        .getQueryAndParameters();
      const explain = kind === 'postgres' ? 'EXPLAIN' : 'EXPLAIN QUERY PLAN';
      const plan = JSON.stringify(
        await app.app.get(DataSource).query(`${explain} ${sql}`, parameters),
      );
      assert.match(plan, /ix_oauth_tokens_expires_at/, plan);
      assert.doesNotMatch(plan, /Seq Scan on oauth_tokens|SCAN oauth_tokens(?! USING)/, plan);
    });

    it('finds exactly the tokens due within the window', async () => {
      const now = new Date();
      const due = await app.app
        .get(TokenStore)
        .findExpiring(new Date(now.getTime() + 60_000), now, 1000);
      // Token n expires 2n seconds from insertion: about 30 are due within a minute.
      assert.ok(due.length >= 28 && due.length <= 30, `${due.length} due`);
      assert.equal(due[0], 'u-1', 'soonest first');
    });
  });
}
