import { afterAll, beforeAll, expect } from '@jest/globals';
import type { StandaloneEmulator } from '@tokenkeep/google-emulator';
import { Agent, request } from 'undici';
import { CacheCoherence } from '../../src/cache/cache-coherence.js';
import { MetricsService } from '../../src/metrics/metrics.service.js';
import { PUBLIC_URL } from './balancer-sign-in.js';
import { startTestEmulator } from './emulator-admin.js';
import { databaseBehindProxy, type TcpProxy } from './tcp-proxy.js';
import { startTestApp, type TestApp } from './test-app.js';
import type { TestDatabase } from './test-database.js';
import { until } from './until.js';

/** How often `app` found `cache` ('sessions' or 'tokens') in memory so far. */
export async function cacheHits(app: TestApp, cache: string): Promise<number> {
  const { values } = await app.app.get(MetricsService).cacheLookups.get();
  return values.find((v) => v.labels.cache === cache && v.labels.result === 'hit')?.value ?? 0;
}

/** What `app`'s tokenkeep_cache_coherent gauge says now: 1 while memory may answer. */
export async function cacheCoherentGauge(app: TestApp): Promise<number | undefined> {
  const gauge = app.app.get(MetricsService).registry.getSingleMetric('tokenkeep_cache_coherent');
  return (await gauge?.get())?.values[0]?.value;
}

/**
 * `query` sent to `app` with these headers: 'ok' when it answered data, else the first error
 * code, or 'aborted' when nothing came within 3 s. The request has a connection of its own,
 * closed after, so the app can stop with it unanswered.
 */
export async function outcomeWithin3s(
  app: TestApp,
  query: string,
  headers: Record<string, string>,
): Promise<unknown> {
  const connection = new Agent();
  return request(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
    dispatcher: connection,
    signal: AbortSignal.timeout(3000),
  })
    .then(
      async (response) => {
        const body = (await response.body.json()) as {
          errors?: { extensions?: { code?: string } }[];
        };
        return body.errors ? body.errors[0].extensions?.code : 'ok';
      },
      () => 'aborted',
    )
    .finally(() => connection.destroy());
}

/**
 * Asks `app` until it answers `query` from memory (a hit of `cache`): a change it has not seen
 * the notice of yet, or a late heartbeat on a busy machine, sends a read to the database.
 */
export async function warm(
  app: TestApp,
  query: string,
  cache: string,
  headers: Record<string, string>,
): Promise<void> {
  await until(`${query} answered from memory`, async () => {
    const before = await cacheHits(app, cache);
    expect(await outcomeWithin3s(app, query, headers)).toBe('ok');
    return (await cacheHits(app, cache)) > before ? true : undefined;
  });
}

export interface InstancePair {
  database: TestDatabase;
  proxy: TcpProxy;
  emulator: StandaloneEmulator;
  /** Reaches the database directly. */
  first: TestApp;
  /** Reaches it through `proxy`, which a test can turn into a black hole (its notices stop). */
  second: TestApp;
}

/**
 * Two instances on one PostgreSQL with these CACHE_MAX_LAG_MS, sharing one standalone emulator:
 * registers the `before` and `after` hooks; read the fields once `before` has run.
 */
export function twoInstances(firstLagMs: string, secondLagMs: string): InstancePair {
  const pair = {} as InstancePair;
  beforeAll(async () => {
    const { database, proxy, proxiedUrl } = await databaseBehindProxy();
    const emulator = await startTestEmulator(600);
    const env = { GOOGLE_EMULATOR_URL: emulator.url, PUBLIC_URL };
    Object.assign(pair, { database, proxy, emulator });
    [pair.first, pair.second] = await Promise.all([
      startTestApp(database, { ...env, CACHE_MAX_LAG_MS: firstLagMs }),
      startTestApp({ ...database, url: proxiedUrl }, { ...env, CACHE_MAX_LAG_MS: secondLagMs }),
    ]);
    await until('the second instance listening', () =>
      Promise.resolve(pair.second.app.get(CacheCoherence).isCoherent() ? true : undefined),
    );
  });
  afterAll(async () => {
    await pair.proxy?.cut();
    await Promise.all([pair.first?.stop(), pair.second?.stop()]);
    await pair.emulator?.close();
    await pair.proxy?.stop();
    await pair.database?.drop();
  });
  return pair;
}
