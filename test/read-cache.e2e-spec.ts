import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CacheCoherence } from '../src/cache/cache-coherence.js';
import { ReadCache } from '../src/cache/read-cache.js';
import { loadConfig, type AppConfig } from '../src/config/app-config.js';
import { PUBLIC_URL, signInBehindBalancer } from './support/balancer-sign-in.js';
import { TestBrowser } from './support/browser.js';
import {
  cacheCoherentGauge,
  cacheHits,
  outcomeWithin3s,
  twoInstances,
  warm,
} from './support/cache-instances.js';
import { graphql, ME, PROFILE } from './support/graphql.js';
import { startTestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { until } from './support/until.js';

describe('sessions and tokens kept in memory, on two instances of one PostgreSQL', () => {
  const pair = twoInstances('200', '200');
  const browser = new TestBrowser();
  /** The browser's cookie now: after a sign-out the browser drops it, a copy of it need not. */
  const cookie = () => ({ cookie: browser.cookieHeader() });

  it('a sign-out on one instance is refused on the other at once, every time', async () => {
    for (let round = 0; round < 10; round++) {
      await signInBehindBalancer(browser, pair.first.url, PUBLIC_URL);
      const ended = cookie();
      await warm(pair.second, ME, 'sessions', ended);
      if (round % 2 === 0) {
        expect((await browser.postForm(`${pair.first.url}/auth/logout`, {})).status).toBe(303);
      } else {
        const answer = await graphql(browser, pair.first.url, 'mutation { signOutEverywhere }');
        expect(answer.data).toEqual({ signOutEverywhere: true });
      }
      expect(await outcomeWithin3s(pair.second, ME, ended)).toBe('UNAUTHENTICATED');
    }
  });

  it('a grant disconnected on one instance is refused on the other at once', async () => {
    await signInBehindBalancer(browser, pair.first.url, PUBLIC_URL);
    await warm(pair.second, PROFILE, 'tokens', cookie());
    expect((await browser.postForm(`${pair.first.url}/auth/disconnect`, {})).status).toBe(303);
    expect(await outcomeWithin3s(pair.second, PROFILE, cookie())).toBe('REAUTH_REQUIRED');
  });

  it('rows changed behind the app (psql) are not served once the writer waited the lag out', async () => {
    await signInBehindBalancer(browser, pair.first.url, PUBLIC_URL);
    await warm(pair.second, ME, 'sessions', cookie());
    await pair.database.query("UPDATE users SET email = 'renamed@example.com'");
    await pair.first.app.get(CacheCoherence).settle();
    const renamed = await graphql(browser, pair.second.url, ME);
    expect(renamed.data).toEqual({ me: { email: 'renamed@example.com' } });

    await warm(pair.second, ME, 'sessions', cookie());
    await pair.database.query('DELETE FROM sessions');
    await pair.first.app.get(CacheCoherence).settle();
    expect(await outcomeWithin3s(pair.second, ME, cookie())).toBe('UNAUTHENTICATED');
  });

  it('an API token whose parent session was ended with SQL (UPDATE) is refused once the lag is out', async () => {
    await signInBehindBalancer(browser, pair.first.url, PUBLIC_URL);
    const page = await browser.postForm(`${pair.first.url}/auth/api-token`, {});
    expect(page.status).toBe(201);
    const token = /<code id="api-token">([^<]+)<\/code>/.exec(page.body)?.[1] ?? '';
    const bearer = { authorization: `Bearer ${token}` };
    await warm(pair.second, ME, 'sessions', bearer);
    await pair.database.query(
      "UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE parent_id_hash IS NULL",
    );
    await pair.first.app.get(CacheCoherence).settle();
    // Not asked with the parent's cookie first: refusing it deletes the parent, and the
    // cascade's notice would evict the token whatever the cache does with parents.
    expect(await outcomeWithin3s(pair.second, ME, bearer)).toBe('UNAUTHENTICATED');
  });

  it('sessions removed with TRUNCATE are refused once the lag is out', async () => {
    await signInBehindBalancer(browser, pair.first.url, PUBLIC_URL);
    await warm(pair.second, ME, 'sessions', cookie());
    await pair.database.query('TRUNCATE sessions CASCADE');
    await pair.first.app.get(CacheCoherence).settle();
    expect(await outcomeWithin3s(pair.second, ME, cookie())).toBe('UNAUTHENTICATED');
  });

  it('a disconnect that finds the grant already revoked (a revocation still settling) waits too', async () => {
    await signInBehindBalancer(browser, pair.first.url, PUBLIC_URL);
    await warm(pair.second, PROFILE, 'tokens', cookie());
    // The second instance's notices stop coming (within its lag, memory still answers)...
    pair.proxy.blackHole();
    // ...when a revocation elsewhere (RISC tokens-revoked) has committed but not finished waiting.
    await pair.database.query("UPDATE oauth_tokens SET state = 'REVOKED'");
    expect((await browser.postForm(`${pair.first.url}/auth/disconnect`, {})).status).toBe(303);
    // The disconnect has answered: no instance may hand out the grant's token any more.
    expect(await outcomeWithin3s(pair.second, PROFILE, cookie())).not.toBe('ok');
  });

  it('an instance cut off from the database serves nothing from memory', async () => {
    await pair.proxy.cut();
    await pair.proxy.restore();
    await until('the second instance listening again', () =>
      Promise.resolve(pair.second.app.get(CacheCoherence).isCoherent() ? true : undefined),
    );
    await signInBehindBalancer(browser, pair.first.url, PUBLIC_URL);
    await warm(pair.second, ME, 'sessions', cookie());
    const hitsBefore = await cacheHits(pair.second, 'sessions');
    pair.proxy.blackHole();
    await pair.database.query('DELETE FROM sessions');
    await pair.first.app.get(CacheCoherence).settle();
    // The database cannot answer, so no answer may carry data; the gauge tells operators why.
    expect(await outcomeWithin3s(pair.second, ME, cookie())).not.toBe('ok');
    expect(await cacheHits(pair.second, 'sessions')).toBe(hitsBefore);
    expect([await cacheCoherentGauge(pair.first), await cacheCoherentGauge(pair.second)]).toEqual([
      1, 0,
    ]);
  });
});

describe('instances configured with different CACHE_MAX_LAG_MS', () => {
  /** Lags of 50 ms and 1,500 ms; the slow one behind the proxy. */
  const quickAndSlow = twoInstances('50', '1500');
  /** The cache off on the first, on for 3 s on the second. */
  const offAndOn = twoInstances('0', '3000');
  const browser = new TestBrowser();

  for (const [name, pair] of [
    ['a 50 ms instance beside a 1,500 ms one', quickAndSlow],
    ['an instance with the cache off beside a 3,000 ms one', offAndOn],
  ] as const) {
    it(`${name}: a sign-out waits out the longest lag, so the slow one cut off serves nothing stale`, async () => {
      // The signing-out instance has heard the other's heartbeat, so it knows how long to wait.
      await until('the longest lag heard', () =>
        Promise.resolve(pair.first.app.get(CacheCoherence).settleMs() > 1500 ? true : undefined),
      );
      await signInBehindBalancer(browser, pair.first.url, PUBLIC_URL);
      const ended = { cookie: browser.cookieHeader() };
      await warm(pair.second, ME, 'sessions', ended);
      pair.proxy.blackHole();
      expect((await browser.postForm(`${pair.first.url}/auth/logout`, {})).status).toBe(303);
      expect(await outcomeWithin3s(pair.second, ME, ended)).not.toBe('ok');
    });
  }
});

describe('a read that spans a change does not fill the cache', () => {
  let database: TestDatabase;
  let coherence: CacheCoherence;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    // The app's migrations (and so the triggers) run when an app starts on the database.
    const app = await startTestApp(database);
    await app.stop();
    const config = loadConfig({ DATABASE_URL: database.url }) as AppConfig;
    coherence = new CacheCoherence(config);
    coherence.onApplicationBootstrap();
    await until('the cache listening', () =>
      Promise.resolve(coherence.isCoherent() ? true : undefined),
    );
  });

  afterAll(async () => {
    await coherence?.beforeApplicationShutdown();
    await database?.drop();
  });

  it('keeps what a read found, except when the row changed while it read', async () => {
    await database.query(
      "INSERT INTO users (id, google_sub, email, email_verified, created_at, updated_at) VALUES ('u1', 's1', 'a@example.com', true, now(), now())",
    );
    const cache = new ReadCache<string>(coherence, {
      name: 'test',
      maxEntries: 10,
      maxAgeMs: 60_000,
      changes: { users: 'key' },
    });
    let reads = 0;
    const read = (value: string) => () => {
      reads++;
      return Promise.resolve(value);
    };
    expect(await cache.get('u1', read('one'), () => ({}))).toBe('one');
    expect(await cache.get('u1', read('two'), () => ({}))).toBe('one');
    expect(reads).toBe(1);

    // A change lands while a read is under way: what it read may be older, so it is not kept.
    let finish!: () => void;
    const slowRead = async () => {
      reads++;
      await new Promise<void>((resolve) => (finish = resolve));
      return 'stale';
    };
    await database.query("UPDATE users SET email = 'b@example.com' WHERE id = 'u1'");
    await coherence.settle();
    const pending = cache.get('u1', slowRead, () => ({}));
    await database.query("UPDATE users SET email = 'c@example.com' WHERE id = 'u1'");
    await coherence.settle();
    finish();
    expect(await pending).toBe('stale');
    expect(await cache.get('u1', read('fresh'), () => ({}))).toBe('fresh');
    expect(await cache.get('u1', read('later'), () => ({}))).toBe('fresh');
    expect(reads).toBe(3);
  });
});
