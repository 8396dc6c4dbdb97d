import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StandaloneEmulator } from '@tokenkeep/google-emulator';
import { Agent, request } from 'undici';
import { CacheCoherence } from '../src/cache/cache-coherence.js';
import { ReadCache } from '../src/cache/read-cache.js';
import { loadConfig, type AppConfig } from '../src/config/app-config.js';
import { MetricsService } from '../src/metrics/metrics.service.js';
import { signInBehindBalancer } from './support/balancer-sign-in.js';
import { TestBrowser } from './support/browser.js';
import { startTestEmulator } from './support/emulator-admin.js';
import { graphql, PROFILE } from './support/graphql.js';
import { databaseBehindProxy, type TcpProxy } from './support/tcp-proxy.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { until } from './support/until.js';

/** The address a load balancer would serve both instances on; the test plays the balancer. */
const PUBLIC_URL = 'http://tokenkeep.test';
const ME = '{ me { email } }';

/** How often `app` found `cache` ('sessions' or 'tokens') in memory so far. */
async function hits(app: TestApp, cache: string): Promise<number> {
  const { values } = await app.app.get(MetricsService).cacheLookups.get();
  return values.find((v) => v.labels.cache === cache && v.labels.result === 'hit')?.value ?? 0;
}

/** The error code of an operation that must fail, or 'ok' when it answered data. */
async function outcome(browser: TestBrowser, app: TestApp, query: string): Promise<unknown> {
  const answer = await graphql(browser, app.url, query);
  return answer.errors ? answer.errors[0].extensions?.code : 'ok';
}

/**
 * `me` from `app` with this Cookie header: its answer, or `{ aborted }` when none came within
 * 3 s. The request has a connection of its own, closed after, so the app can stop with it
 * unanswered.
 */
async function answerWithin3s(app: TestApp, cookie: string): Promise<unknown> {
  const connection = new Agent();
  return request(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ query: ME }),
    dispatcher: connection,
    signal: AbortSignal.timeout(3000),
  })
    .then(
      (response) => response.body.json(),
      (error: Error) => ({ aborted: error.name }),
    )
    .finally(() => connection.destroy());
}

describe('sessions and tokens kept in memory, on two instances of one PostgreSQL', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let emulator: StandaloneEmulator;
  /** Reaches the database directly. */
  let first: TestApp;
  /** Reaches it through `proxy`, which the last test turns into a black hole. */
  let second: TestApp;
  const browser = new TestBrowser();

  /**
   * Asks `second` until it answers `query` from memory (a hit of `cache`): a change it has not
   * seen the notice of yet, or a late heartbeat on a busy machine, sends a read to the database.
   */
  async function warm(query: string, cache: string): Promise<void> {
    await until(`${query} answered from memory`, async () => {
      const before = await hits(second, cache);
      expect(await outcome(browser, second, query)).toBe('ok');
      return (await hits(second, cache)) > before ? true : undefined;
    });
  }

  beforeAll(async () => {
    let proxiedUrl: string;
    ({ database, proxy, proxiedUrl } = await databaseBehindProxy());
    emulator = await startTestEmulator(600);
    const env = { GOOGLE_EMULATOR_URL: emulator.url, PUBLIC_URL };
    [first, second] = await Promise.all([
      startTestApp(database, env),
      startTestApp({ ...database, url: proxiedUrl }, env),
    ]);
    for (const app of [first, second])
      await until('the cache listening', () =>
        Promise.resolve(app.app.get(CacheCoherence).isCoherent() ? true : undefined),
      );
  });

  afterAll(async () => {
    await proxy?.cut();
    await Promise.all([first?.stop(), second?.stop()]);
    await emulator?.close();
    await proxy?.stop();
    await database?.drop();
  });

  it('a sign-out on one instance is refused on the other at once, every time', async () => {
    for (let round = 0; round < 10; round++) {
      await signInBehindBalancer(browser, first.url, PUBLIC_URL);
      await warm(ME, 'sessions');
      // Sent after the sign-out with the cookie it ended (the browser drops it; a copy need not).
      const cookie = browser.cookieHeader();
      if (round % 2 === 0) {
        expect((await browser.postForm(`${first.url}/auth/logout`, {})).status).toBe(303);
      } else {
        const answer = await graphql(browser, first.url, 'mutation { signOutEverywhere }');
        expect(answer.data).toEqual({ signOutEverywhere: true });
      }
      expect(await answerWithin3s(second, cookie)).toEqual({
        data: null,
        errors: [expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })],
      });
    }
  });

  it('a grant disconnected on one instance is refused on the other at once', async () => {
    await signInBehindBalancer(browser, first.url, PUBLIC_URL);
    await warm(PROFILE, 'tokens');
    expect((await browser.postForm(`${first.url}/auth/disconnect`, {})).status).toBe(303);
    expect(await outcome(browser, second, PROFILE)).toBe('REAUTH_REQUIRED');
  });

  it('rows changed behind the app (psql) are not served once the writer waited the lag out', async () => {
    await signInBehindBalancer(browser, first.url, PUBLIC_URL);
    await warm(ME, 'sessions');
    await database.query("UPDATE users SET email = 'renamed@example.com'");
    await first.app.get(CacheCoherence).settle();
    const renamed = await graphql(browser, second.url, ME);
    expect(renamed.data).toEqual({ me: { email: 'renamed@example.com' } });

    await warm(ME, 'sessions');
    await database.query('DELETE FROM sessions');
    await first.app.get(CacheCoherence).settle();
    expect(await outcome(browser, second, ME)).toBe('UNAUTHENTICATED');
  });

  it('an instance cut off from the database serves nothing from memory', async () => {
    await signInBehindBalancer(browser, first.url, PUBLIC_URL);
    await warm(ME, 'sessions');
    const hitsBefore = await hits(second, 'sessions');
    proxy.blackHole();
    await database.query('DELETE FROM sessions');
    await first.app.get(CacheCoherence).settle();
    // The database cannot answer, so no answer may carry data.
    const answer = await answerWithin3s(second, browser.cookieHeader());
    expect(answer).not.toHaveProperty('data.me');
    expect(await hits(second, 'sessions')).toBe(hitsBefore);
  });
});

describe('instances configured with different CACHE_MAX_LAG_MS', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let emulator: StandaloneEmulator;
  let quick: TestApp;
  let slow: TestApp;
  const browser = new TestBrowser();

  beforeAll(async () => {
    let proxiedUrl: string;
    ({ database, proxy, proxiedUrl } = await databaseBehindProxy());
    emulator = await startTestEmulator(600);
    const env = { GOOGLE_EMULATOR_URL: emulator.url, PUBLIC_URL };
    [quick, slow] = await Promise.all([
      startTestApp(database, { ...env, CACHE_MAX_LAG_MS: '50' }),
      startTestApp({ ...database, url: proxiedUrl }, { ...env, CACHE_MAX_LAG_MS: '1500' }),
    ]);
    // The quick one has heard the slow one's heartbeat, so it knows how long to wait.
    await until('the slow lag heard', () =>
      Promise.resolve(quick.app.get(CacheCoherence).settleMs() > 1500 ? true : undefined),
    );
  });

  afterAll(async () => {
    await proxy?.cut();
    await Promise.all([quick?.stop(), slow?.stop()]);
    await emulator?.close();
    await proxy?.stop();
    await database?.drop();
  });

  it('a sign-out waits out the longest lag, so a slow instance cut off serves nothing stale', async () => {
    await signInBehindBalancer(browser, quick.url, PUBLIC_URL);
    await until('`me` answered from memory', async () => {
      const before = await hits(slow, 'sessions');
      expect(await outcome(browser, slow, ME)).toBe('ok');
      return (await hits(slow, 'sessions')) > before ? true : undefined;
    });
    proxy.blackHole();
    // Sent after the sign-out with the cookie it ended (the browser drops it; a copy need not).
    const cookie = browser.cookieHeader();
    expect((await browser.postForm(`${quick.url}/auth/logout`, {})).status).toBe(303);
    expect(await answerWithin3s(slow, cookie)).not.toHaveProperty('data.me');
  });
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
