import { describe, expect, it } from '@jest/globals';
import { TokenEventsPruner } from '../src/tokens/token-events-pruner.js';
import { TestBrowser } from './support/browser.js';
import { signIn } from './support/sign-in.js';
import { withTestApp } from './support/test-app.js';
import type { DatabaseKind, TestDatabase } from './support/test-database.js';

const OLD_EVENTS = 2500;

/** Adds `count` REFRESHED events for every user, `daysAgo` days old. */
async function addEvents(database: TestDatabase, count: number, daysAgo: number): Promise<void> {
  if (database.kind === 'postgres') {
    await database.query(
      `INSERT INTO token_events (user_id, type, created_at)
       SELECT u.id, 'REFRESHED', now() - interval '${daysAgo} days' FROM users u, generate_series(1, ${count})`,
    );
    return;
  }
  await database.query(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
     INSERT INTO token_events (user_id, type, created_at)
     SELECT u.id, 'REFRESHED', strftime('%Y-%m-%d %H:%M:%f', 'now', '-${daysAgo} days') FROM users u, n`,
  );
}

async function eventCount(database: TestDatabase): Promise<number> {
  const [{ count }] = await database.query<{ count: number | string }>(
    'SELECT COUNT(*) AS count FROM token_events',
  );
  return Number(count);
}

for (const kind of ['sqlite', 'postgres'] as DatabaseKind[]) {
  describe(`token_events retention on ${kind}`, () => {
    const suite = withTestApp(kind, { TOKEN_EVENTS_RETENTION_DAYS: '30' });

    it('deletes, in batches, the events older than TOKEN_EVENTS_RETENTION_DAYS and keeps the rest', async () => {
      await signIn(new TestBrowser(), suite.app.url);
      const recent = await eventCount(suite.database);
      await addEvents(suite.database, OLD_EVENTS, 31);
      await addEvents(suite.database, 3, 29);

      const pruner = suite.app.app.get(TokenEventsPruner);
      expect(await pruner.prune()).toBe(OLD_EVENTS);
      expect(await eventCount(suite.database)).toBe(recent + 3);
      expect(await pruner.prune()).toBe(0);
    });
  });
}
